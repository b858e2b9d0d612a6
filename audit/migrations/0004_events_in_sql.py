"""The PostgreSQL functions of the set-based trail (audit/in_sql.py)."""

from django.db import migrations

from audit.in_sql import POSTGRES_FUNCTIONS, POSTGRES_FUNCTIONS_REVERSE


def functions_made(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_FUNCTIONS)


def functions_dropped(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_FUNCTIONS_REVERSE)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_object_id_index")]

    operations = [migrations.RunPython(functions_made, functions_dropped)]
