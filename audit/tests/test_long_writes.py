"""A long write does not hold the trail's head: an import's events fill blocks of numbers
reserved as it goes (audit.chain_blocks.chain_in_blocks), so a login made meanwhile is written
at once, and the chain verifies whether the import commits or rolls back."""

from __future__ import annotations

import io
import threading
import time

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections, transaction
from django.test import Client
from django.urls import reverse

from audit.chain import chain_verify, checkpoint_latest, event_hash
from audit.chain_blocks import chain_in_blocks
from audit.models import AuditChainHead, AuditEvent
from audit.services import audit_event_record
from jobs.progress import Progress
from members.importing import WRITE_BATCH, members_import
from members.models import Member
from members.tests.factories import PASSWORD, ClassificationFactory, UserFactory
from unionhall.tests.process import run_python

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROWS = WRITE_BATCH + 1000  # two batches, each of them a block


def _csv(rows: int, *, bad_last: bool = False) -> str:
    lines = ["member_number,first_name,last_name,classification,join_date"]
    lines += [f"9{i:06d},New{i},Member,JW,2024-01-15" for i in range(rows)]
    if bad_last:
        lines.append("9999999,Bad,Row,JW,not a date")
    return "\n".join(lines) + "\n"


@pytest.fixture(autouse=True)
def classification():
    return ClassificationFactory(code="JW", name="Journeyman Wireman")


def _verify(*args: str) -> str:
    out = io.StringIO()
    call_command("audit_verify", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def _behind_the_apps_back(sql: str, params=()) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no foreign-key check left pending
        cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER USER")
        cursor.execute(sql, params)
        cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER USER")


class _PausedAfterFirstBatch(Progress):
    """Stops the import, inside its transaction, once its first batch is written, until
    the test lets it go on."""

    def __init__(self):
        self.done = 0
        self.paused, self.go_on = threading.Event(), threading.Event()

    def advance(self, count: int = 1) -> None:
        self.done += count
        if self.done == WRITE_BATCH + 500:
            self.paused.set()
            self.go_on.wait(60)


def _import_in_a_thread(progress: Progress, **kwargs) -> tuple[threading.Thread, list]:
    outcome: list = []

    def run() -> None:
        try:
            outcome.append(members_import(csv_text=_csv(ROWS), actor="tests", progress=progress))
        except Exception as exc:
            outcome.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    assert progress.paused.wait(60), outcome
    return thread, outcome


def test_a_login_does_not_wait_for_an_import_still_writing():
    UserFactory(username="lucy")
    paused = _PausedAfterFirstBatch()
    importing, imported = _import_in_a_thread(paused)
    logged_in: list = []

    def log_in() -> None:
        try:
            started = time.monotonic()
            answer = Client().post(reverse("login"), {"username": "lucy", "password": PASSWORD})
            logged_in.append((answer.status_code, time.monotonic() - started))
        finally:
            connections.close_all()

    login = threading.Thread(target=log_in)
    login.start()
    login.join(10)
    waited = login.is_alive()
    import_still_open = importing.is_alive() and not Member.objects.exists()
    paused.go_on.set()  # the import commits; a login that waited for it ends now too
    login.join(60)
    importing.join(60)

    assert not waited, "the login waited for the import's transaction"
    assert import_still_open
    [(status, seconds)] = logged_in
    assert status == 302 and seconds < 5
    [result] = imported
    assert result.written and Member.objects.count() == ROWS
    login_event = AuditEvent.objects.get(action="login", actor_label="lucy")
    first, last = AuditEvent.objects.filter(action="block_reserved").order_by("seq")
    assert first.seq < login_event.seq < last.seq  # after the first block, before the second
    [seal] = AuditEvent.objects.filter(action="block_sealed")
    assert [block[:2] for block in seal.changes["sealed"]] == [
        first.changes["reserved"],
        last.changes["reserved"],
    ]
    report = chain_verify()
    assert report.ok, report.broken
    assert report.checked == AuditEvent.objects.count()


def test_an_import_that_rolls_back_leaves_its_block_empty_and_the_chain_whole():
    result = members_import(csv_text=_csv(ROWS, bad_last=True), actor="tests")
    assert not result.ok and not Member.objects.exists()
    # The reservation was committed on its own; its numbers stay empty, and no seal.
    [reservation] = AuditEvent.objects.filter(action="block_reserved")
    first, last = reservation.changes["reserved"]
    assert last - first + 1 == WRITE_BATCH
    assert not AuditEvent.objects.filter(seq__range=(first, last)).exists()
    assert not AuditEvent.objects.filter(action="block_sealed").exists()
    assert AuditChainHead.objects.get().seq == last
    after = audit_event_record(action="export", actor_label="tests")
    assert after.seq == last + 1 and after.prev_hash == reservation.hash
    assert "The trail holds" in _verify("--full")
    assert checkpoint_latest().seq == after.seq

    # Filling the empty block behind the app's back, however well hashed, is named.
    values = {
        "occurred_at": after.occurred_at,
        "actor_id": None,
        "actor_label": "mallory",
        "action": "create",
        "model_label": "members.member",
        "object_id": "1",
        "object_repr": "",
        "member_id": None,
        "member_number": "",
        "changes": {},
        "detail": "",
        "ip_address": None,
        "user_agent": "",
        "history_id": None,
        "seq": first,
    }
    _behind_the_apps_back(
        "INSERT INTO audit_auditevent (occurred_at, actor_label, action, model_label, "
        "object_id, object_repr, member_number, changes, detail, user_agent, seq, prev_hash, "
        "hash) VALUES (%s, 'mallory', 'create', 'members.member', '1', '', '', '{}', '', '', "
        "%s, %s, %s)",
        [after.occurred_at, first, reservation.hash, event_hash(reservation.hash, values)],
    )
    report = chain_verify()
    assert report.broken.seq == first + 1
    assert report.broken.reason == (
        f"events {first + 1} to {last} of the block reserved at event {reservation.seq} are missing"
    )


def test_events_removed_from_a_sealed_block_are_named():
    assert members_import(csv_text=_csv(ROWS), actor="tests").written
    first_block = AuditEvent.objects.filter(action="block_reserved").order_by("seq").first()
    first, last = first_block.changes["reserved"]
    assert chain_verify().ok

    _behind_the_apps_back("DELETE FROM audit_auditevent WHERE seq = %s", [last])
    report = chain_verify()
    assert report.broken.seq == last and "are missing" in report.broken.reason

    _behind_the_apps_back("DELETE FROM audit_auditevent WHERE seq BETWEEN %s AND %s", [first, last])
    report = chain_verify()  # the whole block gone: its seal says it was written
    assert report.broken.seq == first
    assert f"events {first} to {last} were written; they are not all there" in (
        report.broken.reason
    )


def test_a_checkpoint_made_while_a_block_was_filling_checks_the_block_once_it_is_sealed():
    paused = _PausedAfterFirstBatch()
    importing, imported = _import_in_a_thread(paused)
    try:  # while the first block is written but not committed
        _verify()
        at_reservation = checkpoint_latest()
        audit_event_record(action="login", actor_label="lucy")
        _verify()
        after_it = checkpoint_latest()
    finally:
        paused.go_on.set()
        importing.join(60)
    assert imported[0].written
    first_block = AuditEvent.objects.filter(action="block_reserved").order_by("seq").first()
    first, last = first_block.changes["reserved"]
    assert at_reservation.seq == first_block.seq and after_it.seq > last

    # From a checkpoint at the reservation: its block comes next.
    report = chain_verify(after_seq=at_reservation.seq, after_hash=at_reservation.hash)
    assert (
        report.ok and report.checked == AuditEvent.objects.filter(seq__gt=first_block.seq).count()
    )
    # From one past the block: the seal names it, and it is read then.
    out = _verify("--no-checkpoint")
    checked = AuditEvent.objects.filter(seq__gt=after_it.seq).count() + last - first + 1
    assert f"{checked:,} events checked from checkpoint {after_it.seq}" in out
    _behind_the_apps_back(
        "UPDATE audit_auditevent SET detail = 'edited' WHERE seq = %s", [first + 10]
    )
    with pytest.raises(CommandError, match=f"seq {first + 10} .*its content was changed"):
        _verify("--no-checkpoint")


def test_a_transaction_that_holds_the_head_already_writes_its_batches_after_it():
    """Its reservation, on another connection, would wait for the head this transaction
    holds, for ever: its batches go after the head instead."""
    done: list = []

    def write() -> None:
        try:
            with transaction.atomic():
                audit_event_record(action="export", actor_label="tests")  # the head, locked
                done.append(members_import(csv_text=_csv(ROWS), actor="tests"))
        finally:
            connections.close_all()

    writing = threading.Thread(target=write)
    writing.start()
    writing.join(60)
    waited = writing.is_alive()
    if waited:  # end the wait (the reservation's connection) so that the test can end
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = "
                "current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
        writing.join(60)
    assert not waited, "the import waited for its own transaction"
    assert done[0].written
    assert not AuditEvent.objects.filter(action__in=["block_reserved", "block_sealed"]).exists()
    assert chain_verify().ok


def test_the_runtime_role_imports_in_blocks(runtime_role):
    """As the app runs in production: the reservation's connection and the import's own,
    both logged in as the role that owns nothing."""
    db = runtime_role
    done = run_python(
        "-c",
        "import django; django.setup()\n"
        "from audit.chain import chain_verify\n"
        "from audit.models import AuditEvent\n"
        "from audit.tests.test_long_writes import ROWS, _csv\n"
        "from members.importing import members_import\n"
        "assert members_import(csv_text=_csv(ROWS), actor='tests').written\n"
        "print(AuditEvent.objects.filter(action='block_reserved').count(), chain_verify().ok)\n",
        env={
            "DATABASE_URL": f"postgres://{db['user']}@{db['host']}:{db['port']}/{db['dbname']}",
            "SECRET_KEY": "tests-only",
        },
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-2:] == ["2", "True"]


def test_the_set_based_trail_fills_blocks_too(classification):
    """A period's charges get their events from one statement per batch (audit/in_sql.py):
    in blocks, that statement fills a block."""
    from dues.services import dues_charges_generate
    from dues.tests.factories import DuesPeriodFactory, DuesRateFactory

    assert members_import(csv_text=_csv(600), actor="tests").written
    DuesRateFactory(classification=classification)
    period = DuesPeriodFactory()
    with transaction.atomic(), chain_in_blocks(actor="tests"):
        assert dues_charges_generate(period=period, actor="tests").created == 600
    charges = AuditEvent.objects.filter(model_label="dues.duescharge").order_by("seq")
    reservation = AuditEvent.objects.filter(action="block_reserved").order_by("seq").last()
    assert [charges.first().seq, charges.last().seq] == reservation.changes["reserved"]
    report = chain_verify()
    assert report.ok and report.checked == AuditEvent.objects.count()
