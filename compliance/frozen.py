"""A published eligibility list is frozen by the database itself: its row and its entries
refuse UPDATE and DELETE once `published_at` is set (PostgreSQL and SQLite triggers,
installed by migration 0002; on SQLite again after every `migrate`, since SQLite drops a
table's triggers when it rebuilds the table)."""

from __future__ import annotations

from django.db.backends.base.base import BaseDatabaseWrapper

_MESSAGE = "A published eligibility list is frozen (LMRDA election records): it cannot change."

POSTGRES = [
    f"""
CREATE OR REPLACE FUNCTION compliance_list_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'compliance_eligibilitylist' THEN
        IF OLD.published_at IS NOT NULL THEN RAISE EXCEPTION '{_MESSAGE}'; END IF;
    ELSIF EXISTS (SELECT 1 FROM compliance_eligibilitylist l
                  WHERE l.id = OLD.eligibility_list_id AND l.published_at IS NOT NULL) THEN
        RAISE EXCEPTION '{_MESSAGE}';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END $$""",
    "CREATE TRIGGER compliance_list_frozen BEFORE UPDATE OR DELETE ON compliance_eligibilitylist "
    "FOR EACH ROW EXECUTE FUNCTION compliance_list_frozen()",
    "CREATE TRIGGER compliance_entry_frozen BEFORE UPDATE OR DELETE ON compliance_eligibilityentry "
    "FOR EACH ROW EXECUTE FUNCTION compliance_list_frozen()",
]
POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS compliance_list_frozen ON compliance_eligibilitylist",
    "DROP TRIGGER IF EXISTS compliance_entry_frozen ON compliance_eligibilityentry",
    "DROP FUNCTION IF EXISTS compliance_list_frozen()",
]
# SQLite: the same, asking audit_guard_on() so that the test database can be flushed.
SQLITE = [
    f"""CREATE TRIGGER IF NOT EXISTS compliance_list_frozen_{op.lower()}
BEFORE {op} ON compliance_eligibilitylist FOR EACH ROW
WHEN OLD.published_at IS NOT NULL AND audit_guard_on()
BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END"""
    for op in ("UPDATE", "DELETE")
] + [
    f"""CREATE TRIGGER IF NOT EXISTS compliance_entry_frozen_{op.lower()}
BEFORE {op} ON compliance_eligibilityentry FOR EACH ROW
WHEN audit_guard_on() AND EXISTS (SELECT 1 FROM compliance_eligibilitylist l
    WHERE l.id = OLD.eligibility_list_id AND l.published_at IS NOT NULL)
BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END"""
    for op in ("UPDATE", "DELETE")
]
SQLITE_REVERSE = [
    f"DROP TRIGGER IF EXISTS compliance_{table}_frozen_{op}"
    for table in ("list", "entry")
    for op in ("update", "delete")
]


def ensure_sqlite_frozen(connection: BaseDatabaseWrapper) -> None:
    """Install again any freeze trigger a SQLite table rebuild dropped."""
    tables = set(connection.introspection.table_names())
    if {"compliance_eligibilitylist", "compliance_eligibilityentry"} <= tables:
        with connection.cursor() as cursor:
            for statement in SQLITE:
                cursor.execute(statement)
