"""Starting, running and retrying jobs. A job is queued in the same transaction as whatever
asked for it (the task row is written there too), so it runs only if that commits.

A job's status is the one truth about it: the queue's task row (django-tasks) is plumbing,
failed with its job whenever the job is given up for lost, so the two never disagree."""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import json
import logging
import uuid
from functools import cache
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import File
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django_tasks_db import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from appkit.actors import Actor, actor_key, person
from appkit.text import storable_json, storable_text

try:  # Django 6 has the task API itself (DEP 14); 5.2 has its backport
    from django.tasks.backends.immediate import ImmediateBackend
except ImportError:
    from django_tasks.backends.immediate import ImmediateBackend

from .extensions import JOB_KINDS, RUN_CONTEXTS, JobFailed, JobKind, JobRefused
from .heartbeat import LOST_AFTER, Heartbeat
from .models import ACTIVE_STATUSES, Job, JobHeartbeat, JobStatus
from .progress import JobProgress

_ENQUEUED_IN_THE_TRANSACTION = (DatabaseBackend, ImmediateBackend)

try:  # Django 6 has the task API itself (DEP 14); 5.2 has its backport
    from django.tasks import TaskResultStatus
except ImportError:
    from django_tasks import TaskResultStatus

if TYPE_CHECKING:
    pass

log = logging.getLogger(__name__)

# What a job's page says when it failed, in words for whoever started it: the trace of an
# error nobody expected is in the worker's log, not on the page.
UNEXPECTED = (
    "The work stopped on an error it did not expect; the details are in the worker's log "
    "(job {job}). Retry it, and if it fails again, tell whoever looks after Union Hall."
)
WORKER_STOPPED = "The worker was stopped while this job ran (a restart or a shutdown). Retry it."
WORKER_LOST = (
    "The worker running this job stopped before the job finished (last heard from {when}). "
    "Retry it."
)
DATABASE_LOST = (
    "The worker lost its connection to the database while running this job, so the job "
    "stopped. Retry it."
)
NEVER_STARTED = "A worker took this job but could not start it. Retry it."
REFUSED_NOT_RETRIED = (
    "This job was refused, not stopped: run again, it would refuse again. Start the work "
    "again from where it began (the link on the job's page)."
)
ERROR_LENGTH = 2000


@cache
def _kinds() -> dict[str, JobKind]:
    return {kind.name: kind for kind in JOB_KINDS.declarations()}


def job_kind(name: str) -> JobKind:
    try:
        return _kinds()[name]
    except KeyError:
        raise ValueError(f"No job kind {name!r}: is its app installed?") from None


def job_key(kind: JobKind, *parts: object) -> str:
    """A job's key from what makes two starts the same work: the same parts give the same
    key in every process and on every machine (Python's own hash() of a string does not)."""
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()
    return f"{kind.name}:{digest[:40]}"


def job_start(
    *,
    kind: JobKind,
    key: str,
    label: str,
    actor: Actor,
    params: dict[str, Any] | None = None,
    upload: File | None = None,
    scheduled_for: datetime.datetime | None = None,
) -> Job:
    """Queue a job, or give the unfinished one that is the same work: the same key (two
    officers generating one period's charges), or the same kind, starter, parameters and
    file (a double click, a reload, a second tab). Every start goes through here, whatever
    view asks for it. Each app starts its kinds from services named `<entity>_<action>_start`
    in its `for_jobs.py`, beside the kinds."""
    declared = job_kind(kind.name)  # an installed app's kind, not one made up on the spot
    # A person needs the kind's permission; a named system actor (a schedule, autopay after
    # a charge run) starts only what the code it runs for declares.
    starter = person(actor)
    if starter is not None and not starter.has_perm(declared.permission):
        raise PermissionDenied(f"Your role may not start: {declared.label}.")
    key = _key_stored(key)
    params = storable_json(params or {})
    fingerprint = _fingerprint(kind.name, actor, params, upload, scheduled_for)
    same_work = Q(key=key) | Q(fingerprint=fingerprint)
    active = Job.objects.filter(same_work, status__in=ACTIVE_STATUSES).first()
    if active is not None:
        return active
    job = Job(
        kind=kind.name,
        key=key,
        label=label,
        params=params,
        started_by=starter,
        scheduled_for=scheduled_for,
        fingerprint=fingerprint,
    )
    if upload is not None:
        job.upload.save(storable_text(upload.name or "") or "upload", upload, save=False)
    try:
        # The unique indexes decide a race between two starts: one active job per key and
        # per fingerprint, one job per scheduled time.
        with transaction.atomic():
            job.save()
    except IntegrityError:
        if scheduled_for is not None:
            return Job.objects.get(kind=kind.name, scheduled_for=scheduled_for)
        active = Job.objects.filter(same_work, status__in=ACTIVE_STATUSES).first()
        if active is None:  # the other start's job finished meanwhile
            raise
        return active
    _enqueue(job)
    return job


def _key_stored(key: str) -> str:
    """The key as its column holds it (200 characters): a longer one keeps its start and a
    digest of the whole, so that looking it up finds it (a cut key would not)."""
    key = storable_text(key)
    if len(key) <= 200:
        return key
    return f"{key[:150]}~{hashlib.sha256(key.encode()).hexdigest()[:40]}"


def _fingerprint(
    kind: str,
    actor: Actor,
    params: dict[str, Any],
    upload: File | None,
    scheduled_for: datetime.datetime | None,
) -> str:
    """What makes two starts the same request: kind, starter, parameters, the file's bytes
    (two different files uploaded by one officer are two jobs), the scheduled time."""
    content = hashlib.sha256()
    if upload is not None:
        for chunk in upload.chunks():
            content.update(chunk)
        upload.seek(0)
    parts = [kind, actor_key(actor), params, content.hexdigest(), scheduled_for]
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def job_retry(*, job: Job, actor: Actor) -> Job:
    """Queue a failed job again (or one whose worker stopped, failed first); its work is
    idempotent, so what the first try did is not done twice. A refused job is not: the
    same work would refuse again; it is started afresh where it began."""
    if job.status == JobStatus.RUNNING:
        jobs_lost_fail(only=job.pk)
        job.refresh_from_db()
    if job.status != JobStatus.FAILED:
        raise ValidationError("Only a failed job, or one whose worker stopped, is retried.")
    if job.refused:
        raise ValidationError(REFUSED_NOT_RETRIED)
    # Only one retry wins: the job must still be as it was seen when the UPDATE runs (a run
    # counts its attempts).
    same = Job.objects.filter(
        pk=job.pk, status=JobStatus.FAILED, attempts=job.attempts, refused=False
    )
    try:
        with transaction.atomic():
            requeued = same.update(
                status=JobStatus.QUEUED,
                error="",
                step="",
                done=0,
                total=None,
                finished_at=None,
                updated_at=timezone.now(),
            )
    except IntegrityError:  # the same work was started again meanwhile, and is unfinished
        raise ValidationError(
            "The same work is already queued or running: follow that job instead."
        ) from None
    if not requeued:
        raise ValidationError("The job changed meanwhile; look at it again.")
    job.refresh_from_db()
    _enqueue(job)
    log.info("Job %s retried by %s", job.pk, actor)
    return job


def job_retryable(job: Job) -> bool:
    if job.status == JobStatus.FAILED:
        return not job.refused
    return job.status == JobStatus.RUNNING and _last_heard_from(job) < timezone.now() - LOST_AFTER


def _last_heard_from(job: Job) -> datetime.datetime:
    beat = (
        JobHeartbeat.objects.filter(job_id=job.pk, attempt=job.attempts)
        .values_list("beat_at", flat=True)
        .first()
    )
    return beat or job.started_at or job.created_at


def _enqueue(job: Job) -> None:
    """Hand the job to the task backend once a worker can see it. The database backend's
    task row commits or rolls back with the job's, and the immediate backend runs the task
    here, inside this transaction: both are handed it now. Any other (Redis, Celery: a worker
    elsewhere that cannot see an uncommitted job, and would run one whose transaction then
    rolled back) is handed it when the transaction commits."""
    from .tasks import job_run_task

    def enqueue() -> None:
        job.task_id = str(job_run_task.enqueue(job.pk).id)
        Job.objects.filter(pk=job.pk).update(task_id=job.task_id)

    if isinstance(job_run_task.get_backend(), _ENQUEUED_IN_THE_TRANSACTION):
        enqueue()
    else:
        transaction.on_commit(enqueue)


def job_run(job_id: int, *, task_id: str = "") -> None:
    """Run a queued job (a worker calls this through the task). A job already running or
    done is left alone: a task delivered twice runs the work once. However the work ends,
    the job ends Done or Failed with a sentence; a worker that dies stops its heartbeat,
    and the job is given up for lost (jobs_lost_fail)."""
    now = timezone.now()
    with transaction.atomic():
        claimed = Job.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
            status=JobStatus.RUNNING,
            started_at=now,
            attempts=F("attempts") + 1,
            **({"task_id": task_id} if task_id else {}),
        )
        if not claimed:
            return
        job = Job.objects.select_related("started_by").get(pk=job_id)
        JobHeartbeat.objects.update_or_create(
            job_id=job_id, defaults={"attempt": job.attempts, "beat_at": now}
        )
    # This run's job: if it was given up for lost meanwhile (and perhaps retried), what
    # this run finds out is not written over what happened since.
    this_run = Job.objects.filter(pk=job_id, status=JobStatus.RUNNING, attempts=job.attempts)
    progress = JobProgress(job)
    try:
        with Heartbeat(job_id, job.attempts), contextlib.ExitStack() as contexts:
            for context in RUN_CONTEXTS.declarations():
                contexts.enter_context(context(job))
            outcome = job_kind(job.kind).run(job, progress) or {}
        written = this_run.update(
            status=JobStatus.SUCCEEDED,
            finished_at=timezone.now(),
            outcome=outcome,
            # The final count is the total: the one the work gave was its estimate.
            done=progress.done,
            total=progress.done,
        )
    except BaseException as exc:
        error = _failure_sentence(job, exc)
        failed = this_run.update(
            status=JobStatus.FAILED,
            finished_at=timezone.now(),
            error=error,
            refused=isinstance(exc, JobRefused | ValidationError),
        )
        _recorded(job, failed)
        if not isinstance(exc, Exception):
            raise  # the worker is being stopped: let it stop
        # The task fails too, with the sentence: the error's own text may hold what the
        # queue's row cannot store (a NUL), and its trace is logged already.
        raise JobFailed(error) from None
    _recorded(job, written)


def _recorded(job: Job, written: int) -> None:
    if not written:
        log.warning("Job %s ended after it was given up for lost; its end is not recorded", job.pk)


def _failure_sentence(job: Job, exc: BaseException) -> str:
    if isinstance(exc, JobFailed):
        text = str(exc)
    elif isinstance(exc, ValidationError):
        text = " ".join(exc.messages)
    elif isinstance(exc, Exception):
        log.error("Job %s (%s) failed", job.pk, job.kind, exc_info=exc)
        return UNEXPECTED.format(job=job.pk)
    else:
        log.warning("Job %s (%s) stopped: %r", job.pk, job.kind, exc)
        return WORKER_STOPPED
    log.info("Job %s (%s) failed: %s", job.pk, job.kind, text)
    text = storable_text(text).strip()
    return text[:ERROR_LENGTH] if text else UNEXPECTED.format(job=job.pk)


def jobs_lost_fail(*, only: int | None = None) -> list[int]:
    """Fail the jobs whose worker stopped: running, and not heard from (its heartbeat) for
    LOST_AFTER; or queued, their task taken by a worker that could not start them. Each
    with a sentence saying so, its task failed with it; the office retries it from its
    page. The scheduler calls this at every look, and each worker when it starts."""
    now = timezone.now()
    cutoff = now - LOST_AFTER
    alive = JobHeartbeat.objects.filter(
        job_id=OuterRef("pk"), attempt=OuterRef("attempts"), beat_at__gte=cutoff
    )
    running = Job.objects.filter(status=JobStatus.RUNNING, started_at__lt=cutoff)
    if only is not None:
        running = running.filter(pk=only)
    lost = list(running.exclude(Exists(alive)).values_list("pk", flat=True))
    failed = [pk for pk in lost if _job_lost_fail(pk, cutoff=cutoff, now=now)]
    if only is None:
        failed += _jobs_never_started_fail(cutoff=cutoff, now=now)
    return failed


def _job_lost_fail(pk: int, *, cutoff: datetime.datetime, now: datetime.datetime) -> bool:
    with transaction.atomic():
        # A row locked by someone is a job whose work holds it in a transaction, on a live
        # connection (a dead worker's locks go with its connection): skip it, not wait.
        job = (
            Job.objects.select_for_update(skip_locked=True)
            .filter(pk=pk, status=JobStatus.RUNNING)
            .first()
        )
        if job is None:
            return False
        heard = _last_heard_from(job)  # again, under the lock: it may have beaten meanwhile
        if heard >= cutoff:
            return False
        when = f"at {timezone.localtime(heard):%b %d, %H:%M}"
        error = WORKER_LOST.format(when=when)
        Job.objects.filter(pk=pk).update(status=JobStatus.FAILED, finished_at=now, error=error)
        _task_failed(job.task_id, error, now)
    log.warning("Job %s (%s): its worker stopped; failed", pk, job.kind)
    return True


def _jobs_never_started_fail(*, cutoff: datetime.datetime, now: datetime.datetime) -> list[int]:
    queued = dict(
        Job.objects.filter(status=JobStatus.QUEUED, updated_at__lt=cutoff)
        .exclude(task_id="")
        .values_list("task_id", "pk")
    )
    ids = [task for task in queued if _uuid(task)]
    finished = DBTaskResult.objects.filter(
        pk__in=ids, status__in=[TaskResultStatus.FAILED, TaskResultStatus.SUCCESSFUL]
    ).values_list("pk", flat=True)
    failed = []
    for task in finished:
        pk = queued[str(task)]
        if (
            Job.objects.filter(pk=pk, status=JobStatus.QUEUED, task_id=str(task)).update(
                status=JobStatus.FAILED, finished_at=now, error=NEVER_STARTED
            )
            == 1
        ):
            failed.append(pk)
    return failed


def job_task_abandoned(*, task_id: str) -> None:
    """A worker lost its database while running this task, so could not record how it
    ended: once the database is back, the task ends as its job did, or both fail."""
    now = timezone.now()
    with transaction.atomic():
        Job.objects.filter(task_id=task_id, status__in=ACTIVE_STATUSES).update(
            status=JobStatus.FAILED, finished_at=now, error=DATABASE_LOST
        )
        job = Job.objects.filter(task_id=task_id).values("status", "error").first()
        if job is None or job["status"] == JobStatus.FAILED:
            _task_failed(task_id, job["error"] if job else DATABASE_LOST, now)
        else:
            _task_ended(task_id, now=now, status=TaskResultStatus.SUCCESSFUL, error="")


def _task_failed(task_id: str, error: str, now: datetime.datetime) -> None:
    """The queue's row of a job's task, failed as its job was."""
    _task_ended(task_id, now=now, status=TaskResultStatus.FAILED, error=error)


def _task_ended(task_id: str, *, now: datetime.datetime, status: str, error: str) -> None:
    if not _uuid(task_id):  # not the database queue's (the immediate backend runs in place)
        return
    DBTaskResult.objects.filter(
        pk=task_id, status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING]
    ).update(
        status=status,
        finished_at=now,
        return_value=None,
        exception_class_path="jobs.extensions.JobFailed" if error else "",
        traceback=error,
    )


def _uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True
