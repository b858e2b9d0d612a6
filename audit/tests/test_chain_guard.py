"""One forged row cannot jam the trail: the database takes an event only after the chain's
head (or inside a block its own transaction reserved), moves the head itself, only ever
forward, and takes a checkpoint only at an event of the chain (audit/chain_guard.py).
A forged row that does follow the head jams nothing, and `audit_verify` names it."""

from __future__ import annotations

import json

import psycopg
import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from audit.chain import GENESIS, chain_verify, event_hash
from audit.models import AuditChainHead, AuditCheckpoint, AuditEvent
from audit.services import audit_event_record
from audit.tests.factories import events_written
from members.tests.factories import MemberFactory
from unionhall.tests.process import run_python

pytestmark = pytest.mark.django_db

FORGED = "f" * 64
_COLUMNS = (
    "occurred_at, actor_label, action, model_label, object_id, object_repr, member_number, "
    "changes, detail, user_agent, seq, prev_hash, hash"
)


def _forged(seq: int, prev_hash: str, digest: str = FORGED, **fields) -> tuple[str, list]:
    """A plain INSERT of one event, as anyone holding the app's database login could type it."""
    row = {
        "occurred_at": timezone.now(),
        "actor_label": "mallory",
        "action": "login",
        "model_label": "",
        "object_id": "",
        "object_repr": "",
        "member_number": "",
        "changes": {},
        "detail": "",
        "user_agent": "",
        "seq": seq,
        "prev_hash": prev_hash,
        "hash": digest,
        **fields,
    }
    row["changes"] = json.dumps(row["changes"])
    placeholders = ", ".join(["%s"] * len(row))
    return f"INSERT INTO audit_auditevent ({_COLUMNS}) VALUES ({placeholders})", list(row.values())


def _head() -> tuple[int, str]:
    return AuditChainHead.objects.values_list("seq", "hash").get(pk=1)


def _refused(run) -> str:
    with pytest.raises(DatabaseError) as refusal, transaction.atomic():
        run()
    return str(refusal.value)


def _sql(statement: str, params=()):
    def run() -> None:
        with connection.cursor() as cursor:
            cursor.execute(statement, params)

    return run


@pytest.fixture
def trail(db):
    member = MemberFactory()
    member.phone = "(312) 555-0100"
    member.save()
    audit_event_record(action="export", actor_label="tests")
    return member


def test_an_event_that_does_not_follow_the_head_is_refused(trail):
    seq, digest = _head()
    for forged in (
        _forged(seq + 1, GENESIS),  # the next number, not after the head's hash
        _forged(seq + 5, digest),  # a number ahead: later appends would reach it
        _forged(seq + 1, digest, action="block_reserved", changes={"reserved": [0, 10**12]}),
    ):
        assert "refused" in _refused(_sql(*forged))
    _refused(_sql(*_forged(seq, digest)))  # a number taken (the unique index, on PostgreSQL)
    assert _head() == (seq, digest)
    audit_event_record(action="export", actor_label="tests")
    assert chain_verify().ok


def test_a_forged_event_after_the_head_jams_nothing_and_is_named(trail):
    seq, digest = _head()
    _sql(*_forged(seq + 1, digest))()  # follows the head; its own hash is made up
    # Every write after it still goes through, after it...
    trail.phone = "(312) 555-0101"
    trail.save()
    event = audit_event_record(action="login", actor_label="lucy")
    assert event.seq == seq + 3 and AuditEvent.objects.get(seq=seq + 2).prev_hash == FORGED
    assert _head() == (seq + 3, event.hash)
    # ...and verification names it.
    report = chain_verify()
    assert not report.ok
    assert report.broken.seq == seq + 1 and "content was changed" in report.broken.reason


def test_the_head_only_moves_forward(trail):
    seq, digest = _head()
    head = AuditChainHead.objects.filter(pk=1)
    assert "only moves forward" in _refused(lambda: head.update(seq=seq - 1))
    assert "only moves forward" in _refused(lambda: head.update(hash=FORGED))
    assert "never deleted" in _refused(head.delete)
    assert "one head" in _refused(lambda: AuditChainHead.objects.create(pk=2, hash=GENESIS))
    assert _head() == (seq, digest)


def test_a_checkpoint_names_an_event_of_the_chain(trail):
    seq, digest = _head()

    def checkpoint(at: int, hash_: str):
        return lambda: AuditCheckpoint.objects.create(
            seq=at, hash=hash_, verified_at=timezone.now(), events_checked=1, verified_by="x"
        )

    assert "checkpoint" in _refused(checkpoint(seq, FORGED))  # verification would fail for good
    assert "checkpoint" in _refused(checkpoint(10**9, FORGED))  # ... or check nothing
    checkpoint(seq, digest)()
    assert AuditCheckpoint.objects.get().seq == seq


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_runtime_role_cannot_move_the_head_and_a_forged_row_jams_no_login(runtime_role):
    MemberFactory()
    seq, digest = _head()
    with psycopg.connect(**runtime_role, autocommit=True) as conn:
        for statement in (
            "UPDATE audit_auditchainhead SET seq = seq - 1",
            "DELETE FROM audit_auditchainhead",
            "TRUNCATE audit_auditchainhead",
            "INSERT INTO audit_auditchainhead (id, seq, hash) VALUES (2, 0, '')",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
        # Not after the head: refused.
        with pytest.raises(psycopg.errors.CheckViolation, match="refused"):
            conn.execute(*_forged(seq + 7, digest))
        # After the head, with a made-up hash: it takes its number; nothing else is jammed.
        conn.execute(*_forged(seq + 1, digest))
        # A checkpoint that names no event of the chain: refused.
        with pytest.raises(psycopg.errors.CheckViolation, match="checkpoint"):
            conn.execute(
                "INSERT INTO audit_auditcheckpoint (seq, hash, verified_at, events_checked, "
                "verified_by) VALUES (%s, %s, now(), 1, 'mallory')",
                [seq + 1000, FORGED],
            )
    db = runtime_role
    done = run_python(
        "-c",
        "import django; django.setup()\n"
        "from django.test import Client\n"
        "from audit.chain import chain_verify\n"
        "from members.tests.factories import PASSWORD, UserFactory\n"
        "user = UserFactory(username='lucy')\n"
        "answer = Client().post('/accounts/login/', {'username': 'lucy', 'password': PASSWORD})\n"
        "print(answer.status_code, chain_verify().broken)\n",
        env={
            "DATABASE_URL": f"postgres://{db['user']}@{db['host']}:{db['port']}/{db['dbname']}",
            "SECRET_KEY": "tests-only",
            "ALLOWED_HOSTS": "testserver",
            "SECURE_SSL_REDIRECT": "0",
        },
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == (
        f"302 The trail is broken at seq {seq + 1} (event "
        f"#{AuditEvent.objects.get(seq=seq + 1).pk}): its content was changed"
    )
    assert AuditEvent.objects.filter(action="login", actor_label="lucy", seq__gt=seq + 1).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_block_is_filled_only_by_the_transaction_that_reserved_it(runtime_role):
    """Someone else's reservation: the thief's rows for it are refused, so they cannot
    take the numbers its owner will write."""
    events_written(AuditEvent(occurred_at=timezone.now(), actor_label="tests", action="export"))
    seq, digest = _head()
    reservation = {
        "occurred_at": timezone.now(),
        "actor_id": None,
        "actor_label": "import_members",
        "action": "block_reserved",
        "model_label": "",
        "object_id": "123456",  # the transaction that may fill it
        "object_repr": "",
        "member_id": None,
        "member_number": "",
        "changes": {"reserved": [seq + 2, seq + 3]},
        "detail": "",
        "ip_address": None,
        "user_agent": "",
        "history_id": None,
        "seq": seq + 1,
    }
    reserved_hash = event_hash(digest, reservation)
    block_event = {**reservation, "action": "login", "changes": {}, "seq": seq + 2}
    block_hash = event_hash(reserved_hash, block_event)
    with psycopg.connect(**runtime_role, autocommit=True) as conn:
        conn.execute(
            *_forged(
                seq + 1,
                digest,
                reserved_hash,
                **{k: reservation[k] for k in ("occurred_at", "actor_label", "action")},
                object_id="123456",
                changes=reservation["changes"],
            )
        )
        with conn.transaction():
            conn.execute("SET LOCAL audit.filling_block = 'on'")
            with pytest.raises(psycopg.errors.CheckViolation, match="reserved"):
                conn.execute(*_forged(seq + 2, reserved_hash, block_hash))
    assert _head() == (seq + 3, reserved_hash)  # the head moved past the block
    event = audit_event_record(action="export", actor_label="tests")
    assert event.seq == seq + 4 and event.prev_hash == reserved_hash
    assert chain_verify().ok  # an empty block: its transaction never wrote it

    # The owner fills it behind the app's back, every hash right: no seal names it.
    second = {**block_event, "seq": seq + 3}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER USER")
        for values, prev in ((block_event, reserved_hash), (second, block_hash)):
            cursor.execute(
                *_forged(
                    values["seq"],
                    prev,
                    event_hash(prev, values),
                    **{k: values[k] for k in ("occurred_at", "actor_label", "object_id")},
                )
            )
        cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER USER")
    report = chain_verify()
    assert report.broken.seq == seq + 2
    assert report.broken.reason == (
        f"events {seq + 2} to {seq + 3} fill the block reserved at event {seq + 1}, but no "
        "event says they were written"
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_first_writers_of_an_empty_trail_both_write(race):
    # A new install: no event yet, and no head (taken away behind the guard's back).
    table = AuditChainHead._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        cursor.execute(f"DELETE FROM {table}")
        cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
    assert not AuditChainHead.objects.exists() and not AuditEvent.objects.exists()

    def first_event():
        with transaction.atomic():
            audit_event_record(action="export", actor_label="tests")

    _, errors = race(first_event, times=4)
    assert errors == []
    assert AuditEvent.objects.count() == 4
    assert _head()[0] == 4
    assert chain_verify().ok
