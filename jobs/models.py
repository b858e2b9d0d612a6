from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.expressions import Combinable

from appkit.text import storable_json, storable_text

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Waiting for a worker"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Done"
    FAILED = "failed", "Failed"


ACTIVE_STATUSES = (JobStatus.QUEUED, JobStatus.RUNNING)


def _storable(field: models.Field, value: Any) -> Any:
    """A value for a job's column, as the database stores it: text made storable and cut to
    the column's length, JSON made storable; an expression (F("attempts") + 1) as it is."""
    if isinstance(value, Combinable):
        return value
    if isinstance(field, models.JSONField):
        return storable_json(value)
    if isinstance(value, str):
        text = storable_text(value)
        if field.max_length and not isinstance(field, models.FileField):
            text = text[: field.max_length]
        return text
    return value


class JobQuerySet(models.QuerySet):
    def update(self, **fields: Any) -> int:
        """Every write to jobs goes through here or `Job.save()`: whatever the work hands
        it, the row is written (a failure that cannot be written leaves the job Running)."""
        get = self.model._meta.get_field
        return super().update(**{name: _storable(get(name), v) for name, v in fields.items()})


class Job(models.Model):
    """Long work done by a worker (django-tasks), with its progress and outcome, so that
    whoever started it can follow it, close the tab, come back, and retry it if it failed.

    `key` names what the job does (`dues.generate_charges:2026-11`): while one job with a key
    is queued or running, starting it again gives that job, not a second one."""

    kind = models.CharField(max_length=60)
    key = models.CharField(max_length=200)
    label = models.CharField(max_length=200)
    params = models.JSONField(default=dict, blank=True)
    # For a job the scheduler started: the time it was due (once per time, however many
    # schedulers run).
    scheduled_for = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=JobStatus.choices, default=JobStatus.QUEUED)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    # Written with every progress report: a running job not heard from for long is stuck.
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    step = models.CharField(max_length=200, blank=True)
    done = models.BigIntegerField(default=0)
    total = models.BigIntegerField(null=True, blank=True)
    # What came of it: counts, a message, row errors (shown on the job's page).
    outcome = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    # Failed because the work decided not to write (JobRefused, a ValidationError), not
    # because it broke: the same job would refuse again, so it is never retried.
    refused = models.BooleanField(default=False)
    attempts = models.PositiveIntegerField(default=0)
    # A file the job reads (an upload to import) or writes (an export to download).
    upload = models.FileField(upload_to="jobs/uploads/%Y/%m/", blank=True)
    result = models.FileField(upload_to="jobs/results/%Y/%m/", blank=True)
    # The name the result downloads as (`members-2026-12-07.csv`): the storage's own name
    # may carry a suffix it added to keep two files apart.
    result_name = models.CharField(max_length=200, blank=True)
    # The same work asked for again by the same person (kind, starter, parameters, file):
    # while one such job is unfinished, starting it again gives that job.
    fingerprint = models.CharField(max_length=64, blank=True)
    # The queue's task (django-tasks) that runs this job now: a job given up for lost
    # fails its task too, so the two never disagree.
    task_id = models.CharField(max_length=64, blank=True)

    objects = JobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        default_permissions = ("view",)
        permissions = [("view_all_jobs", "Can see every user's jobs and their files")]
        constraints = [
            models.UniqueConstraint(
                fields=["key"],
                condition=Q(status__in=ACTIVE_STATUSES),
                name="job_one_active_per_key",
            ),
            models.UniqueConstraint(
                fields=["fingerprint"],
                condition=Q(status__in=ACTIVE_STATUSES) & ~Q(fingerprint=""),
                name="job_one_active_per_fingerprint",
            ),
            models.UniqueConstraint(
                fields=["kind", "scheduled_for"], name="job_once_per_scheduled_time"
            ),
            models.CheckConstraint(
                condition=Q(status__in=JobStatus.values), name="job_status_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="job_recent_idx"),
            models.Index(fields=["started_by", "-created_at"], name="job_starter_idx"),
        ]

    def __str__(self) -> str:
        return self.label

    def save(self, *args: Any, **kwargs: Any) -> None:
        for field in self._meta.concrete_fields:
            if isinstance(field, models.FileField):
                file = getattr(self, field.attname)
                if file and file.name:
                    file.name = storable_text(file.name)
            elif not field.primary_key:
                value = getattr(self, field.attname)
                setattr(self, field.attname, _storable(field, value))
        super().save(*args, **kwargs)

    @property
    def actor(self) -> AbstractBaseUser | str:
        """Who the job acts as: the person who started it or, where the system started it (a
        schedule, the end of another job), its kind's name."""
        return self.started_by or self.kind

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def percent(self) -> int | None:
        """How full the bar is: 100 at Done, whatever the counts say (a total may have been an
        estimate); short of 100 until then, so that only a finished job looks finished."""
        if self.status == JobStatus.SUCCEEDED:
            return 100
        if not self.total:
            return None
        return max(0, min(99, int(self.done * 100 / self.total)))


class JobHeartbeat(models.Model):
    """The worker running a job says, every little while, that it still is (jobs/heartbeat.py).
    A row of its own, not a column of the job's: the work may hold the job's row locked for
    minutes (a remittance posts in one transaction, its progress written inside it), and a
    heartbeat that waited for that lock would say nothing while the worker lives."""

    job = models.OneToOneField(Job, primary_key=True, on_delete=models.CASCADE, related_name="+")
    attempt = models.PositiveIntegerField()
    beat_at = models.DateTimeField()

    class Meta:
        default_permissions = ()

    def __str__(self) -> str:
        return f"Job {self.job_id}, attempt {self.attempt}: {self.beat_at}"
