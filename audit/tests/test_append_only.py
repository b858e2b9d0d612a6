"""The database refuses to rewrite the trail: every history table and the audit table."""

from __future__ import annotations

import datetime
import decimal
import uuid

import psycopg
import pytest
from django.apps import apps
from django.db import DatabaseError, connection, models, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone
from simple_history.models import HistoricalChanges

from audit.append_only import (
    POSTGRES_FUNCTIONS,
    append_only_tables,
    postgres_trigger_sql,
)
from audit.models import AuditCheckpoint, AuditEvent
from audit.tests.factories import events_written

pytestmark = pytest.mark.django_db

APPEND_ONLY_MODELS = [
    model
    for model in apps.get_models()
    if issubclass(model, HistoricalChanges)
    or model in (AuditEvent, AuditCheckpoint)
    or getattr(model, "APPEND_ONLY", False)
]


def test_the_walk_finds_every_history_model():
    labels = {model._meta.label for model in APPEND_ONLY_MODELS}
    assert {
        "members.HistoricalMember",
        "members.HistoricalClassification",
        "audit.AuditEvent",
        "referral.RegistrationEvent",
    } <= labels
    assert sorted(m._meta.db_table for m in APPEND_ONLY_MODELS) == append_only_tables()


def _sample(field: models.Field):
    if field.choices:
        return field.choices[0][0]
    samples = {
        "DateField": datetime.date(2026, 1, 2),
        "DateTimeField": timezone.now(),
        "TimeField": datetime.time(7, 0),
        "DecimalField": decimal.Decimal("1.00"),
        "BooleanField": False,
        "JSONField": {},
        "GenericIPAddressField": "127.0.0.1",
        "UUIDField": uuid.uuid4(),
        "EmailField": "x@example.org",
    }
    kind = field.get_internal_type()
    if kind in samples:
        return samples[kind]
    if "Integer" in kind or kind in {"ForeignKey", "OneToOneField", "AutoField"}:
        return 1
    return "x"


def _one_row(model: type[models.Model]) -> models.Model:
    """Any row will do: the triggers refuse to touch rows, whatever they hold. (The trail's
    own rows must join the chain to be written at all: audit/chain_guard.py.)"""
    if model is AuditEvent:
        return events_written(
            AuditEvent(occurred_at=timezone.now(), actor_label="x", action="export")
        )[0]
    if model is AuditCheckpoint:
        event = _one_row(AuditEvent)
        return AuditCheckpoint.objects.create(
            seq=event.seq,
            hash=event.hash,
            verified_at=timezone.now(),
            events_checked=1,
            verified_by="x",
        )
    if model._meta.label == "referral.RegistrationEvent":
        return _registration_event()
    if model._meta.label == "referral.CheckMark":
        return _check_mark()
    if model._meta.label == "referral.ReferralLine":
        return _referral_line()
    values = {
        field.attname: _sample(field)
        for field in model._meta.concrete_fields
        if not (field.primary_key or field.null or field.has_default())
    }
    return model.objects.create(**values)


def _registration_event() -> models.Model:
    """A hiring hall event, by the service that writes them: its rows name a registration."""
    from members.tests.factories import MemberFactory
    from referral.services import registration_register
    from referral.tests.factories import BookFactory, rules_in_force

    rules_in_force()
    registration = registration_register(member=MemberFactory(), book=BookFactory(), actor="x")
    return registration.events.get()


def _check_mark() -> models.Model:
    """A hiring hall check mark, by its service: it names a registration too."""
    from referral.services import registration_check_mark

    registration = _registration_event().registration
    return registration_check_mark(
        registration=registration, day=timezone.localdate(), reason="refused", actor="x"
    )


def _referral_line() -> models.Model:
    """A morning referral's line, by the run that decides them: one offer."""
    from checkoff.tests.factories import EmployerFactory
    from referral.services import labor_request_receive, referral_run_propose

    registration = _registration_event().registration
    labor_request = labor_request_receive(
        employer=EmployerFactory(),
        book=registration.book,
        positions=1,
        start_on=timezone.localdate() + datetime.timedelta(days=7),
        start_at=datetime.time(7, 0),
        worksite="x",
        report_to="x",
        wage=decimal.Decimal("50.00"),
        requirements=[],
        short_call=False,
        agreement_type="standard",
        actor="x",
    )
    # Its referral day come, after the bidding window (closed at midnight here: any hour).
    labor_request.referral_day = timezone.localdate()
    labor_request.save()
    labor_request.rule_set.bidding_closes = datetime.time(0, 0)
    labor_request.rule_set.save()
    run = referral_run_propose(actor="x")
    return run.lines.get()


def _refused(run) -> str:
    with pytest.raises(DatabaseError) as refusal, transaction.atomic():
        run()
    return str(refusal.value)


@pytest.mark.parametrize("model", APPEND_ONLY_MODELS, ids=lambda m: m._meta.label)
def test_orm_update_and_delete_are_refused(model):
    row = _one_row(model)
    rows = model.objects.filter(pk=row.pk)
    # A text field where it has one; a count otherwise (a referral run's line).
    changed = next(
        (
            {f.name: "z"}
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField) and not f.choices and not f.primary_key
        ),
        None,
    ) or {"order": 2}

    message = _refused(lambda: rows.update(**changed))
    assert "append-only" in message
    assert "LMRDA" in message
    assert "append-only" in _refused(rows.delete)
    assert "append-only" in _refused(row.delete)
    assert model.objects.filter(pk=row.pk).exists()


@pytest.mark.parametrize("model", APPEND_ONLY_MODELS, ids=lambda m: m._meta.label)
def test_raw_sql_update_and_delete_are_refused(model):
    row = _one_row(model)
    table, pk = model._meta.db_table, model._meta.pk.column

    def raw(sql: str):
        def run():
            with connection.cursor() as cursor:
                cursor.execute(sql, [row.pk])

        return run

    assert "append-only" in _refused(raw(f"UPDATE {table} SET {pk} = {pk} WHERE {pk} = %s"))
    assert "append-only" in _refused(raw(f"DELETE FROM {table} WHERE {pk} = %s"))
    assert model.objects.filter(pk=row.pk).exists()


@pytest.mark.postgres
def test_truncate_is_refused_outside_a_test_database():
    """On a database not named test_*, the same trigger SQL refuses TRUNCATE."""
    settings = connection.settings_dict
    server = {"host": settings["HOST"], "port": settings["PORT"], "user": settings["USER"]}
    if settings["PASSWORD"]:
        server["password"] = settings["PASSWORD"]
    name = f"unionhall_truncate_probe_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        with psycopg.connect(dbname=name, autocommit=True, **server) as probe:
            probe.execute(POSTGRES_FUNCTIONS)
            probe.execute("CREATE TABLE kept_records (id int)")
            probe.execute("INSERT INTO kept_records VALUES (1)")
            for statement in postgres_trigger_sql("kept_records"):
                probe.execute(statement)
            with pytest.raises(psycopg.errors.RestrictViolation, match="append-only"):
                probe.execute("TRUNCATE kept_records")
            assert probe.execute("SELECT count(*) FROM kept_records").fetchone() == (1,)
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
            admin.execute(f"DROP DATABASE {name}")


@pytest.mark.postgres
def test_truncate_is_allowed_in_djangos_test_database_for_its_flush():
    assert connection.settings_dict["NAME"].startswith("test_")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_trigger WHERE tgname = 'audit_auditevent_no_truncate'"
        )
        assert cursor.fetchone() == (1,)
        # The trigger fires per statement, rows or none; here it lets the statement through.
        cursor.execute("TRUNCATE audit_auditevent")


@pytest.mark.postgres
def test_the_trigger_migrations_reverse_cleanly_and_apply_again():
    executor = MigrationExecutor(connection)
    executor.migrate([("members", "0003_search_indexes"), ("audit", None)])
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_trigger WHERE tgname LIKE '%%append_only%%'")
        assert cursor.fetchone() == (0,)
        cursor.execute("SELECT count(*) FROM pg_proc WHERE proname LIKE 'audit_refuse%%'")
        assert cursor.fetchone() == (0,)

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    row = _one_row(AuditEvent)
    assert "append-only" in _refused(AuditEvent.objects.filter(pk=row.pk).delete)
