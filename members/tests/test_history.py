"""Every change to a member is kept in its history, with who made it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts import roles
from members.tests.factories import MemberFactory, member_form_data

pytestmark = pytest.mark.django_db


def test_an_admin_edit_records_the_acting_officer_and_the_change(client, user_with_role):
    officer = user_with_role(roles.OFFICER, username="o.ruiz")
    member = MemberFactory(status="active")
    client.force_login(officer)

    client.post(
        reverse("admin:members_member_change", args=[member.pk]),
        member_form_data(member, status="suspended"),
    )

    latest = member.history.latest()
    assert latest.history_type == "~"
    assert latest.history_user == officer
    assert latest.status == "suspended"
    delta = latest.diff_against(latest.prev_record)
    assert [(c.field, c.old, c.new) for c in delta.changes] == [("status", "active", "suspended")]


def test_an_admin_add_records_who_created_the_member(client, user_with_role):
    officer = user_with_role(roles.OFFICER)
    template = MemberFactory.build(classification=MemberFactory().classification)
    client.force_login(officer)
    data = member_form_data(template, member_number="777001")
    response = client.post(reverse("admin:members_member_add"), data)
    assert response.status_code == 302

    created = template.__class__.objects.get(member_number="777001")
    first = created.history.earliest()
    assert first.history_type == "+"
    assert first.history_user == officer


def test_the_member_history_page_lists_the_change_and_who_made_it(client, user_with_role):
    officer = user_with_role(roles.OFFICER, username="o.ruiz")
    member = MemberFactory()
    client.force_login(officer)
    client.post(
        reverse("admin:members_member_change", args=[member.pk]),
        member_form_data(member, phone="(773) 555-0199"),
    )
    page = client.get(reverse("admin:members_member_history", args=[member.pk]))
    assert page.status_code == 200
    assert b"o.ruiz" in page.content
