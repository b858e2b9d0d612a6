"""Starting, running and retrying jobs. A job is queued in the same transaction as whatever
asked for it (the task row is written there too), so it runs only if that commits."""

from __future__ import annotations

import datetime
import hashlib
import json
import logging
from functools import cache
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import File
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from .extensions import JOB_KINDS, JobKind
from .models import ACTIVE_STATUSES, Job, JobStatus
from .progress import JobProgress

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

log = logging.getLogger(__name__)

# A running job not heard from for this long is taken to be lost (its worker died).
STUCK_AFTER = datetime.timedelta(minutes=10)


@cache
def _kinds() -> dict[str, JobKind]:
    return {kind.name: kind for kind in JOB_KINDS.declarations()}


def job_kind(name: str) -> JobKind:
    try:
        return _kinds()[name]
    except KeyError:
        raise ValueError(f"No job kind {name!r}: is its app installed?") from None


def job_key(kind: str, *parts: object) -> str:
    """A job's key from what makes two starts the same work: the same parts give the same
    key in every process and on every machine (Python's own hash() of a string does not)."""
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()
    return f"{kind}:{digest[:40]}"


def job_start(
    *,
    kind: str,
    key: str,
    label: str,
    actor: AbstractBaseUser | None,
    params: dict[str, Any] | None = None,
    upload: File | None = None,
    scheduled_for: datetime.datetime | None = None,
) -> Job:
    """Queue a job, or give the one with this key that is already queued or running: two
    starts of the same work (a double click, two officers) run it once."""
    declared = job_kind(kind)
    if actor is not None and not actor.has_perm(declared.permission):
        raise PermissionDenied(f"Your role may not start: {declared.label}.")
    active = Job.objects.filter(key=key, status__in=ACTIVE_STATUSES).first()
    if active is not None:
        return active
    job = Job(
        kind=kind,
        key=key[:200],
        label=label[:200],
        params=params or {},
        started_by=actor,
        scheduled_for=scheduled_for,
    )
    if upload is not None:
        job.upload.save(upload.name or "upload", upload, save=False)
    try:
        # The unique indexes decide a race between two starts: one active job per key, one
        # job per scheduled time.
        with transaction.atomic():
            job.save()
    except IntegrityError:
        if scheduled_for is not None:
            return Job.objects.get(kind=kind, scheduled_for=scheduled_for)
        return Job.objects.get(key=key, status__in=ACTIVE_STATUSES)
    _enqueue(job)
    return job


def job_retry(*, job: Job, actor: AbstractBaseUser | None) -> Job:
    """Queue a failed (or stuck) job again; its work is idempotent, so what the first try
    did is not done twice."""
    if not job_retryable(job):
        raise ValidationError("Only a failed job, or one stuck for ten minutes, is retried.")
    # Only one retry wins: the job must still be as it was seen when the UPDATE runs (a run
    # counts its attempts).
    same = Job.objects.filter(pk=job.pk, status=job.status, attempts=job.attempts)
    if job.status == JobStatus.RUNNING:
        same = same.filter(updated_at__lt=timezone.now() - STUCK_AFTER)
    requeued = same.update(
        status=JobStatus.QUEUED, error="", step="", done=0, total=None, updated_at=timezone.now()
    )
    if not requeued:
        raise ValidationError("The job changed meanwhile; look at it again.")
    job.refresh_from_db()
    _enqueue(job)
    log.info("Job %s retried by %s", job.pk, actor)
    return job


def job_retryable(job: Job) -> bool:
    if job.status == JobStatus.FAILED:
        return True
    return job.status == JobStatus.RUNNING and job.updated_at < timezone.now() - STUCK_AFTER


def _enqueue(job: Job) -> None:
    from .tasks import job_run_task

    job_run_task.enqueue(job.pk)


def job_run(job_id: int) -> None:
    """Run a queued job (a worker calls this through the task). A job already running or
    done is left alone: a task delivered twice runs the work once."""
    claimed = Job.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING, started_at=timezone.now(), attempts=F("attempts") + 1
    )
    if not claimed:
        return
    job = Job.objects.select_related("started_by").get(pk=job_id)
    kind = job_kind(job.kind)
    progress = JobProgress(job)
    try:
        outcome = kind.run(job, progress) or {}
    except Exception as exc:
        Job.objects.filter(pk=job_id).update(
            status=JobStatus.FAILED, finished_at=timezone.now(), error=_why(exc)
        )
        raise
    Job.objects.filter(pk=job_id).update(
        status=JobStatus.SUCCEEDED,
        finished_at=timezone.now(),
        outcome=outcome,
        done=progress.done,
        total=progress.total if progress.total is not None else progress.done,
    )


def _why(exc: Exception) -> str:
    messages = getattr(exc, "messages", None)
    text = "; ".join(messages) if messages else str(exc)
    return f"{type(exc).__name__}: {text}"[:2000]
