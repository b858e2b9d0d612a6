"""simple-history's own admin pages are no side door around the audit log's rules."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from accounts import roles
from members.models import Member
from members.tests.factories import MemberFactory, member_form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(client, user_with_role):
    member = MemberFactory(date_of_birth=datetime.date(1960, 1, 1), phone="(312) 555-0101")
    client.force_login(user_with_role(roles.OFFICER))
    client.post(
        reverse("admin:members_member_change", args=[member.pk]),
        member_form_data(member, date_of_birth="1961-04-09", phone="(312) 555-0202"),
    )
    client.logout()
    return member


def _history(client, member):
    return client.get(reverse("admin:members_member_history", args=[member.pk]))


def _past_version(client, member, method="get", **data):
    version = member.history.earliest()
    url = reverse("admin:members_member_simple_history", args=[member.pk, version.history_id])
    return getattr(client, method)(url, data)


def test_an_officer_sees_sensitive_changes_redacted_in_the_history_list(
    client, user_with_role, member
):
    client.force_login(user_with_role(roles.OFFICER))
    page = _history(client, member).content.decode()
    assert "[redacted]" in page
    for secret in ("1961", "1960", "555-0202", "555-0101"):
        assert secret not in page


def test_an_admin_sees_them(client, user_with_role, member):
    client.force_login(user_with_role(roles.ADMIN))
    page = _history(client, member).content.decode()
    assert "555-0202" in page


def test_a_past_version_is_shown_redacted_and_read_only_to_an_officer(
    client, user_with_role, member
):
    client.force_login(user_with_role(roles.OFFICER))
    page = _past_version(client, member)
    assert page.status_code == 200
    html = page.content.decode()
    assert "[redacted]" in html
    assert "555-0101" not in html and "1960" not in html
    assert 'name="status"' not in html  # every field is read-only


def test_a_past_version_cannot_be_saved_back(client, user_with_role, member):
    client.force_login(user_with_role(roles.OFFICER))
    response = _past_version(client, member, method="post", **member_form_data(member))
    assert response.status_code == 403
    assert Member.objects.get(pk=member.pk).phone == "(312) 555-0202"


@pytest.mark.parametrize("role", [roles.ORGANIZER, roles.STAFF])
def test_roles_without_the_audit_log_get_no_history_either(client, user_with_role, role, member):
    client.force_login(user_with_role(role))
    assert _history(client, member).status_code == 403
    assert _past_version(client, member).status_code == 403
