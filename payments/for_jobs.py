"""The payments app's long work, as jobs (`jobs.kinds`, `jobs.schedule`; declared in
PaymentsConfig): reconciling with Stripe, every hour."""

from __future__ import annotations

import datetime
from typing import Any

from jobs.extensions import JobKind, Scheduled
from jobs.models import Job
from jobs.progress import Progress

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
HOURLY_RECONCILE = Scheduled(kind="payments.reconcile", every=datetime.timedelta(hours=1))
