"""Governance's long work, as jobs (`jobs.kinds`, `jobs.schedule`; declared in
ComplianceConfig): applying the arrears policy (nightly, or when an officer asks) and
working out an eligibility list."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from django.urls import reverse
from django.utils import timezone

from appkit.files import csv_lines
from audit.actors import Actor
from jobs.extensions import JobKind, JobObject, JobRefused, Scheduled
from jobs.files import job_result_csv
from jobs.models import Job
from jobs.progress import Progress
from jobs.services import job_key, job_start

from .confirmations import arrears_plan, arrears_plan_of
from .models import ArrearsPolicy
from .services import (
    ArrearsFactsChanged,
    Proposal,
    arrears_policy_apply,
    eligibility_list_create,
)

if TYPE_CHECKING:
    from .services.arrears import Listed


def apply_arrears_policy_run(job: Job, progress: Progress) -> dict[str, Any]:
    """Apply the policy on a day (or, `dry_run`, only list what it would change); every
    change, with its reason, in the job's CSV, the first of them on its page."""
    day = job.params.get("as_of")
    day = datetime.date.fromisoformat(day) if day else timezone.localdate()
    if not ArrearsPolicy.objects.filter(effective_date__lte=day).exists():
        return {"message": f"No arrears policy in force on {day}: nothing to apply."}
    dry_run = bool(job.params.get("dry_run"))
    expected = None if dry_run else _listed_by(job.params.get("plan_job"), day)
    progress.step(f"Working out every member's standing on {day}")
    try:
        run = arrears_policy_apply(
            day=day, dry_run=dry_run, actor=job.actor, progress=progress, expected=expected
        )
    except ArrearsFactsChanged as exc:
        # Nothing was written: a retry would refuse again; the page leads to a new dry run.
        raise JobRefused(" ".join(exc.messages)) from None
    progress.step("Writing the changes to CSV", total=len(run.proposals))
    job_result_csv(
        job,
        name=f"arrears-policy-{day}",
        lines=csv_lines(PROPOSAL_COLUMNS, (_proposal_row(p) for p in run.proposals)),
        progress=progress,
    )
    shown = [
        f"{p.member_number} {p.name}: {p.kind.label}{' (held)' if p.held else ''}. {p.reason}"
        for p in run.proposals[:SHOWN]
    ]
    if len(run.proposals) > SHOWN:
        shown.append(f"... and {len(run.proposals) - SHOWN:,} more: download the CSV.")
    outcome = {
        "message": str(run),
        "applied": run.applied,
        "held": sum(1 for p in run.proposals if p.held),
        "errors": shown,
        "next_url": reverse("compliance:arrears") + f"?as_of={day}",
        "next_label": "To the arrears policy",
    }
    if dry_run:
        # Kept whole: "Apply exactly these" applies this list, or nothing.
        outcome["plan"] = arrears_plan(run)
        if any(not p.held for p in run.proposals):
            outcome["next_url"] = reverse("compliance:arrears_apply", args=[job.pk])
            outcome["next_label"] = "Apply exactly these"
    elif expected is not None and run.applied < len(expected):
        outcome["message"] += (
            f" Of the {len(expected):,} listed, {len(expected) - run.applied:,} had been "
            "applied already or changed at the last moment (each member is checked as it "
            "is changed)."
        )
    return outcome


def _listed_by(plan_job: int | None, day: datetime.date) -> set[Listed] | None:
    """The changes a dry run listed and an officer confirmed (None: the nightly run, or the
    command, which apply whatever the policy makes)."""
    if plan_job is None:
        return None
    dry_run = Job.objects.filter(pk=plan_job, kind=APPLY_ARREARS_POLICY.name).first()
    plan = arrears_plan_of(dry_run.outcome) if dry_run is not None else None
    if plan is None or plan.day != day:
        raise JobRefused("The dry run this was to apply is gone: list the changes again.")
    return plan.listed


SHOWN = 50
PROPOSAL_COLUMNS = [
    "member_number",
    "name",
    "change",
    "from_status",
    "to_status",
    "months_owed",
    "amount_owed",
    "held",
    "reason",
]


def _proposal_row(p: Proposal) -> list[object]:
    return [
        p.member_number,
        p.name,
        p.kind.label,
        p.from_status,
        p.to_status,
        p.months_owed,
        p.amount_owed,
        p.held,
        p.reason,
    ]


def eligibility_list_run(job: Job, progress: Progress) -> dict[str, Any]:
    elist = eligibility_list_create(
        title=job.params.get("title", ""),
        record_date=datetime.date.fromisoformat(job.params["record_date"]),
        actor=job.actor,
        progress=progress,
    )
    return {
        "message": f"{elist.eligible_count:,} eligible, {elist.ineligible_count:,} not, on "
        f"{elist.record_date}. A draft: publish it to freeze it.",
        "list": elist.pk,
        "count": elist.eligible_count + elist.ineligible_count,
        "next_url": reverse("compliance:eligibility_detail", args=[elist.pk]),
        "next_label": "To the list",
    }


APPLY_ARREARS_POLICY = JobKind(
    name="compliance.apply_arrears_policy",
    label="Apply the arrears policy",
    permission="compliance.add_standingchange",
    run=apply_arrears_policy_run,
    back=JobObject("the arrears policy", "compliance:arrears", query=("as_of",)),
)
ELIGIBILITY_LIST = JobKind(
    name="compliance.eligibility_list",
    label="Work out an eligibility list",
    permission="compliance.add_eligibilitylist",
    run=eligibility_list_run,
    # The list it made (where it is published), once made; before that, the lists.
    back=(
        JobObject("the eligibility list", "compliance:eligibility_detail", outcome="list"),
        JobObject("the eligibility lists", "compliance:eligibility"),
    ),
)


# After the nightly ledger check (02:00), so that it reads ledgers known to be right.
def arrears_policy_apply_start(
    *, day: datetime.date, dry_run: bool, actor: Actor, plan_job: Job | None = None
) -> Job:
    """Queue the policy's application on `day` (or, `dry_run`, the list of what it would
    change) for a worker; the same request while it runs gives its job. `plan_job`, a dry
    run's job: apply exactly the changes it listed, or none if the records changed since."""
    params: dict[str, Any] = {"as_of": day.isoformat(), "dry_run": dry_run}
    if plan_job is not None:
        params["plan_job"] = plan_job.pk
    return job_start(
        kind=APPLY_ARREARS_POLICY,
        key=job_key(APPLY_ARREARS_POLICY, day, dry_run),
        label=f"{'List what' if dry_run else 'Apply'} the arrears policy "
        f"{'changes ' if dry_run else ''}on {day}"
        f"{f' (the list of job {plan_job.pk})' if plan_job is not None else ''}",
        actor=actor,
        params=params,
    )


def eligibility_list_create_start(*, title: str, record_date: datetime.date, actor: Actor) -> Job:
    """Queue the working out of an eligibility list (the whole local) for a worker."""
    return job_start(
        kind=ELIGIBILITY_LIST,
        key=job_key(ELIGIBILITY_LIST, record_date, title),
        label=f"Eligibility list on {record_date}",
        actor=actor,
        params={"title": title, "record_date": record_date.isoformat()},
    )


NIGHTLY_ARREARS_POLICY = Scheduled(
    kind=APPLY_ARREARS_POLICY,
    every=datetime.timedelta(days=1),
    at=datetime.timedelta(hours=4),
)
