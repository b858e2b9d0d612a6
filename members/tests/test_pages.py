"""The site's own pages: logging in and out, and a member's page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts import roles
from members.tests.factories import PASSWORD, MemberFactory

pytestmark = pytest.mark.django_db


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_member_logs_in_and_sees_their_own_record(client, user_with_role):
    user = user_with_role(roles.MEMBER, username="lparsons")
    MemberFactory(user=user, first_name="Lucy", last_name="Parsons", member_number="1886")
    MemberFactory(first_name="Someone", last_name="Else")

    response = client.post(
        reverse("login"), {"username": "lparsons", "password": PASSWORD}, follow=True
    )
    assert response.status_code == 200
    assert b"Lucy Parsons" in response.content
    assert b"1886" in response.content
    assert b"Someone Else" not in response.content
    assert b"Office admin" not in response.content


def test_a_wrong_password_shows_a_message_and_no_session(client, user_with_role):
    user_with_role(roles.MEMBER, username="lparsons")
    response = client.post(reverse("login"), {"username": "lparsons", "password": "guess"})
    assert response.status_code == 200
    assert b"Please enter a correct username and password" in response.content
    assert "_auth_user_id" not in client.session


def test_office_users_are_pointed_to_the_admin(client, user_with_role):
    client.force_login(user_with_role(roles.STAFF))
    page = client.get(reverse("home"))
    assert reverse("admin:index").encode() in page.content


def test_a_login_without_a_member_record_is_told_so(client, user_with_role):
    client.force_login(user_with_role(roles.MEMBER))
    assert b"not linked to a member record" in client.get(reverse("home")).content


def test_logging_out_ends_the_session(client, user_with_role):
    client.force_login(user_with_role(roles.MEMBER))
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("home")).status_code == 302


def test_pages_use_the_projects_own_static_files_and_no_cdn(client, user_with_role):
    client.force_login(user_with_role(roles.MEMBER))
    html = client.get(reverse("home")).content.decode()
    assert "/static/unionhall/site.css" in html
    assert "/static/unionhall/site.js" in html
    assert "https://" not in html
