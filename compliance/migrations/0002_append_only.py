"""Governance's history tables are append-only (audit/append_only.py), and a published
eligibility list is frozen by the database itself: its row and its entries refuse UPDATE
and DELETE once `published_at` is set. (This migration's SQL is written out here, as it
ran; migration 0004 replaces it with compliance/frozen.py's, which also refuses INSERT into
a published list and freezes submitted per-capita reports.)"""

from django.db import migrations

from audit.append_only import AppendOnly

HISTORY = [
    f"compliance_historical{model}"
    for model in (
        "arrearspolicy",
        "standingchange",
        "standinghold",
        "eligibilitylist",
        "inspection",
        "affiliate",
        "percapitarate",
        "percapitareport",
        "fiscalyear",
    )
]

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


def run_sql(statements: dict):
    def run(apps, schema_editor) -> None:
        for sql in statements[schema_editor.connection.vendor]:
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("compliance", "0001_initial"),
        ("audit", "0001_initial"),
    ]

    operations = [
        *(AppendOnly(table) for table in HISTORY),
        migrations.RunPython(
            run_sql({"postgresql": POSTGRES, "sqlite": SQLITE}),
            run_sql({"postgresql": POSTGRES_REVERSE, "sqlite": SQLITE_REVERSE}),
        ),
    ]
