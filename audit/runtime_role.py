"""Least privilege: the application runs as a PostgreSQL role that owns no table.

The triggers stop the application from rewriting the trail, but not a table's owner: an
owner may `ALTER TABLE ... DISABLE TRIGGER`, and a superuser may also
`SET session_replication_role = replica`, which silences every trigger. So migrations run
as the owner, and the app runs as a role that can read and write the data, may only
INSERT into (and read) the append-only tables, only read the chain's head (the database
moves it, audit/chain_guard.py), and owns nothing: it cannot disable a trigger, truncate,
or change its replication role.
"""

from __future__ import annotations

from psycopg import sql

from .append_only import append_only_tables
from .chain_guard import HEAD, HEAD_LOCKED

# Only a superuser may change these (PostgreSQL 15: even to take them away), so an owner
# with CREATEROLE alone, as least privilege wants it, must not ask to when they are off.
SUPERUSER_ONLY = "NOSUPERUSER NOREPLICATION NOBYPASSRLS"


def superuser_must_run(role: str) -> str:
    """What a superuser runs, once, when the runtime role holds what only they take away."""
    quoted = role.replace('"', '""')
    return f'ALTER ROLE "{quoted}" {SUPERUSER_ONLY};'


def _superuser_only_attributes_removed(role: str) -> sql.Composed:
    """Takes away SUPERUSER, REPLICATION and BYPASSRLS only from a role that holds one; an
    owner who is no superuser is told what a superuser must run, rather than refused
    by PostgreSQL in words that name neither the role nor the way out."""
    refusal = (
        f"The role {role} has SUPERUSER, REPLICATION or BYPASSRLS, which only a superuser may "
        f"take away. As a superuser, run once: {superuser_must_run(role)} then run "
        "grant_runtime_role again."
    )
    return sql.SQL(
        "DO $$ BEGIN "
        "IF EXISTS (SELECT FROM pg_roles WHERE rolname = {literal} "
        "AND (rolsuper OR rolreplication OR rolbypassrls)) THEN "
        "IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN "
        "RAISE EXCEPTION '%', {refusal} USING ERRCODE = 'insufficient_privilege'; END IF; "
        "ALTER ROLE {name} {attributes}; END IF; END $$"
    ).format(
        literal=sql.Literal(role),
        refusal=sql.Literal(refusal),
        name=sql.Identifier(role),
        attributes=sql.SQL(SUPERUSER_ONLY),
    )


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
        # First: any other ALTER of a superuser role is refused in PostgreSQL's words.
        _superuser_only_attributes_removed(role),
        sql.SQL("ALTER ROLE {} LOGIN NOCREATEDB NOCREATEROLE").format(name),
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
    # The chain's head is moved by the database alone (audit/chain_guard.py): the role
    # reads it, and locks it through the owner's function.
    statements += [
        sql.SQL("REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON {} FROM {}").format(
            sql.Identifier(HEAD), name
        ),
        sql.SQL("GRANT EXECUTE ON FUNCTION {}() TO {}").format(sql.Identifier(HEAD_LOCKED), name),
    ]
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
