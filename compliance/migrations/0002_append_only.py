"""Governance's history tables are append-only (audit/append_only.py), and a published
eligibility list is frozen by the database itself: its row and its entries refuse UPDATE
and DELETE once `published_at` is set."""

from django.db import migrations

from audit.append_only import AppendOnly
from compliance.frozen import POSTGRES, POSTGRES_REVERSE, SQLITE, SQLITE_REVERSE

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


def _run(statements: dict):
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
            _run({"postgresql": POSTGRES, "sqlite": SQLITE}),
            _run({"postgresql": POSTGRES_REVERSE, "sqlite": SQLITE_REVERSE}),
        ),
    ]
