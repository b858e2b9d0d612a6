"""The office's users reset a forgotten password too: the admin's login page links to the
reset (Django's admin shows the link when `admin_password_reset` exists), in the site's own
pages, which lead back to the office's login."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from accounts import roles
from members.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_the_admins_login_page_links_to_the_reset(client):
    page = client.get(reverse("admin:login")).content.decode()
    assert f'href="{reverse("admin_password_reset")}"' in page
    assert "Forgotten your password" in page


def test_a_staff_user_resets_their_password_in_the_sites_pages(client, mailoutbox):
    staff = UserFactory(username="deskclerk", email="desk@local.example", role=roles.STAFF)
    form = client.get(reverse("admin_password_reset"))
    html = form.content.decode()
    assert "site.css" in html and "Forgot your password?" in html  # the site's, not admin's
    assert "Django administration" not in html

    sent = client.post(reverse("admin_password_reset"), {"email": "desk@local.example"})
    assert sent["Location"] == reverse("admin_password_reset_done")
    done = client.get(sent["Location"]).content.decode()
    assert "Check your email" in done and f'href="{reverse("admin:login")}"' in done

    [mail] = mailoutbox
    assert mail.to == ["desk@local.example"] and '"deskclerk"' in mail.body
    link = re.search(r"https?://[^/]+(/accounts/reset/\S+)", mail.body).group(1)
    confirm = client.get(link, follow=True)
    new = "a-new-long-password-2026"
    complete = client.post(
        confirm.redirect_chain[-1][0], {"new_password1": new, "new_password2": new}, follow=True
    )
    assert f'href="{reverse("admin:login")}"' in complete.content.decode()

    assert not client.login(username=staff.username, password=PASSWORD)
    logged_in = client.post(
        reverse("admin:login"),
        {"username": "deskclerk", "password": new, "next": "/admin/"},
        follow=True,
    )
    assert logged_in.context["user"] == staff and logged_in.request["PATH_INFO"] == "/admin/"
