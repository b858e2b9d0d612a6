"""Jobs that run on a schedule (the `jobs.schedule` extension point)."""

from __future__ import annotations

import datetime

from django.utils import timezone

from .extensions import SCHEDULE, Scheduled
from .models import Job
from .services import job_start

# Who starts a scheduled job; the job then acts as its kind (Job.actor).
SCHEDULER = "scheduler"


def schedule_due_jobs(now: datetime.datetime | None = None) -> list[Job]:
    """Start each scheduled job whose time in its current period has come, once: its key
    names the period, and a job with that key, even finished, is not started again."""
    now = now or timezone.now()
    started = []
    for entry in SCHEDULE.declarations():
        slot = _slot(entry, now)
        if slot is None:
            continue
        if Job.objects.filter(kind=entry.kind.name, scheduled_for=slot).exists():
            continue
        started.append(
            job_start(
                kind=entry.kind,
                # With its UTC offset: the hour repeated when clocks fall back has its own.
                key=f"{entry.kind.name}@{slot:%Y-%m-%dT%H:%M%z}",
                label=f"{entry.kind.label} (scheduled, {slot:%b %d %H:%M})",
                actor=SCHEDULER,
                params=entry.params,
                scheduled_for=slot,
            )
        )
    return started


def _slot(entry: Scheduled, now: datetime.datetime) -> datetime.datetime | None:
    """The start of the current period plus its offset, if that time has come. Periods
    count the local's wall clock from midnight (a daily job at 00:15 runs at 00:15 on a
    23- or 25-hour day too). In the hour repeated when clocks fall back, a job run at least
    hourly runs again (its slots then are the second pass's, `fold=1`); a longer period's
    slot there (daily at 01:30) is the first pass's, already started, so it runs once."""
    local = timezone.localtime(now)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    periods = (local - midnight) // entry.every
    slot = midnight + periods * entry.every + entry.at
    if entry.every <= datetime.timedelta(hours=1):
        slot = slot.replace(fold=local.fold)
    return slot if slot <= local else None
