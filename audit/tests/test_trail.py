"""Every change to member records, every login and every export lands in the trail."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from accounts import roles
from audit.context import acting_as
from audit.models import AuditEvent
from jobs.tests.helpers import job_download
from members.importing import members_import
from members.models import Member
from members.tests.factories import PASSWORD, ClassificationFactory, MemberFactory, member_form_data

pytestmark = pytest.mark.django_db


def test_an_admin_edit_yields_exactly_one_event_with_actor_field_old_and_new(
    client, user_with_role
):
    officer = user_with_role(roles.OFFICER, username="o.ruiz")
    member = MemberFactory(status="active", member_number="4242")
    client.force_login(officer)

    client.post(
        reverse("admin:members_member_change", args=[member.pk]),
        member_form_data(member, status="suspended"),
        REMOTE_ADDR="203.0.113.9",
        HTTP_USER_AGENT="Counter PC",
    )

    updates = AuditEvent.objects.filter(action="update", member_id=member.pk)
    assert updates.count() == 1
    event = updates.get()
    assert event.actor == officer
    assert event.actor_label == "o.ruiz"
    assert event.model_label == "members.member"
    assert event.object_id == str(member.pk)
    assert event.member_number == "4242"
    assert event.changes == {"status": ["active", "suspended"]}
    assert event.ip_address == "203.0.113.9"
    assert event.user_agent == "Counter PC"
    assert event.history_id == member.history.latest().history_id


def test_a_new_member_yields_a_create_event_with_its_values():
    member = MemberFactory(member_number="9001", date_of_birth=datetime.date(1970, 1, 2))
    event = AuditEvent.objects.get(action="create", member_id=member.pk)
    assert event.changes["member_number"] == [None, "9001"]
    assert event.changes["date_of_birth"] == [None, "1970-01-02"]
    assert event.changes["classification"] == [None, member.classification_id]
    assert event.actor_label == "unknown"


def test_a_system_actor_is_named_when_no_user_acts():
    with acting_as("stripe-webhook"):
        member = MemberFactory()
    assert AuditEvent.objects.get(member_id=member.pk).actor_label == "stripe-webhook"


def test_an_event_and_its_history_row_commit_or_roll_back_together():
    member = MemberFactory()
    before = (member.history.count(), AuditEvent.objects.count())
    with pytest.raises(RuntimeError), transaction.atomic():
        member.status = "dropped"
        member.save()
        raise RuntimeError("something after the save failed")
    assert (member.history.count(), AuditEvent.objects.count()) == before


def test_bulk_created_history_yields_one_event_per_row(user_with_role):
    officer = user_with_role(roles.OFFICER)
    classification = ClassificationFactory()
    members = [
        Member(
            member_number=str(7000 + i),
            first_name="Bulk",
            last_name=f"Member{i}",
            classification=classification,
            join_date=datetime.date(2020, 1, 1),
        )
        for i in range(5)
    ]
    bulk_create_with_history(members, Member, default_user=officer)
    events = AuditEvent.objects.filter(action="create", model_label="members.member")
    assert events.count() == 5
    assert {e.member_number for e in events} == {str(7000 + i) for i in range(5)}
    assert {e.actor_id for e in events} == {officer.pk}


def test_objects_created_in_bulk_get_the_same_events_either_way(user_with_role):
    """history_of_created makes its events from the objects; simple-history's own bulk
    path from the history rows: the trail cannot tell them apart."""
    from appkit.sql import bulk_insert
    from audit.history import history_of_created

    officer = user_with_role(roles.OFFICER)
    classification = ClassificationFactory()

    def members(start: int) -> list[Member]:
        return [
            Member(
                member_number=str(start + i),
                first_name="Bulk",
                last_name=f"Member{i}",
                email="" if i else "first@example.org",
                classification=classification,
                join_date=datetime.date(2020, 1, 1),
            )
            for i in range(3)
        ]

    bulk_create_with_history(members(7100), Member, default_user=officer)
    ours = members(7200)
    bulk_insert(ours)
    history_of_created(ours, actor=officer)

    def events(prefix: str) -> list[tuple]:
        found = AuditEvent.objects.filter(member_number__startswith=prefix).order_by("seq")
        return [
            (
                e.actor_id,
                e.actor_label,
                e.action,
                e.model_label,
                e.object_repr.split(" ")[0],
                e.member_number[2:],
                {k: v for k, v in e.changes.items() if k not in ("member_number", "id")},
            )
            for e in found
        ]

    theirs, mine = events("71"), events("72")
    assert len(theirs) == 3 and theirs == mine


def test_bulk_updated_history_yields_events_with_what_changed():
    members = MemberFactory.create_batch(3, status="active")
    for member in members:
        member.status = "suspended"
    with acting_as("nightly-standing"):
        bulk_update_with_history(members, Member, ["status"])
    events = AuditEvent.objects.filter(action="update")
    assert events.count() == 3
    assert all(e.changes == {"status": ["active", "suspended"]} for e in events)
    assert {e.actor_label for e in events} == {"nightly-standing"}


def test_a_command_import_is_attributed_to_the_command(tmp_path):
    from django.core.management import call_command

    ClassificationFactory(code="JW")
    path = tmp_path / "m.csv"
    path.write_text(
        "member_number,first_name,last_name,classification,join_date\n1,A,B,JW,2020-01-01\n"
    )
    call_command("import_members", str(path))
    event = AuditEvent.objects.get(action="create", model_label="members.member")
    assert event.actor_label == "import_members"


def test_an_import_in_the_admin_is_attributed_to_the_officer(user_with_role):
    officer = user_with_role(roles.OFFICER)
    ClassificationFactory(code="JW")
    members_import(
        csv_text="member_number,first_name,last_name,classification,join_date\n"
        "1,A,B,JW,2020-01-01\n2,C,D,JW,2020-01-01\n",
        actor=officer,
    )
    events = AuditEvent.objects.filter(model_label="members.member")
    assert list(events.values_list("actor_label", flat=True)) == [officer.username] * 2


def test_logins_and_logouts_are_recorded(client, user_with_role):
    user_with_role(roles.MEMBER, username="lparsons")
    made = AuditEvent.objects.count()  # the user's own creation is on record too
    client.post(reverse("login"), {"username": "lparsons", "password": PASSWORD})
    client.post(reverse("logout"))
    events = AuditEvent.objects.order_by("id")[made:]
    assert list(events.values_list("action", "actor_label")) == [
        ("login", "lparsons"),
        ("logout", "lparsons"),
    ]


def test_a_failed_login_records_the_username_tried_and_never_the_password(client, db):
    secret = "hunter2-Not-Stored"
    client.post(
        reverse("login"),
        {"username": "mallory", "password": secret},
        REMOTE_ADDR="198.51.100.7",
    )
    event = AuditEvent.objects.get()
    assert event.action == "login_failed"
    assert event.actor is None
    assert event.actor_label == "mallory"
    assert event.ip_address == "198.51.100.7"
    stored = [str(getattr(event, f.attname)) for f in AuditEvent._meta.concrete_fields]
    assert not any(secret in value for value in stored)


def test_viewing_a_members_record_in_the_admin_is_recorded(client, user_with_role):
    staff = user_with_role(roles.STAFF)
    member = MemberFactory()
    client.force_login(staff)
    client.get(reverse("admin:members_member_change", args=[member.pk]))
    event = AuditEvent.objects.get(action="view_sensitive")
    assert (event.actor, event.member_id) == (staff, member.pk)


def test_exporting_members_is_recorded(client, user_with_role):
    officer = user_with_role(roles.OFFICER)
    members = MemberFactory.create_batch(3)
    client.force_login(officer)
    response = client.post(
        reverse("admin:members_member_changelist"),
        {"action": "export_csv", "_selected_action": [m.pk for m in members]},
    )
    job_download(client, response)  # written by a worker, downloaded when done
    event = AuditEvent.objects.get(action="export")
    assert event.actor == officer
    assert event.model_label == "members.member"
    assert "3 members" in event.detail


# A member change, its history row and its audit event:
#   UPDATE members_member, INSERT its history row,
#   SELECT the previous history row (for old values),
#   SELECT the chain's head (under its lock), INSERT the audit event (the database moves
#   the head: audit/chain_guard.py).
MEMBER_CHANGE_QUERIES = 5


def test_a_member_change_with_history_and_event_costs_a_fixed_number_of_queries():
    member = MemberFactory()
    member.phone = "(312) 555-0199"
    with CaptureQueriesContext(connection) as queries:
        member.save()
    assert len(queries) == MEMBER_CHANGE_QUERIES, [q["sql"][:60] for q in queries]
