"""Least privilege: the application runs as a PostgreSQL role that owns no table.

The triggers stop the application from rewriting the trail, but not a table's owner: an
owner may `ALTER TABLE ... DISABLE TRIGGER`, and a superuser may also
`SET session_replication_role = replica`, which silences every trigger. So migrations run
as the owner, and the app runs as a role that can read and write the data, may only
INSERT into (and read) the append-only tables, and owns nothing: it cannot disable a
trigger, truncate, or change its replication role.
"""

from __future__ import annotations

from psycopg import sql

from .append_only import append_only_tables


def runtime_role_statements(
    role: str, *, password: str | None, database: str
) -> list[sql.Composed]:
    """The SQL that creates (or updates) the runtime role and grants it what the app needs.
    Idempotent: run it again after each migration, for the tables it added."""
    name = sql.Identifier(role)
    create = sql.SQL(
        "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {literal}) THEN "
        "CREATE ROLE {name} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION "
        "NOBYPASSRLS; END IF; END $$"
    ).format(literal=sql.Literal(role), name=name)
    statements = [
        create,
        sql.SQL(
            "ALTER ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"
        ).format(name),
    ]
    if password:
        statements.append(sql.SQL("ALTER ROLE {} PASSWORD {}").format(name, sql.Literal(password)))
    statements += [
        sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(sql.Identifier(database), name),
        sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(name),
        sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {}").format(
            name
        ),
        sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {}").format(name),
    ]
    for table in append_only_tables():
        statements.append(
            sql.SQL("REVOKE UPDATE, DELETE, TRUNCATE ON {} FROM {}").format(
                sql.Identifier(table), name
            )
        )
    return statements


def runtime_role_grant(connection, role: str, *, password: str | None = None) -> list[str]:
    """Run the statements as the connection's (owner) role; returns them as text."""
    database = connection.settings_dict["NAME"]
    statements = runtime_role_statements(role, password=password, database=database)
    done = []
    with connection.cursor() as cursor:
        for statement in statements:
            text = statement.as_string(cursor.connection)
            cursor.execute(text)
            secret = password and "PASSWORD" in text
            done.append("ALTER ROLE ... PASSWORD '...'" if secret else text)
    return done
