"""The worker outlives its database: an error in its loop ("connection refused" while
PostgreSQL restarts) is waited out, and the work queued meanwhile is done. A task whose end
it could not record ends as its job did."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from django.db import OperationalError, connection
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult
from psycopg import sql

from jobs import worker
from jobs.models import Job, JobStatus
from jobs.services import job_kind, job_start
from jobs.tests.helpers import database_queue, worker_batch

pytestmark = pytest.mark.django_db(transaction=True)

MANAGE = Path(__file__).resolve().parents[2] / "manage.py"
WORKER_OPTIONS = ["--interval", "0.2", "--no-startup-delay", "--no-reload"]


def _verify(key: str) -> Job:
    return job_start(
        kind=job_kind("audit.verify"), key=key, label="Verify", actor="tests", params={"k": key}
    )


def test_the_worker_goes_on_after_a_database_error_in_its_loop(settings, monkeypatch):
    database_queue(settings)
    monkeypatch.setattr(worker, "FIRST_WAIT_SECONDS", 0.01)
    checks = []
    real = db_worker.close_old_connections

    def refused_once() -> None:
        checks.append(1)
        if len(checks) == 1:
            raise OperationalError('connection to server at "127.0.0.1" failed: refused')
        real()

    monkeypatch.setattr(db_worker, "close_old_connections", refused_once)
    job = _verify("after-the-error")
    worker_batch()
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.error


def test_a_task_whose_end_could_not_be_recorded_ends_as_its_job(settings, monkeypatch):
    """The database went away just as the worker recorded the task's end: once it is back,
    the queue's row says what the job says (not "running" for ever), and the worker goes on
    to the next job."""
    database_queue(settings)
    monkeypatch.setattr(worker, "FIRST_WAIT_SECONDS", 0.01)
    away = []
    originals = {name: getattr(DBTaskResult, name) for name in ("set_successful", "set_failed")}

    def failing(name):
        def method(self, *args):
            # The first task's end, as the worker tries to record it (and then its failure).
            if not away or (away[0] == self.pk and len(away) < 2):
                away.append(self.pk)
                raise OperationalError("server closed the connection unexpectedly")
            return originals[name](self, *args)

        return method

    for name in originals:
        monkeypatch.setattr(DBTaskResult, name, failing(name))
    first, second = _verify("first"), _verify("second")
    worker_batch()

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == JobStatus.SUCCEEDED, first.error
    assert DBTaskResult.objects.get(pk=first.task_id).status == "SUCCESSFUL"
    assert second.status == JobStatus.SUCCEEDED, second.error
    assert DBTaskResult.objects.get(pk=second.task_id).status == "SUCCESSFUL"


@pytest.mark.postgres
def test_a_worker_refused_by_its_database_runs_queued_work_once_it_is_back(settings, tmp_path):
    """A real worker process; its connection ended (pg_terminate_backend) while the
    database refuses new ones, as during a restart, then lets them in again."""
    database_queue(settings)
    name = connection.settings_dict["NAME"]
    log = tmp_path / "worker.log"
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{name}",
        "TASKS_BACKEND": "database",
        "DEBUG": "",
    }
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, str(MANAGE), "jobs_worker", *WORKER_OPTIONS],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        assert _done(_verify("before"), within=60).status == JobStatus.SUCCEEDED, log.read_text()
        with _database_refusing(name):
            time.sleep(2)  # the worker tries, and is refused
            queued = _verify("while-away")
            assert process.poll() is None, log.read_text()
        assert _done(queued, within=60).status == JobStatus.SUCCEEDED, log.read_text()
        assert process.poll() is None
        assert "not currently accepting connections" in log.read_text()
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def _database_refusing(name: str) -> Iterator[None]:
    """Every connection to the database but this test's ended, and new ones refused (from
    a connection to another database: none may refuse its own)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (mine,) = cursor.fetchone()
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as admin:
        admin.execute(
            sql.SQL("ALTER DATABASE {} WITH ALLOW_CONNECTIONS false").format(sql.Identifier(name))
        )
        try:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> %s",
                [name, mine],
            )
            yield
        finally:
            admin.execute(
                sql.SQL("ALTER DATABASE {} WITH ALLOW_CONNECTIONS true").format(
                    sql.Identifier(name)
                )
            )


def _done(job: Job, *, within: float) -> Job:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if not job.is_active:
            return job
        time.sleep(0.2)
    return job
