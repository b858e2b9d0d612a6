"""The audit tests' shared fixtures."""

from __future__ import annotations

import os

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

# Roles belong to the whole server: a name of this run's own, so that two test runs on one
# server (a developer's and CI's) never drop each other's role.
RUNTIME_ROLE = f"unionhall_test_runtime_{os.getpid()}"


@pytest.fixture
def runtime_role(transactional_db):
    """The app's runtime role (audit/runtime_role.py), made and granted as `migrate` would:
    the connection parameters to log in as it (psycopg.connect(**runtime_role))."""
    call_command("grant_runtime_role", RUNTIME_ROLE, stdout=open("/dev/null", "w"))  # noqa: SIM115
    db = settings.DATABASES["default"]
    yield {
        "host": db["HOST"] or "127.0.0.1",
        "port": db["PORT"] or 5432,
        "dbname": db["NAME"],
        "user": RUNTIME_ROLE,
    }
    with connection.cursor() as cursor:
        cursor.execute(f"DROP OWNED BY {RUNTIME_ROLE}")
        cursor.execute(f"DROP ROLE {RUNTIME_ROLE}")
