"""Refusals and errors in the site's look: why, and where to go from here."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts import roles

pytestmark = pytest.mark.django_db


def test_a_member_refused_a_staff_page_is_told_why_and_where_to_go(client, user_with_role):
    client.force_login(user_with_role(roles.MEMBER))
    response = client.get(reverse("dues:arrears"))
    html = response.content.decode()
    assert response.status_code == 403
    assert "Your pages are this way" in html and "ask an officer" in html
    assert f'href="{reverse("dues:my")}"' in html
    assert "site.css" in html  # the site's look, not a bare "403 Forbidden"


def test_an_unknown_page_is_a_styled_404_and_json_under_the_api(client, user_with_role):
    client.force_login(user_with_role(roles.MEMBER))
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "There is no such page" in response.content.decode()
    api = client.get("/api/v1/no-such-thing/")
    assert api.status_code == 404 and api.json() == {"detail": "Not found."}


def test_the_api_docs_send_someone_logged_out_to_log_in_and_back(client):
    response = client.get("/api/docs/")
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next=/api/docs/"
