"""The dues app's long work, as jobs (`jobs.kinds`, `jobs.schedule`; declared in DuesConfig):
generating a period's charges, exporting the arrears report, and the nightly check that the
kept ledgers still agree with the rules."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from appkit.text import counted
from audit.actors import Actor, actor_key
from audit.csv_export import export_recorded
from jobs.extensions import JobFailed, JobKind, JobObject, Scheduled
from jobs.files import job_result_csv
from jobs.models import Job
from jobs.progress import Progress
from jobs.services import job_key, job_start
from members.selectors import member_fields_hidden_from

from .exports import arrears_csv_lines
from .models import DuesPeriod
from .selectors import arrears_list, arrears_totals
from .services import (
    dues_charges_generate,
    ledgers_and_totals_check,
    member_ledgers_bring_up_to_date,
)

if TYPE_CHECKING:
    pass


def generate_charges_run(job: Job, progress: Progress) -> dict[str, Any]:
    period = DuesPeriod.objects.get(pk=job.params["period_id"])
    result = dues_charges_generate(period=period, actor=job.actor, progress=progress)
    return {
        "message": str(result),
        "created": result.created,
        "already_charged": result.already_charged,
        "skipped_no_rate": [m.member_number for m in result.skipped_no_rate[:200]],
    }


def arrears_export_run(job: Job, progress: Progress) -> dict[str, Any]:
    months, status = job.params["months"], job.params.get("status") or ""
    statuses = [status] if status else None
    member_ledgers_bring_up_to_date()  # months in arrears grow when a charge falls due
    rows = arrears_list(min_months=months, statuses=statuses)
    count, _ = arrears_totals(min_months=months, statuses=statuses)
    progress.step("Writing the arrears report to CSV", total=count)
    hidden = member_fields_hidden_from(job.started_by)
    count = job_result_csv(
        job,
        name="arrears",
        lines=arrears_csv_lines(rows.iterator(chunk_size=2000), hidden=hidden),
        progress=progress,
    )
    export_recorded(
        actor=job.actor,
        model_label="members.member",
        count=count,
        what="members in arrears",
        detail=f"Behind by {months}+ months; status {status or 'any'}.",
    )
    return {"message": f"{counted(count, 'member')} in arrears exported.", "rows": count}


def ledger_check_run(job: Job, progress: Progress) -> dict[str, Any]:
    """The nightly check (dues/kept_totals.py, dues/services/ledgers.py); a difference
    fails the job, once set right: it means a write went behind the services or the
    triggers, which someone must look at."""
    progress.step("Checking every kept ledger and total against the tables")
    differences = ledgers_and_totals_check(repair=True)
    if differences:
        listed = "; ".join(differences[:20])
        raise JobFailed(f"{counted(len(differences), 'difference')}, now set right: {listed}")
    return {"message": "Every kept ledger and total agrees with the tables."}


GENERATE_CHARGES = JobKind(
    name="dues.generate_charges",
    label="Generate dues charges",
    permission="dues.generate_charges",
    run=generate_charges_run,
    back=JobObject("the period", "admin:dues_duesperiod_change", param="period_id"),
)
ARREARS_EXPORT = JobKind(
    name="dues.arrears_export",
    label="Export the arrears report to CSV",
    permission="dues.view_payment",
    run=arrears_export_run,
    back=JobObject("the arrears report", "dues:arrears", query=("months", "status")),
)
LEDGER_CHECK = JobKind(
    name="dues.ledger_check",
    label="Check the kept ledgers against the rules",
    permission="dues.view_payment",
    run=ledger_check_run,
)
NIGHTLY_LEDGER_CHECK = Scheduled(
    kind=LEDGER_CHECK, every=datetime.timedelta(days=1), at=datetime.timedelta(hours=2)
)


def dues_charges_generation_start(*, period: DuesPeriod, actor: Actor) -> Job:
    """Queue the period's charge generation for a worker (a large local takes longer than
    a request may), or give the job already queued or running for this period."""
    return job_start(
        kind=GENERATE_CHARGES,
        key=f"dues.generate_charges:{period.pk}",
        label=f"Generate dues charges for {period}",
        actor=actor,
        params={"period_id": period.pk},
    )


def arrears_export_start(*, months: int, status: str, actor: Actor) -> Job:
    """Queue the arrears report's CSV for a worker (the whole local's arrears may take
    longer than a request); the same request while it runs gives its job."""
    return job_start(
        kind=ARREARS_EXPORT,
        key=job_key(ARREARS_EXPORT, actor_key(actor), months, status),
        label=f"Arrears report ({months}+ months, {status or 'any status'}) to CSV",
        actor=actor,
        params={"months": months, "status": status},
    )
