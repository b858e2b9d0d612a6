"""The audit trail in the REST API: the admin log's filters and redaction."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts import roles
from apikit.tests.client import api_client, queries_for_get
from audit.models import AuditEvent
from audit.tests.factories import events_written
from members.services import member_note_create
from members.tests.factories import MemberFactory, UserFactory

pytestmark = pytest.mark.django_db
EVENTS = reverse("api:audit-events")


@pytest.fixture
def trail(db):
    member = MemberFactory(member_number="5150", date_of_birth=datetime.date(1960, 1, 1))
    member.date_of_birth = datetime.date(1961, 4, 9)
    member.save()
    officer = UserFactory(username="o.ruiz", role=roles.OFFICER)
    private = member_note_create(
        member=member,
        actor=UserFactory(role=roles.STAFF),
        text="staff eyes only",
        visibility="staff_only",
    )
    return member, officer, private


def _changes(client, **params):
    return [e["changes"] for e in client.get(EVENTS, params).data["results"]]


def test_an_officer_gets_sensitive_values_and_unreadable_note_text_redacted(trail):
    _, officer, _ = trail
    client = api_client(officer)
    [update] = _changes(client, member_number="5150", action="update")
    assert update["date_of_birth"] == ["[redacted]", "[redacted]"]
    [note] = _changes(client, model="members.membernote")
    assert note["text"] == [None, "[redacted]"]


def test_an_admin_gets_them(trail):
    client = api_client(UserFactory(role=roles.ADMIN))
    [update] = _changes(client, member_number="5150", action="update")
    assert update["date_of_birth"] == ["1960-01-01", "1961-04-09"]
    [note] = _changes(client, model="members.membernote")
    assert note["text"] == [None, "staff eyes only"]


def test_filters_by_actor_object_member_and_date(trail):
    member, officer, _ = trail
    client = api_client(officer)
    events_written(
        AuditEvent(
            occurred_at=timezone.now() - datetime.timedelta(days=40),
            actor_label="import_members",
            action="create",
            model_label="members.member",
            object_id="77",
        )
    )
    assert {
        e["actor_label"] for e in client.get(EVENTS, {"actor": "import_members"}).data["results"]
    } == {"import_members"}
    assert {
        e["object_id"]
        for e in client.get(EVENTS, {"object_id": str(member.pk), "model": "members.member"}).data[
            "results"
        ]
    } == {str(member.pk)}
    assert {
        e["member_id"] for e in client.get(EVENTS, {"member_id": member.pk}).data["results"]
    } == {member.pk}
    old_day = (timezone.localdate() - datetime.timedelta(days=40)).isoformat()
    assert [
        e["object_id"]
        for e in client.get(EVENTS, {"occurred_from": old_day, "occurred_to": old_day}).data[
            "results"
        ]
    ] == ["77"]
    assert client.get(EVENTS, {"occurred_from": "yesterday"}).status_code == 400
    assert client.get(EVENTS, {"action": "rewrite"}).status_code == 400


def test_the_events_list_costs_the_same_queries_for_10_and_200_events(trail):
    member, officer, _ = trail
    client = api_client(officer)
    staff = UserFactory(role=roles.STAFF)
    for i in range(10):
        member_note_create(member=member, actor=staff, text=f"n{i}", visibility="staff_only")
    few = queries_for_get(client, EVENTS + "?page_size=200")
    for i in range(190):
        member_note_create(member=member, actor=staff, text=f"m{i}", visibility="all_authorized")
    assert queries_for_get(client, EVENTS + "?page_size=200") == few
