"""A published eligibility list takes no new entry (INSERT) and no entry moved into it
(an UPDATE of its list), and no list is inserted already published; a submitted per-capita
report is frozen, its lines and roll-forward changes too, but for being marked paid. The
triggers are compliance/frozen.py's; going back puts migration 0002's in their place."""

from importlib import import_module

from django.db import migrations

from compliance.frozen import POSTGRES, POSTGRES_REVERSE, SQLITE, SQLITE_REVERSE

_0002 = import_module("compliance.migrations.0002_append_only")


def run_sql(statements: dict):
    def run(apps, schema_editor) -> None:
        for sql in statements[schema_editor.connection.vendor]:
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("compliance", "0003_default_policy")]

    operations = [
        migrations.RunPython(
            run_sql({"postgresql": POSTGRES, "sqlite": SQLITE}),
            run_sql(
                {
                    "postgresql": POSTGRES_REVERSE + _0002.POSTGRES,
                    "sqlite": SQLITE_REVERSE + _0002.SQLITE,
                }
            ),
        ),
    ]
