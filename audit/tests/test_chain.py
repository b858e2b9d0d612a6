"""The trail proves itself: events are numbered and hashed in a chain, and audit_verify
finds an event edited, removed or inserted behind the application's back."""

from __future__ import annotations

import io
import itertools
import json

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from accounts import roles
from audit.chain import GENESIS, chain_verify, checkpoint_latest, checkpoint_text
from audit.models import AuditChainHead, AuditCheckpoint, AuditEvent
from audit.services import audit_event_record
from members.tests.factories import MemberFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def trail(db):
    """Some history: members made in bulk and one by one, a change, plain events."""
    members = MemberFactory.create_batch(3)
    members[0].phone = "(312) 555-0100"
    members[0].save()
    for i in range(3):
        audit_event_record(action="export", actor_label="tests", detail=f"export {i}")
    return members


def verify(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("audit_verify", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def _behind_the_apps_back(sql: str, params=(), table: str = "audit_auditevent") -> None:
    """What only the table's owner can do: lift the table's triggers, write, put them back."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The test's own transaction still holds deferred foreign-key checks.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        else:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [table]
            )
            for (trigger,) in cursor.fetchall():
                cursor.execute(f"DROP TRIGGER {trigger}")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
        else:
            from audit.append_only import ensure_sqlite_triggers

            ensure_sqlite_triggers(connection)


def test_events_are_numbered_without_gaps_each_linked_to_the_one_before(trail):
    events = list(AuditEvent.objects.order_by("seq"))
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert events[0].prev_hash == GENESIS
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(events))
    report = chain_verify()
    assert report.ok and report.checked == len(events)
    assert AuditChainHead.objects.get().seq == len(events)


def test_a_rolled_back_event_gives_its_number_back(trail):
    before = AuditChainHead.objects.get().seq
    with pytest.raises(RuntimeError), transaction.atomic():
        audit_event_record(action="export", actor_label="tests")
        raise RuntimeError("the request failed")
    event = audit_event_record(action="export", actor_label="tests")
    assert event.seq == before + 1
    assert chain_verify().ok


def test_an_event_edited_behind_the_apps_back_is_named(trail):
    target = AuditEvent.objects.order_by("seq")[2]
    _behind_the_apps_back(
        "UPDATE audit_auditevent SET detail = %s WHERE id = %s", ["nothing here", target.pk]
    )
    with pytest.raises(CommandError, match=f"seq {target.seq} .*its content was changed"):
        verify("--full")


def test_an_event_removed_from_the_middle_is_named(trail):
    target = AuditEvent.objects.order_by("seq")[3]
    _behind_the_apps_back("DELETE FROM audit_auditevent WHERE id = %s", [target.pk])
    with pytest.raises(CommandError, match=f"events {target.seq} to {target.seq} are missing"):
        verify("--full")


def test_events_removed_from_the_end_are_noticed(trail):
    last = AuditEvent.objects.order_by("-seq").first()
    _behind_the_apps_back("DELETE FROM audit_auditevent WHERE id = %s", [last.pk])
    with pytest.raises(CommandError, match="the head says"):
        verify("--full")


def test_a_rewritten_chain_is_caught_by_a_checkpoint_kept_outside(trail, tmp_path):
    verify()
    kept = tmp_path / "checkpoint.txt"
    kept.write_text(checkpoint_text(checkpoint_latest()))
    # The owner edits an event and recomputes every hash after it: the chain holds again...
    from audit.chain import HASHED_FIELDS, event_hash

    events = list(AuditEvent.objects.order_by("seq"))
    events[1].detail = "rewritten"
    prev = events[0].hash
    for event in events[1:]:
        event.prev_hash = prev
        event.hash = prev = event_hash(prev, {n: getattr(event, n) for n in HASHED_FIELDS})
        _behind_the_apps_back(
            "UPDATE audit_auditevent SET detail = %s, prev_hash = %s, hash = %s WHERE id = %s",
            [event.detail, event.prev_hash, event.hash, event.pk],
        )
    _behind_the_apps_back(
        "UPDATE audit_auditchainhead SET hash = %s WHERE id = 1", [prev], "audit_auditchainhead"
    )
    assert chain_verify().ok
    # ...but no longer matches the checkpoint the officers kept.
    with pytest.raises(CommandError, match="no longer has the hash of the checkpoint"):
        verify("--full", "--expect", str(kept))


def test_verifying_keeps_a_checkpoint_mails_it_and_starts_there_next_time(trail):
    UserFactory(role=roles.OFFICER, email="secretary@local1234.org")
    out, _ = verify()
    checkpoint = AuditCheckpoint.objects.get()
    assert f"head: event {checkpoint.seq}" in out
    [sent] = mail.outbox
    assert sent.to == ["secretary@local1234.org"] and checkpoint.hash in sent.body
    audit_event_record(action="export", actor_label="tests")
    out, _ = verify("--no-checkpoint")
    assert "1 event checked from checkpoint" in out


def test_a_broken_chain_tells_the_officers(trail):
    UserFactory(role=roles.OFFICER, email="secretary@local1234.org")
    mail.outbox.clear()
    _behind_the_apps_back("UPDATE audit_auditevent SET detail = 'x' WHERE seq = 1")
    with pytest.raises(CommandError):
        verify("--full")
    assert "FAILED" in mail.outbox[-1].subject


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_events_written_at_once_by_many_connections_form_one_chain(race):
    def write() -> None:
        for _ in range(10):
            with transaction.atomic():
                audit_event_record(action="export", actor_label="racer")

    _, errors = race(write, times=4)
    assert errors == []
    report = chain_verify()
    assert report.ok and report.checked == AuditEvent.objects.count() == 40


def test_an_events_changes_edited_behind_the_apps_back_are_named(trail):
    """What was changed is part of what the hash covers, not only the event's text: an
    owner who rewrites the email address a member was created with is caught."""
    created = AuditEvent.objects.filter(model_label="members.member", action="create")
    target = created.order_by("seq").first()
    assert target.changes["email"] == [None, trail[0].email]
    forged = json.dumps({**target.changes, "email": [None, "someone.else@example.org"]})
    cast = "::jsonb" if connection.vendor == "postgresql" else ""
    _behind_the_apps_back(
        f"UPDATE audit_auditevent SET changes = %s{cast} WHERE id = %s", [forged, target.pk]
    )
    edited = AuditEvent.objects.get(pk=target.pk)
    assert edited.changes["email"] == [None, "someone.else@example.org"]
    assert edited.detail == target.detail
    with pytest.raises(CommandError, match=f"seq {target.seq} .*its content was changed"):
        verify("--full")


def _insert_behind_the_apps_back(values: dict) -> None:
    columns = ", ".join(values)
    placeholders = ", ".join(
        "%s::jsonb" if name == "changes" and connection.vendor == "postgresql" else "%s"
        for name in values
    )
    params = [json.dumps(v) if name == "changes" else v for name, v in values.items()]
    _behind_the_apps_back(
        f"INSERT INTO audit_auditevent ({columns}) VALUES ({placeholders})", params
    )


def test_an_event_inserted_in_the_middle_is_named(trail):
    """The owner makes room in the middle (every later event one number up) and writes an
    event there that is itself well made: its link to the one before and its own hash
    fit. The event after it still names the hash of the one it followed."""
    from audit.chain import HASHED_FIELDS, event_hash

    events = list(AuditEvent.objects.order_by("seq"))
    before, after = events[2], events[3]
    _behind_the_apps_back("UPDATE audit_auditevent SET seq = -seq WHERE seq >= %s", [after.seq])
    _behind_the_apps_back("UPDATE audit_auditevent SET seq = 1 - seq WHERE seq < 0")
    values = {name: getattr(after, name) for name in HASHED_FIELDS}
    values.update(seq=after.seq, detail="export approved by the president", changes={})
    values["prev_hash"] = before.hash
    values["hash"] = event_hash(before.hash, values)
    _insert_behind_the_apps_back(values)
    assert AuditEvent.objects.get(pk=after.pk).seq == after.seq + 1
    assert (
        event_hash(before.hash, AuditEvent.objects.get(seq=after.seq).__dict__) == (values["hash"])
    )
    with pytest.raises(
        CommandError, match=f"seq {after.seq + 1} .*it does not follow the event before it"
    ):
        verify("--full")


def test_an_event_relinked_behind_the_apps_back_is_named(trail):
    """The owner points an event past the one before it (as if that one never was) and
    makes its hash fit its new link: the link itself is checked, not the hash alone."""
    from audit.chain import HASHED_FIELDS, event_hash

    events = list(AuditEvent.objects.order_by("seq"))
    skipped_to, target = events[1], events[3]
    values = {name: getattr(target, name) for name in HASHED_FIELDS}
    relinked = event_hash(skipped_to.hash, values)
    _behind_the_apps_back(
        "UPDATE audit_auditevent SET prev_hash = %s, hash = %s WHERE id = %s",
        [skipped_to.hash, relinked, target.pk],
    )
    with pytest.raises(
        CommandError, match=f"seq {target.seq} .*it does not follow the event before it"
    ):
        verify("--full")
