"""Trigram indexes for the admin's member search, on PostgreSQL.

The admin searches with `icontains`, which PostgreSQL runs as
`UPPER(col::text) LIKE UPPER('%term%')`: a b-tree cannot serve a leading wildcard, a
trigram GIN index on that same expression can. SQLite (the quickstart) has no such
index type and gets none; a few hundred demo members scan in no time.
"""

from django.db import migrations

SEARCHED_COLUMNS = ("member_number", "first_name", "last_name", "email")


def _index_name(column: str) -> str:
    return f"member_{column}_trgm_idx"


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column in SEARCHED_COLUMNS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {_index_name(column)} ON members_member "
            f"USING gin ((UPPER({column}::text)) gin_trgm_ops)"
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in SEARCHED_COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS {_index_name(column)}")


class Migration(migrations.Migration):
    dependencies = [("members", "0002_roles")]

    operations = [migrations.RunPython(create_indexes, drop_indexes)]
