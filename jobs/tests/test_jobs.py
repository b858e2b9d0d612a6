"""Jobs through the real database queue: a worker picks a job up and its progress shows; a
failed job says why and is retried; two starts of the same work run it once; the scheduler
starts a job once per period, however often it looks."""

from __future__ import annotations

import datetime
import os
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from accounts import roles
from audit.models import AuditEvent
from audit.services import audit_event_record
from jobs.models import Job, JobStatus
from jobs.scheduling import schedule_due_jobs
from jobs.services import job_key, job_kind, job_start
from members.tests.factories import UserFactory

DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def _worker() -> None:
    """One worker, run until the queue is empty (as `manage.py jobs_worker --batch`)."""
    call_command("jobs_worker", "--batch", "--no-startup-delay", "--interval", "0", verbosity=0)


def _tamper(seq: int, detail: str) -> None:
    """Change an event behind the application's back (the table owner's power)."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "ALTER TABLE audit_auditevent DISABLE TRIGGER audit_auditevent_append_only"
            )
            cursor.execute("UPDATE audit_auditevent SET detail = %s WHERE seq = %s", [detail, seq])
            cursor.execute(
                "ALTER TABLE audit_auditevent ENABLE TRIGGER audit_auditevent_append_only"
            )
        else:
            from audit.append_only import sqlite_trigger_sql

            cursor.execute("DROP TRIGGER audit_auditevent_no_update")
            cursor.execute("UPDATE audit_auditevent SET detail = %s WHERE seq = %s", [detail, seq])
            for statement in sqlite_trigger_sql("audit_auditevent"):
                cursor.execute(statement)


@pytest.mark.django_db(transaction=True)
def test_a_worker_runs_a_queued_job_and_a_failed_one_is_retried(settings, client):
    settings.TASKS = DATABASE_QUEUE
    officer = UserFactory(username="treasurer", role=roles.OFFICER)
    for i in range(30):
        audit_event_record(action="export", actor_label="tests", detail=f"export {i}")

    job = job_start(kind=job_kind("audit.verify"), key="verify", label="Verify", actor=officer)
    assert Job.objects.get(pk=job.pk).status == JobStatus.QUEUED  # nothing runs it yet
    _worker()
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.done >= 30 and job.total == job.done
    assert "The trail holds" in job.outcome["message"]

    original = AuditEvent.objects.get(seq=4).detail
    _tamper(seq=4, detail=original + ", edited")
    broken = job_start(
        kind=job_kind("audit.verify"),
        key="verify-2",
        label="Verify",
        actor=officer,
        params={"full": True},
    )
    _worker()
    broken.refresh_from_db()
    assert broken.status == JobStatus.FAILED
    assert "seq 4" in broken.error and "changed" in broken.error

    client.force_login(officer)
    page = client.get(reverse("admin:jobs_job_change", args=[broken.pk])).content.decode()
    assert "Retry" in page and "seq 4" in page
    _tamper(seq=4, detail=original)  # the owner puts it back
    retried = client.post(reverse("admin:jobs_job_retry", args=[broken.pk]), follow=True)
    assert "started again" in retried.content.decode(), [
        str(m) for m in retried.context["messages"]
    ]
    assert Job.objects.get(pk=broken.pk).status == JobStatus.QUEUED
    _worker()
    broken.refresh_from_db()
    assert (broken.status, broken.attempts) == (JobStatus.SUCCEEDED, 2), broken.error


@pytest.mark.django_db
def test_two_starts_of_the_same_work_give_one_job(settings):
    settings.TASKS = DATABASE_QUEUE
    officer = UserFactory(role=roles.OFFICER)
    first = job_start(
        kind=job_kind("audit.verify"), key="verify:nightly", label="Verify", actor=officer
    )
    again = job_start(
        kind=job_kind("audit.verify"), key="verify:nightly", label="Verify", actor=officer
    )
    assert first.pk == again.pk
    assert Job.objects.count() == 1


@pytest.mark.django_db
def test_a_user_without_the_permission_cannot_start_the_job():
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        job_start(
            kind=job_kind("audit.export"),
            key="x",
            label="Export",
            actor=UserFactory(role=roles.STAFF),
        )


@pytest.mark.django_db
def test_the_status_page_says_how_far_a_job_got(client):
    officer = UserFactory(role=roles.OFFICER)
    job = Job.objects.create(
        kind="audit.verify",
        key="k",
        label="Verify",
        status=JobStatus.RUNNING,
        started_by=officer,
        started_at=timezone.now() - datetime.timedelta(seconds=10),
        step="Recomputing the hash chain",
        done=500,
        total=2000,
    )
    client.force_login(officer)
    status = client.get(reverse("admin:jobs_job_status", args=[job.pk])).json()
    assert (status["percent"], status["done"], status["total"]) == (25, 500, 2000)
    assert 40 <= status["rate_per_second"] <= 60
    assert 20 <= status["seconds_left"] <= 40
    staff = UserFactory(role=roles.STAFF)
    client.force_login(staff)  # not theirs: not there
    assert client.get(reverse("admin:jobs_job_status", args=[job.pk])).status_code == 404


@pytest.mark.django_db
def test_the_scheduler_starts_each_due_job_once_per_period(settings):
    settings.TASKS = DATABASE_QUEUE
    at_four = timezone.make_aware(datetime.datetime(2026, 11, 28, 4, 0))
    started = schedule_due_jobs(now=at_four)
    assert "audit.verify" in {job.kind for job in started}
    # A look again within the shortest period (the hall's notices, every 5 minutes).
    assert schedule_due_jobs(now=at_four + datetime.timedelta(minutes=3)) == []
    at_one = timezone.make_aware(datetime.datetime(2026, 11, 29, 1, 0))
    assert "audit.verify" not in {job.kind for job in schedule_due_jobs(now=at_one)}
    next_day = schedule_due_jobs(now=at_one + datetime.timedelta(hours=3))
    assert "audit.verify" in {job.kind for job in next_day}


@pytest.mark.django_db
def test_an_hourly_job_runs_in_both_passes_of_the_hour_repeated_when_clocks_fall_back(settings):
    """2027-11-07 in Los Angeles: 01:00 to 02:00 happens twice. An hourly job starts in each
    pass (four starts from midnight to 03:00), each with its own key."""
    settings.TASKS = DATABASE_QUEUE
    settings.TIME_ZONE = "America/Los_Angeles"
    midnight = datetime.datetime(2027, 11, 7, 7, 0, tzinfo=datetime.UTC)  # 00:00 PDT
    with timezone.override("America/Los_Angeles"):
        for minutes in range(0, 4 * 60, 10):  # to 03:00 PST
            schedule_due_jobs(now=midnight + datetime.timedelta(minutes=minutes))
    hourly = Job.objects.filter(kind="payments.reconcile").order_by("scheduled_for")
    assert [job.scheduled_for for job in hourly] == [
        midnight + datetime.timedelta(hours=h) for h in range(4)
    ]
    assert [job.key for job in hourly] == [
        "payments.reconcile@2027-11-07T00:00-0700",
        "payments.reconcile@2027-11-07T01:00-0700",
        "payments.reconcile@2027-11-07T01:00-0800",
        "payments.reconcile@2027-11-07T02:00-0800",
    ]


def test_a_jobs_key_is_the_same_in_every_process():
    """Two officers' starts of the same export, served by two gunicorn workers, must find
    each other: the key may not depend on the process's string hashing."""
    here = job_key(
        job_kind("members.export"), 7, {"filters": {"status": "active", "search": "ann"}}
    )
    code = (
        "import django; django.setup(); from jobs.services import job_key, job_kind; "
        "print(job_key(job_kind('members.export'), 7, "
        "{'filters': {'search': 'ann', 'status': 'active'}}))"
    )
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "DJANGO_SETTINGS_MODULE": "unionhall.settings"}
        there = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        ).stdout.strip()
        assert there == here
    export = job_kind("members.export")
    assert job_key(export, 7, {}) != job_key(export, 8, {})
