"""The payments app's long work, as jobs (`jobs.kinds`, `jobs.schedule`; declared in
PaymentsConfig): reconciling with Stripe, every hour; collecting autopay when a period is
charged, and its retries, every day."""

from __future__ import annotations

import datetime
from typing import Any

from audit.actors import Actor
from dues.models import DuesPeriod
from jobs.extensions import JobKind, JobObject, Scheduled
from jobs.models import Job
from jobs.progress import Progress
from jobs.services import job_key, job_start

from .autopay import SYSTEM_ACTOR
from .collecting import autopay_collect, autopay_retry_due
from .reconcile import stripe_reconcile
from .stripe_client import stripe_configured


def reconcile_run(job: Job, progress: Progress) -> dict[str, Any]:
    if not stripe_configured():
        return {"message": "Online payment is not set up: nothing to reconcile."}
    lines = stripe_reconcile(progress)
    changes = sum(1 for line in lines if "->" in line)
    return {"message": f"Reconciled with Stripe: {changes} change(s).", "errors": lines}


STRIPE_RECONCILE = JobKind(
    name="payments.reconcile",
    label="Reconcile with Stripe",
    permission="payments.rerun_stripeevent",
    run=reconcile_run,
)
HOURLY_RECONCILE = Scheduled(kind=STRIPE_RECONCILE, every=datetime.timedelta(hours=1))


def autopay_collect_run(job: Job, progress: Progress) -> dict[str, Any]:
    if not stripe_configured():
        return {"message": "Online payment is not set up: no autopay to collect."}
    run = autopay_collect(
        period=DuesPeriod.objects.get(pk=job.params["period_id"]), progress=progress
    )
    return {"message": str(run), **run.outcomes, "requests": run.requests}


def autopay_retry_run(job: Job, progress: Progress) -> dict[str, Any]:
    if not stripe_configured():
        return {"message": "Online payment is not set up: no autopay to retry."}
    run = autopay_retry_due(progress=progress)
    return {"message": str(run), **run.outcomes, "requests": run.requests}


def autopay_after_charging(period_id: int) -> None:
    """A period was charged (`dues.after_charging`): collect from the members on autopay."""
    autopay_collect_start(period=DuesPeriod.objects.get(pk=period_id), actor=SYSTEM_ACTOR)


def autopay_collect_start(*, period: DuesPeriod, actor: Actor) -> Job:
    """Queue autopay's collection for the period, by a worker, once per period."""
    period_id = period.pk
    return job_start(
        kind=AUTOPAY_COLLECT,
        key=job_key(AUTOPAY_COLLECT, period_id),
        label=f"Collect autopay for {period}",
        actor=actor,
        params={"period_id": period_id},
    )


AUTOPAY_COLLECT = JobKind(
    name="payments.autopay_collect",
    label="Collect autopay for a period",
    permission="dues.generate_charges",
    run=autopay_collect_run,
    back=JobObject("the period", "admin:dues_duesperiod_change", param="period_id"),
)
AUTOPAY_RETRY = JobKind(
    name="payments.autopay_retry",
    label="Retry failed autopay collections",
    permission="dues.generate_charges",
    run=autopay_retry_run,
)
DAILY_AUTOPAY_RETRY = Scheduled(
    kind=AUTOPAY_RETRY, every=datetime.timedelta(days=1), at=datetime.timedelta(hours=9)
)
