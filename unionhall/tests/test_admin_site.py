"""The office's admin site: Django's, named for the local, with no sidebar of every model
beside each record; the home still lists every model the user may open."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from accounts import roles
from accounts.login_guard import LockoutAdminAuthenticationForm
from members.tests.factories import MemberFactory, UserFactory
from unionhall.admin_site import OfficeAdminSite

pytestmark = pytest.mark.django_db


def test_the_default_site_is_the_offices(client):
    assert isinstance(admin.site, OfficeAdminSite)
    assert admin.site.login_form is LockoutAdminAuthenticationForm
    page = client.get(reverse("admin:login"))
    assert "<title>Log in | Union Hall</title>" in page.content.decode()


def test_a_members_page_reads_full_width_and_the_home_lists_the_models(client):
    client.force_login(UserFactory(role=roles.STAFF))
    member = MemberFactory()

    record = client.get(reverse("admin:members_member_change", args=[member.pk]))
    assert record.status_code == 200
    assert 'id="nav-sidebar"' not in record.content.decode()
    assert record.context["available_apps"] == []

    home = client.get(reverse("admin:index")).content.decode()
    assert reverse("admin:members_member_changelist") in home
    assert reverse("admin:dues_payment_changelist") in home
    assert reverse("admin:auth_user_changelist") not in home  # not the Staff role's


def test_a_member_opening_the_office_is_sent_kindly_to_their_own_pages(client):
    client.force_login(UserFactory(role=roles.MEMBER))
    page = client.get(reverse("admin:index"))
    html = page.content.decode()
    # Still a 403 (the office's pages are not theirs), in words that do not alarm.
    assert page.status_code == 403
    assert "Your pages are this way" in html
    assert f'<a class="button primary" href="{reverse("dues:my")}">Go to your dues</a>' in html
    assert not any(word in html.lower() for word in ("forbidden", "denied", "can't", "not allowed"))
