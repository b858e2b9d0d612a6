from __future__ import annotations

import pytest

from unionhall.tests.process import run_python


@pytest.mark.django_db
def test_healthz_answers_200_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "up"}


def test_healthz_answers_503_when_the_database_does_not():
    # A real server process whose database is a port where nothing listens.
    probe = (
        "import django; django.setup(); from django.test import Client; "
        "r = Client().get('/healthz'); print(r.status_code, r.json()['database'])"
    )
    result = run_python(
        "-c",
        probe,
        env={
            "DEBUG": "1",
            "DATABASE_URL": "postgres://postgres@127.0.0.1:9/unionhall",
            "ALLOWED_HOSTS": "testserver",
        },
    )
    assert result.stdout.split() == ["503", "down"], result.stderr
