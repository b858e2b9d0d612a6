"""Governance's long work, as jobs (`jobs.kinds`, `jobs.schedule`; declared in
ComplianceConfig): applying the arrears policy (nightly, or when an officer asks) and
working out an eligibility list."""

from __future__ import annotations

import datetime
from typing import Any

from django.urls import reverse
from django.utils import timezone

from jobs.extensions import JobKind, Scheduled
from jobs.models import Job
from jobs.progress import Progress

from .models import ArrearsPolicy
from .services import arrears_policy_apply, eligibility_list_create


def apply_arrears_policy_run(job: Job, progress: Progress) -> dict[str, Any]:
    day = job.params.get("as_of")
    day = datetime.date.fromisoformat(day) if day else timezone.localdate()
    if not ArrearsPolicy.objects.filter(effective_date__lte=day).exists():
        return {"message": f"No arrears policy in force on {day}: nothing to apply."}
    run = arrears_policy_apply(day=day, actor=job.started_by, progress=progress)
    return {
        "message": str(run),
        "applied": run.applied,
        "held": sum(1 for p in run.proposals if p.held),
        "next_url": reverse("compliance:arrears") + f"?as_of={day}",
        "next_label": "To the arrears policy",
    }


def eligibility_list_run(job: Job, progress: Progress) -> dict[str, Any]:
    elist = eligibility_list_create(
        title=job.params.get("title", ""),
        record_date=datetime.date.fromisoformat(job.params["record_date"]),
        actor=job.started_by,
        progress=progress,
    )
    return {
        "message": f"{elist.eligible_count:,} eligible, {elist.ineligible_count:,} not, on "
        f"{elist.record_date}. A draft: publish it to freeze it.",
        "count": elist.eligible_count + elist.ineligible_count,
        "next_url": reverse("compliance:eligibility_detail", args=[elist.pk]),
        "next_label": "To the list",
    }


APPLY_ARREARS_POLICY = JobKind(
    name="compliance.apply_arrears_policy",
    label="Apply the arrears policy",
    permission="compliance.add_standingchange",
    run=apply_arrears_policy_run,
)
ELIGIBILITY_LIST = JobKind(
    name="compliance.eligibility_list",
    label="Work out an eligibility list",
    permission="compliance.add_eligibilitylist",
    run=eligibility_list_run,
)
# After the nightly ledger check (02:00), so that it reads ledgers known to be right.
NIGHTLY_ARREARS_POLICY = Scheduled(
    kind="compliance.apply_arrears_policy",
    every=datetime.timedelta(days=1),
    at=datetime.timedelta(hours=4),
)
