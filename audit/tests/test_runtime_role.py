"""The app's database role owns nothing: even with the trail's triggers in reach, it cannot
rewrite an audit event or a history row, truncate them, disable a trigger, or silence
triggers through session_replication_role. It can still run the app."""

from __future__ import annotations

import psycopg
import pytest

from audit.append_only import append_only_tables
from unionhall.tests.process import run_python

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _refused(conninfo: dict, statement: str) -> str:
    with (
        psycopg.connect(**conninfo, autocommit=True) as conn,
        pytest.raises(psycopg.Error) as refusal,
    ):
        conn.execute(statement)
    return str(refusal.value)


def test_the_runtime_role_cannot_rewrite_or_silence_the_trail(runtime_role, user_with_role):
    user_with_role("Officer")  # a user, its event and its history of group changes
    for table in ("audit_auditevent", "members_historicalmember", "audit_auditcheckpoint"):
        assert table in append_only_tables()
        assert "permission denied" in _refused(runtime_role, f"UPDATE {table} SET id = id")
        assert "permission denied" in _refused(runtime_role, f"DELETE FROM {table}")
        assert "permission denied" in _refused(runtime_role, f"TRUNCATE {table}")
        assert "must be owner" in _refused(runtime_role, f"ALTER TABLE {table} DISABLE TRIGGER ALL")
    assert "permission denied" in _refused(runtime_role, "SET session_replication_role = replica")
    with psycopg.connect(**runtime_role) as conn:
        row = conn.execute(
            "SELECT rolsuper, rolcreaterole, rolbypassrls FROM pg_roles WHERE rolname = %s",
            [runtime_role["user"]],
        ).fetchone()
        owned = conn.execute(
            "SELECT count(*) FROM pg_tables WHERE tableowner = %s", [runtime_role["user"]]
        ).fetchone()[0]
    assert row == (False, False, False) and owned == 0


def test_the_runtime_role_runs_the_app(runtime_role):
    db = runtime_role
    done = run_python(
        "-c",
        "import django; django.setup()\n"
        "from members.tests.factories import MemberFactory\n"
        "from audit.chain import chain_verify\n"
        "m = MemberFactory(); m.phone = '(312) 555-0100'; m.save()\n"
        "print(chain_verify().ok)\n",
        env={
            "DATABASE_URL": f"postgres://{db['user']}@{db['host']}:{db['port']}/{db['dbname']}",
            "SECRET_KEY": "tests-only",
        },
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-1] == "True"
