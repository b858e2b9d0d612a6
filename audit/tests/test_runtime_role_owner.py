"""Least privilege all the way: the tables' owner needs CREATEROLE, not superuser. An owner
with CREATEROLE alone and its own database migrates it and grants the runtime role, by the
command and by `migrate` with DATABASE_RUNTIME_ROLE; a runtime role that is a superuser is
named, with the one statement a superuser must run."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import psycopg
import pytest
from django.conf import settings

from audit.runtime_role import superuser_must_run
from unionhall.tests.process import PROJECT

# Roles and databases belong to the whole server: names of this run's own, so that two test
# runs on one server (a developer's and CI's) never drop each other's.
OWNER = f"uh_test_createrole_owner_{os.getpid()}"
DATABASE = f"uh_test_createrole_owned_{os.getpid()}"
APP = f"uh_test_createrole_app_{os.getpid()}"

pytestmark = pytest.mark.postgres


def _server() -> dict:
    db = settings.DATABASES["default"]
    return {"host": db["HOST"] or "127.0.0.1", "port": db["PORT"] or 5432}


def _as_superuser(dbname: str = "postgres") -> psycopg.Connection:
    user = settings.DATABASES["default"]["USER"]
    return psycopg.connect(**_server(), user=user, dbname=dbname, autocommit=True)


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """manage.py in its own process, logged in as the owner."""
    server = _server()
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT,
        env={
            "PATH": os.environ.get("PATH", ""),
            "HOME": os.environ.get("HOME", ""),
            "DJANGO_SETTINGS_MODULE": "unionhall.settings",
            "SECRET_KEY": "tests-only",
            "DATABASE_URL": f"postgres://{OWNER}@{server['host']}:{server['port']}/{DATABASE}",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=900,
    )


def _app_role_dropped() -> None:
    with _as_superuser() as admin:
        if not admin.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [APP]).fetchone():
            return
    with _as_superuser(DATABASE) as db:
        db.execute(f"DROP OWNED BY {APP}")
    with _as_superuser() as admin:
        admin.execute(f"DROP ROLE {APP}")


def _everything_dropped(admin: psycopg.Connection) -> None:
    admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    admin.execute(f"DROP ROLE IF EXISTS {APP}")
    admin.execute(f"DROP ROLE IF EXISTS {OWNER}")


@pytest.fixture(scope="module")
def owned_database() -> Iterator[None]:
    """A database owned by a role with CREATEROLE and nothing more, migrated by it."""
    with _as_superuser() as admin:
        _everything_dropped(admin)
        admin.execute(f"CREATE ROLE {OWNER} LOGIN CREATEROLE")
        admin.execute(f"CREATE DATABASE {DATABASE} OWNER {OWNER}")
    try:
        migrated = _manage("migrate", "--verbosity", "0")
        assert migrated.returncode == 0, migrated.stderr
        with _as_superuser() as admin:
            row = admin.execute(
                "SELECT rolsuper, rolcreaterole FROM pg_roles WHERE rolname = %s", [OWNER]
            ).fetchone()
        assert row == (False, True)
        yield
    finally:
        with _as_superuser() as admin:
            _everything_dropped(admin)


def _app_can_run_and_not_rewrite() -> None:
    app = {**_server(), "user": APP, "dbname": DATABASE, "autocommit": True}
    with psycopg.connect(**app) as conn:
        conn.execute("SELECT count(*) FROM members_member").fetchone()
        attributes = conn.execute(
            "SELECT rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls "
            "FROM pg_roles WHERE rolname = %s",
            [APP],
        ).fetchone()
        owned = conn.execute(
            "SELECT count(*) FROM pg_tables WHERE tableowner = %s", [APP]
        ).fetchone()[0]
        with pytest.raises(psycopg.Error, match="permission denied for table audit_auditevent"):
            conn.execute("UPDATE audit_auditevent SET id = id")
    assert attributes == (False, False, False, False, False) and owned == 0


def test_an_owner_with_createrole_alone_grants_the_runtime_role(owned_database):
    _app_role_dropped()
    for _ in range(2):  # creates it, then (after a migrate, say) updates it
        done = _manage("grant_runtime_role", APP)
        assert done.returncode == 0, done.stderr
        assert f"Role {APP} can run the app and owns nothing." in done.stdout
    _app_can_run_and_not_rewrite()


def test_migrate_as_that_owner_grants_it_too(owned_database):
    _app_role_dropped()
    done = _manage("migrate", "--verbosity", "0", DATABASE_RUNTIME_ROLE=APP)
    assert done.returncode == 0, done.stderr
    _app_can_run_and_not_rewrite()


def test_a_runtime_role_that_is_a_superuser_is_named_with_what_a_superuser_must_run(
    owned_database,
):
    _manage("grant_runtime_role", APP)
    with _as_superuser() as admin:
        admin.execute(f"ALTER ROLE {APP} SUPERUSER")
    refused = _manage("grant_runtime_role", APP)
    assert refused.returncode != 0
    assert (
        f"The role {APP} has SUPERUSER, REPLICATION or BYPASSRLS, which only a superuser may "
        f"take away. As a superuser, run once: {superuser_must_run(APP)} then run "
        "grant_runtime_role again."
    ) in refused.stderr
    with _as_superuser() as admin:
        admin.execute(superuser_must_run(APP))
    done = _manage("grant_runtime_role", APP)
    assert done.returncode == 0, done.stderr
    _app_can_run_and_not_rewrite()
