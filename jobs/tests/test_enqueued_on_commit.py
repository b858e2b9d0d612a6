"""A job reaches a task backend that lives outside this database (Redis, Celery) only once
its transaction commits: a worker there must find the job's row, and must never run a job
whose start was rolled back. django-tasks' DummyBackend, which keeps what it is handed and
runs nothing, stands in for such a backend."""

from __future__ import annotations

import pytest
from django.db import transaction

from jobs.models import Job, JobStatus
from jobs.services import job_kind, job_start
from jobs.tasks import job_run_task
from jobs.tests.helpers import database_queue

pytestmark = pytest.mark.django_db


@pytest.fixture
def elsewhere(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    backend = job_run_task.get_backend()
    backend.clear()
    return backend


def _start(key: str) -> Job:
    return job_start(kind=job_kind("audit.verify"), key=key, label="Verify", actor="tests")


def test_a_backend_elsewhere_is_handed_the_job_when_its_transaction_commits(
    elsewhere, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job = _start("verify")
        assert elsewhere.results == []  # not yet: the job's row is not committed
    [task] = elsewhere.results
    assert task.args == [job.pk]
    job.refresh_from_db()
    assert job.task_id == str(task.id) and job.status == JobStatus.QUEUED


def test_a_start_rolled_back_never_reaches_a_backend_elsewhere(
    elsewhere, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        _start("verify")
        raise RuntimeError("the request failed after starting the job")
    assert elsewhere.results == []
    assert not Job.objects.exists()


def test_the_database_queue_takes_the_task_in_the_jobs_own_transaction(settings):
    database_queue(settings)
    with pytest.raises(RuntimeError), transaction.atomic():
        job = _start("verify")
        assert job.task_id  # queued beside the job, in the same transaction
        raise RuntimeError("rolled back")
    from django_tasks_db.models import DBTaskResult

    assert not Job.objects.exists() and not DBTaskResult.objects.exists()
