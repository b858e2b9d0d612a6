"""What governance has published or sent is frozen by the database itself, whoever asks
(the app, a migration, someone at a psql prompt with the app's login):

- An eligibility list once published (`published_at` set): its row and its entries refuse
  UPDATE and DELETE; no entry is added to it (INSERT) or moved into it (an UPDATE of an
  entry's list); and no list is born published: a list is published by publishing it, its
  snapshot and hash made from its own entries.
- A per-capita report once submitted to its affiliate: nothing in it changes but the one
  step left, submitted to paid (its status and `paid_on`, nothing else); its lines and its
  roll-forward changes refuse INSERT, UPDATE and DELETE; and no report is born submitted
  or paid (only a draft whose roll-forward holds is submitted, by the service).

PostgreSQL: row triggers, and for new entries one statement trigger (a list is the whole
local, written by COPY: one check per statement, not one per row). A trigger that looks
at a list or a report locks it FOR SHARE first, then looks: publishing or submitting
(which lock it FOR UPDATE) waits for a writer already at work on it, and a writer that
comes during publication waits, then finds it published. Without the lock, a row written
meanwhile would commit beside a snapshot taken without it.

SQLite: row triggers (one writer at a time: no race), installed by migration 0004 and again
after every `migrate` (SQLite drops a table's triggers when it rebuilds the table, and the
definitions here are the current ones). Those refusing UPDATE and DELETE ask
`audit_guard_on()`, so that a test database can be flushed (audit/append_only.py).
"""

from __future__ import annotations

from importlib import import_module

from django.db.backends.base.base import BaseDatabaseWrapper

LIST_FROZEN = "A published eligibility list is frozen (LMRDA election records): it cannot change."
LIST_BORN_DRAFT = (
    "An eligibility list is published only by publishing it (its snapshot and hash are made "
    "from its own entries): it cannot be inserted already published."
)
REPORT_FROZEN = (
    "A submitted per-capita report is frozen (it was sent to the affiliate): it cannot "
    "change, except to be marked paid."
)
REPORT_BORN_DRAFT = (
    "A per-capita report is submitted only from a draft whose roll-forward holds: it cannot "
    "be inserted already submitted or paid."
)

# What the step from submitted to paid may not change: every column but these two. (A test
# holds this list to the model's; on PostgreSQL the trigger compares the whole row.)
REPORT_PAID_CHANGES = ("status", "paid_on")
REPORT_KEPT_COLUMNS = (
    "id",
    "affiliate_id",
    "year",
    "month",
    "count",
    "amount",
    "previous_count",
    "added",
    "dropped",
    "worked_out_at",
    "submitted_at",
    "submitted_by_id",
)

_PARTS = ("compliance_percapitaline", "compliance_percapitachange")

POSTGRES = [
    # Lock the lists (or reports), then look at them: see the module docstring.
    """
CREATE OR REPLACE FUNCTION compliance_list_published(list_ids bigint[]) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM compliance_eligibilitylist WHERE id = ANY(list_ids) FOR SHARE;
    RETURN EXISTS (SELECT 1 FROM compliance_eligibilitylist
                   WHERE id = ANY(list_ids) AND published_at IS NOT NULL);
END $$""",
    """
CREATE OR REPLACE FUNCTION compliance_report_sent(report_ids bigint[]) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM compliance_percapitareport WHERE id = ANY(report_ids) FOR SHARE;
    RETURN EXISTS (SELECT 1 FROM compliance_percapitareport
                   WHERE id = ANY(report_ids) AND status <> 'draft');
END $$""",
    f"""
CREATE OR REPLACE FUNCTION compliance_list_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'compliance_eligibilitylist' THEN
        IF TG_OP = 'INSERT' THEN
            IF NEW.published_at IS NOT NULL THEN RAISE EXCEPTION '{LIST_BORN_DRAFT}'; END IF;
        ELSIF OLD.published_at IS NOT NULL THEN
            RAISE EXCEPTION '{LIST_FROZEN}';
        END IF;
    ELSIF TG_OP = 'UPDATE' THEN
        IF compliance_list_published(ARRAY[OLD.eligibility_list_id, NEW.eligibility_list_id])
        THEN RAISE EXCEPTION '{LIST_FROZEN}'; END IF;
    ELSIF compliance_list_published(ARRAY[OLD.eligibility_list_id]) THEN
        RAISE EXCEPTION '{LIST_FROZEN}';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END $$""",
    f"""
CREATE OR REPLACE FUNCTION compliance_entries_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF compliance_list_published(ARRAY(SELECT DISTINCT eligibility_list_id FROM added)) THEN
        RAISE EXCEPTION '{LIST_FROZEN}';
    END IF;
    RETURN NULL;
END $$""",
    f"""
CREATE OR REPLACE FUNCTION compliance_report_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'compliance_percapitareport' THEN
        IF TG_OP = 'INSERT' THEN
            IF NEW.status <> 'draft' THEN RAISE EXCEPTION '{REPORT_BORN_DRAFT}'; END IF;
        ELSIF OLD.status <> 'draft' THEN
            IF TG_OP = 'DELETE' THEN RAISE EXCEPTION '{REPORT_FROZEN}'; END IF;
            IF NOT (OLD.status = 'submitted' AND NEW.status = 'paid'
                    AND to_jsonb(OLD) - 'status' - 'paid_on'
                        = to_jsonb(NEW) - 'status' - 'paid_on') THEN
                RAISE EXCEPTION '{REPORT_FROZEN}';
            END IF;
        END IF;
    ELSIF TG_OP = 'INSERT' THEN
        IF compliance_report_sent(ARRAY[NEW.report_id]) THEN
            RAISE EXCEPTION '{REPORT_FROZEN}';
        END IF;
    ELSIF TG_OP = 'UPDATE' THEN
        IF compliance_report_sent(ARRAY[OLD.report_id, NEW.report_id]) THEN
            RAISE EXCEPTION '{REPORT_FROZEN}';
        END IF;
    ELSIF compliance_report_sent(ARRAY[OLD.report_id]) THEN
        RAISE EXCEPTION '{REPORT_FROZEN}';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END $$""",
    "DROP TRIGGER IF EXISTS compliance_list_frozen ON compliance_eligibilitylist",
    "CREATE TRIGGER compliance_list_frozen BEFORE INSERT OR UPDATE OR DELETE "
    "ON compliance_eligibilitylist FOR EACH ROW EXECUTE FUNCTION compliance_list_frozen()",
    "DROP TRIGGER IF EXISTS compliance_entry_frozen ON compliance_eligibilityentry",
    "CREATE TRIGGER compliance_entry_frozen BEFORE UPDATE OR DELETE "
    "ON compliance_eligibilityentry FOR EACH ROW EXECUTE FUNCTION compliance_list_frozen()",
    "DROP TRIGGER IF EXISTS compliance_entry_added ON compliance_eligibilityentry",
    "CREATE TRIGGER compliance_entry_added AFTER INSERT ON compliance_eligibilityentry "
    "REFERENCING NEW TABLE AS added FOR EACH STATEMENT "
    "EXECUTE FUNCTION compliance_entries_added()",
    *(
        statement
        for table in ("compliance_percapitareport", *_PARTS)
        for statement in (
            f"DROP TRIGGER IF EXISTS {table}_frozen ON {table}",
            f"CREATE TRIGGER {table}_frozen BEFORE INSERT OR UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION compliance_report_frozen()",
        )
    ),
]
POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS compliance_list_frozen ON compliance_eligibilitylist",
    "DROP TRIGGER IF EXISTS compliance_entry_frozen ON compliance_eligibilityentry",
    "DROP TRIGGER IF EXISTS compliance_entry_added ON compliance_eligibilityentry",
    *(
        f"DROP TRIGGER IF EXISTS {table}_frozen ON {table}"
        for table in ("compliance_percapitareport", *_PARTS)
    ),
    "DROP FUNCTION IF EXISTS compliance_list_frozen()",
    "DROP FUNCTION IF EXISTS compliance_entries_added()",
    "DROP FUNCTION IF EXISTS compliance_report_frozen()",
    "DROP FUNCTION IF EXISTS compliance_list_published(bigint[])",
    "DROP FUNCTION IF EXISTS compliance_report_sent(bigint[])",
]


def _sqlite_trigger(name: str, when: str, table: str, condition: str, message: str) -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS {name}",
        f"CREATE TRIGGER {name} BEFORE {when} ON {table} FOR EACH ROW WHEN {condition} "
        f"BEGIN SELECT RAISE(ABORT, '{message}'); END",
    ]


def _published(*lists: str) -> str:
    return (
        "EXISTS (SELECT 1 FROM compliance_eligibilitylist l "
        f"WHERE l.id IN ({', '.join(lists)}) AND l.published_at IS NOT NULL)"
    )


def _sent(*reports: str) -> str:
    return (
        "EXISTS (SELECT 1 FROM compliance_percapitareport r "
        f"WHERE r.id IN ({', '.join(reports)}) AND r.status <> 'draft')"
    )


_PAID_ONLY = "OLD.status = 'submitted' AND NEW.status = 'paid' AND " + " AND ".join(
    f"OLD.{column} IS NEW.{column}" for column in REPORT_KEPT_COLUMNS
)

# (trigger name, operation, table, condition, message). No guard on INSERT: a flush
# inserts nothing.
_SQLITE_TRIGGERS = [
    (
        "compliance_list_frozen_insert",
        "INSERT",
        "compliance_eligibilitylist",
        "NEW.published_at IS NOT NULL",
        LIST_BORN_DRAFT,
    ),
    *(
        (
            f"compliance_list_frozen_{op.lower()}",
            op,
            "compliance_eligibilitylist",
            "OLD.published_at IS NOT NULL AND audit_guard_on()",
            LIST_FROZEN,
        )
        for op in ("UPDATE", "DELETE")
    ),
    (
        "compliance_entry_frozen_insert",
        "INSERT",
        "compliance_eligibilityentry",
        _published("NEW.eligibility_list_id"),
        LIST_FROZEN,
    ),
    (
        "compliance_entry_frozen_update",
        "UPDATE",
        "compliance_eligibilityentry",
        "audit_guard_on() AND " + _published("OLD.eligibility_list_id", "NEW.eligibility_list_id"),
        LIST_FROZEN,
    ),
    (
        "compliance_entry_frozen_delete",
        "DELETE",
        "compliance_eligibilityentry",
        "audit_guard_on() AND " + _published("OLD.eligibility_list_id"),
        LIST_FROZEN,
    ),
    (
        "compliance_report_frozen_insert",
        "INSERT",
        "compliance_percapitareport",
        "NEW.status <> 'draft'",
        REPORT_BORN_DRAFT,
    ),
    (
        "compliance_report_frozen_update",
        "UPDATE",
        "compliance_percapitareport",
        f"OLD.status <> 'draft' AND audit_guard_on() AND NOT ({_PAID_ONLY})",
        REPORT_FROZEN,
    ),
    (
        "compliance_report_frozen_delete",
        "DELETE",
        "compliance_percapitareport",
        "OLD.status <> 'draft' AND audit_guard_on()",
        REPORT_FROZEN,
    ),
    *(
        trigger
        for table in _PARTS
        for trigger in (
            (f"{table}_frozen_insert", "INSERT", table, _sent("NEW.report_id"), REPORT_FROZEN),
            (
                f"{table}_frozen_update",
                "UPDATE",
                table,
                "audit_guard_on() AND " + _sent("OLD.report_id", "NEW.report_id"),
                REPORT_FROZEN,
            ),
            (
                f"{table}_frozen_delete",
                "DELETE",
                table,
                "audit_guard_on() AND " + _sent("OLD.report_id"),
                REPORT_FROZEN,
            ),
        )
    ),
]
SQLITE = [statement for trigger in _SQLITE_TRIGGERS for statement in _sqlite_trigger(*trigger)]
SQLITE_REVERSE = [f"DROP TRIGGER IF EXISTS {trigger[0]}" for trigger in _SQLITE_TRIGGERS]


def ensure_sqlite_frozen(connection: BaseDatabaseWrapper) -> None:
    """Install again the freeze triggers of the latest freezing migration applied (a SQLite
    table rebuild drops a table's triggers): these, from 0004 on; 0002's before it."""
    from django.db.migrations.recorder import MigrationRecorder

    applied = MigrationRecorder(connection).applied_migrations()
    if ("compliance", "0004_frozen_inserts") in applied:
        statements = SQLITE
    elif ("compliance", "0002_append_only") in applied:
        statements = import_module("compliance.migrations.0002_append_only").SQLITE
    else:
        return
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
