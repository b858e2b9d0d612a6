"""A job whose worker died (killed, out of memory, its machine gone) is not left "Running":
the worker writes a heartbeat while the work runs, and a job not heard from for a while is
failed, with a sentence saying its worker stopped, by the scheduler or the next worker to
start. Its queue task is failed with it: the job and its task never disagree."""

from __future__ import annotations

import datetime
import time

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from jobs import heartbeat
from jobs.extensions import JobKind
from jobs.heartbeat import LOST_AFTER
from jobs.models import Job, JobHeartbeat, JobStatus
from jobs.services import job_kind, job_retry, job_retryable, job_start
from jobs.tests.helpers import database_queue, kinds_added, worker_batch

pytestmark = pytest.mark.django_db(transaction=True)


def _running_since(minutes: float, *, beat_minutes_ago: float | None, key: str) -> Job:
    """A job a worker took `minutes` ago, last heard from `beat_minutes_ago`, its task
    "running" in the queue: as a worker killed mid-job leaves it."""
    job = job_start(
        kind=job_kind("audit.verify"), key=key, label="Verify", actor="tests", params={"k": key}
    )
    DBTaskResult.objects.filter(pk=job.task_id).update(status="RUNNING")
    now = timezone.now()
    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING,
        attempts=1,
        started_at=now - datetime.timedelta(minutes=minutes),
        step="Recomputing the hash chain",
    )
    if beat_minutes_ago is not None:
        JobHeartbeat.objects.create(
            job=job, attempt=1, beat_at=now - datetime.timedelta(minutes=beat_minutes_ago)
        )
    return Job.objects.get(pk=job.pk)


def _lost_minutes() -> float:
    return LOST_AFTER.total_seconds() / 60


def test_the_scheduler_fails_a_job_whose_worker_stopped_and_its_task(settings):
    database_queue(settings)
    lost = _running_since(30, beat_minutes_ago=_lost_minutes() + 1, key="lost")
    never_beat = _running_since(_lost_minutes() + 5, beat_minutes_ago=None, key="never")
    alive = _running_since(30, beat_minutes_ago=0.2, key="alive")
    just_taken = _running_since(0.5, beat_minutes_ago=None, key="new")

    call_command("jobs_scheduler", "--once", verbosity=0)

    for job in (lost, never_beat):
        job.refresh_from_db()
        assert job.status == JobStatus.FAILED
        assert job.error.startswith("The worker running this job stopped before the job finished")
        assert job.finished_at is not None
        task = DBTaskResult.objects.get(pk=job.task_id)
        assert task.status == "FAILED" and job.error in task.traceback
    for job in (alive, just_taken):
        job.refresh_from_db()
        assert job.status == JobStatus.RUNNING
        assert DBTaskResult.objects.get(pk=job.task_id).status == "RUNNING"


def test_the_next_worker_to_start_fails_a_job_whose_worker_stopped(settings):
    database_queue(settings)
    lost = _running_since(30, beat_minutes_ago=_lost_minutes() + 1, key="lost")
    worker_batch()
    lost.refresh_from_db()
    assert lost.status == JobStatus.FAILED and "worker running this job stopped" in lost.error
    assert DBTaskResult.objects.get(pk=lost.task_id).status == "FAILED"


def test_a_job_whose_worker_stopped_is_retried_from_its_page_and_runs(settings):
    database_queue(settings)
    lost = _running_since(30, beat_minutes_ago=_lost_minutes() + 1, key="lost")
    assert job_retryable(lost)
    job_retry(job=lost, actor="tests")
    lost.refresh_from_db()
    assert lost.status == JobStatus.QUEUED
    worker_batch()
    lost.refresh_from_db()
    assert (lost.status, lost.attempts) == (JobStatus.SUCCEEDED, 2), lost.error


def test_a_running_job_beats_while_its_work_says_nothing(settings, monkeypatch):
    """Long work that reports no progress for minutes is alive all the same."""
    database_queue(settings)
    monkeypatch.setattr(heartbeat, "BEAT_EVERY", datetime.timedelta(seconds=0.05))
    beats = []

    def quiet(job, progress):
        first = JobHeartbeat.objects.get(job_id=job.pk).beat_at
        time.sleep(0.5)  # no progress reported meanwhile
        beats.extend([first, JobHeartbeat.objects.get(job_id=job.pk).beat_at])
        return {"message": "done"}

    kinds_added(monkeypatch, JobKind(name="tests.quiet", label="Quiet", permission="", run=quiet))
    job = job_start(kind=job_kind("tests.quiet"), key="quiet", label="Quiet", actor="tests")
    worker_batch()
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.error
    first, later = beats
    assert later > first


def test_a_worker_given_up_for_lost_does_not_write_over_what_came_after(settings, monkeypatch):
    """A worker that was only stalled, and wakes after its job was failed and retried,
    leaves the retry's job alone."""
    database_queue(settings)

    def stalled(job, progress):
        # Meanwhile the job was given up for lost, and retried (a later attempt).
        Job.objects.filter(pk=job.pk).update(attempts=job.attempts + 1)
        progress.step("Still here")
        return {"message": "stalled run's outcome"}

    kinds_added(
        monkeypatch, JobKind(name="tests.stalled", label="Stalled", permission="", run=stalled)
    )
    job = job_start(kind=job_kind("tests.stalled"), key="stalled", label="Stalled", actor="tests")
    worker_batch()
    job.refresh_from_db()
    assert job.status == JobStatus.RUNNING  # the later attempt's, untouched
    assert job.outcome == {} and job.step == ""
