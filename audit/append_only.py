"""Append-only tables: the database itself refuses to rewrite the audit trail.

Membership and financial records must be kept, unaltered, for at least five years after
the annual report that they support is filed (LMRDA section 206, 29 U.S.C. 436); Union
Hall keeps them for good. Every history table and the audit event table therefore get
triggers that refuse UPDATE and DELETE, whoever asks: the application, a migration, or
someone at a psql prompt.

- PostgreSQL: row triggers refuse UPDATE and DELETE; a statement trigger refuses
  TRUNCATE, except in a database whose name starts with `test_` (Django's throwaway test
  databases, which are emptied with TRUNCATE between tests).
- SQLite (the quickstart): row triggers refuse UPDATE and DELETE. SQLite has no TRUNCATE;
  Django's test flush is a DELETE, so the triggers ask `audit_guard_on()`, a function each
  connection registers, which answers "off" only while `flush_allowed_in_tests()` is active on
  an in-memory or `test_` database (the test suite uses it around Django's flush). A tool
  that does not register the function gets "no such function": refused all the same.
  SQLite rebuilds a table to alter it, which drops its triggers, so after every `migrate`
  the triggers are installed again on every append-only table (`ensure_sqlite_triggers`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.apps import apps as global_apps
from django.db import migrations
from django.db.backends.base.base import BaseDatabaseWrapper

REASON = (
    "Audit records are append-only: {operation} on {table} is refused. Membership and "
    "financial records must be kept unaltered (LMRDA record keeping, 29 U.S.C. 436)."
)

# The trigger functions; made once by audit's first migration. (% is plpgsql's placeholder.)
POSTGRES_FUNCTIONS = f"""
CREATE OR REPLACE FUNCTION audit_refuse_rewrite() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{REASON.format(operation="%", table="%")}', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END
$$;
CREATE OR REPLACE FUNCTION audit_refuse_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Django empties its throwaway test databases (test_<name>) with TRUNCATE.
    IF current_database() LIKE 'test\\_%' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION '{REASON.format(operation="TRUNCATE", table="%")}', TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END
$$;
"""
POSTGRES_FUNCTIONS_REVERSE = """
DROP FUNCTION IF EXISTS audit_refuse_rewrite() CASCADE;
DROP FUNCTION IF EXISTS audit_refuse_truncate() CASCADE;
"""


def postgres_trigger_sql(table: str) -> list[str]:
    return [
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION audit_refuse_rewrite()",
        f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_truncate()",
    ]


def postgres_trigger_reverse_sql(table: str) -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
        f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}",
    ]


def sqlite_trigger_sql(table: str) -> list[str]:
    return [
        f"CREATE TRIGGER IF NOT EXISTS {table}_no_{operation.lower()} "
        f"BEFORE {operation} ON {table} WHEN audit_guard_on() "
        f"BEGIN SELECT RAISE(ABORT, '{REASON.format(operation=operation, table=table)}'); END"
        for operation in ("UPDATE", "DELETE")
    ]


def sqlite_trigger_reverse_sql(table: str) -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS {table}_no_{operation.lower()}"
        for operation in ("UPDATE", "DELETE")
    ]


class AppendOnly(migrations.operations.base.Operation):
    """Migration operation: make `table` append-only (reversible)."""

    reversible = True

    def __init__(self, table: str):
        self.table = table

    def deconstruct(self):
        return (self.__class__.__qualname__, [self.table], {})

    def state_forwards(self, app_label, state) -> None:
        pass

    def database_forwards(self, app_label, schema_editor, from_state, to_state) -> None:
        vendor = schema_editor.connection.vendor
        if vendor == "postgresql":
            statements = postgres_trigger_sql(self.table)
        elif vendor == "sqlite":
            statements = sqlite_trigger_sql(self.table)
        else:
            raise NotImplementedError(f"No append-only triggers for {vendor}.")
        for statement in statements:
            schema_editor.execute(statement)

    def database_backwards(self, app_label, schema_editor, from_state, to_state) -> None:
        vendor = schema_editor.connection.vendor
        reverse = (
            postgres_trigger_reverse_sql if vendor == "postgresql" else sqlite_trigger_reverse_sql
        )
        for statement in reverse(self.table):
            schema_editor.execute(statement)

    def describe(self) -> str:
        return f"Refuse UPDATE and DELETE on {self.table}"

    @property
    def migration_name_fragment(self) -> str:
        return f"append_only_{self.table}"


def append_only_tables() -> list[str]:
    """Every table the law wants kept: each history model's, the audit events', the
    trail's verified checkpoints, and any model that says it is a record (`APPEND_ONLY`,
    as the hiring hall's registration events)."""
    from simple_history.models import HistoricalChanges

    kept = {"audit.AuditEvent", "audit.AuditCheckpoint"}
    return sorted(
        model._meta.db_table
        for model in global_apps.get_models()
        if issubclass(model, HistoricalChanges)
        or model._meta.label in kept
        or getattr(model, "APPEND_ONLY", False)
    )


def ensure_sqlite_triggers(connection: BaseDatabaseWrapper) -> None:
    """Install again any SQLite trigger that a table rebuild dropped (the chain's own too,
    audit/chain_guard.py, once its migration is applied)."""
    from django.db.migrations.recorder import MigrationRecorder

    from .chain_guard import chain_guard_installed

    existing = set(connection.introspection.table_names())
    with connection.cursor() as cursor:
        for table in append_only_tables():
            if table in existing:
                for statement in sqlite_trigger_sql(table):
                    cursor.execute(statement)
    if ("audit", "0005_chain_guarded") in MigrationRecorder(connection).applied_migrations():
        chain_guard_installed(connection)


# --- SQLite's guard function -------------------------------------------------------

_flush = threading.local()


def register_sqlite_guard(connection: BaseDatabaseWrapper) -> None:
    name = str(connection.settings_dict["NAME"])
    is_test_db = connection.creation.is_in_memory_db(name) or Path(name).name.startswith("test_")

    def audit_guard_on() -> int:
        return 0 if is_test_db and getattr(_flush, "active", False) else 1

    connection.connection.create_function("audit_guard_on", 0, audit_guard_on)


@contextmanager
def flush_allowed_in_tests() -> Iterator[None]:
    """Let Django empty a SQLite *test* database between tests (see the module docstring)."""
    _flush.active = True
    try:
        yield
    finally:
        _flush.active = False
