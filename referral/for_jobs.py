"""The hiring hall's long work, as jobs (`jobs.kinds`, `jobs.schedule`; declared in
ReferralConfig): the vendor's lists imported, the nightly drop, the notices' sender, a
long report's PDF, and a large morning referral confirmed."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from typing import Any

from django.urls import reverse
from django.utils import timezone

from appkit.files import UndecodableFile, decode_upload
from audit.actors import Actor, actor_key
from jobs.extensions import JobKind, JobObject, Scheduled
from jobs.files import job_result_bytes
from jobs.models import Job
from jobs.progress import Progress
from jobs.services import job_key, job_start

from .importing import (
    IMPORT_PERMISSION,
    ReferralImport,
    employer_contracts_import,
    registrations_import,
)
from .models import ReferralRun, ReferralRunStatus
from .notices import notices_send, resign_reminders_write
from .report_files import pdf_export_record, report_file
from .services import (
    exemptions_end_due,
    labor_requests_expire,
    referral_run_confirm,
    registrations_drop_missed,
)

# --- Importing the vendor's lists (referral/importing/) ------------------------------------
# Upload → a worker checks every row → the preview → confirm → a worker writes every row or
# none (jobs/uploads.py; the admin's side is referral/admin_imports.py).

IMPORTS = {"registrations": registrations_import, "employer contracts": employer_contracts_import}
# The model whose list in the admin has each import's upload.
IMPORTED_MODELS = {"registrations": "registration", "employer contracts": "employercontract"}


def _imported(job: Job, progress: Progress, *, dry_run: bool) -> ReferralImport:
    """The job's upload imported (or only checked, `dry_run`) with the layout given at the
    upload; a file that is no CSV text is one problem of the file's."""
    with job.upload.open("rb") as upload:
        try:
            text = decode_upload(upload.read())
        except UndecodableFile as exc:
            result = ReferralImport()
            result.error(exc.row or 1, exc.column or "file", exc.message)
            return result
    return IMPORTS[job.params["what"]](
        csv_text=text,
        actor=job.actor,
        layout=job.params.get("layout") or {},
        dry_run=dry_run,
        progress=progress,
    )


def _refused(result: ReferralImport) -> dict[str, Any]:
    errors = [str(error) for error in result.errors]
    if result.error_count > len(errors):
        errors.append(f"... and {result.error_count - len(errors):,} more.")
    return {
        "message": f"Nothing was imported: {result.error_count:,} problems. Fix them in the "
        "file and upload it again (row 1 is the header).",
        "errors": errors,
        "error_count": result.error_count,
        "count": 0,
    }


def import_check_run(job: Job, progress: Progress) -> dict[str, Any]:
    """Check every row of a vendor's list; nothing is written. The outcome links to the
    preview, where the hall confirms the import."""
    what = job.params["what"]
    progress.step(f"Checking the {what}", total=None)
    result = _imported(job, progress, dry_run=True)
    if not result.ok:
        return _refused(result)
    message = (
        f"{result.count:,} {what} are ready to import. Nothing is written yet."
        if result.count
        else f"Nothing to import: every one of these {what} is kept already."
    )
    outcome: dict[str, Any] = {
        "message": " ".join([message, *result.notes]),
        "count": result.count,
        "preview": result.preview,
    }
    if result.count:
        model = IMPORTED_MODELS[what]
        outcome["next_url"] = reverse(f"admin:referral_{model}_import_preview", args=[job.pk])
        outcome["next_label"] = "Preview and confirm"
    return outcome


def import_run(job: Job, progress: Progress) -> dict[str, Any]:
    """Write every row of a checked list, or none (checked again as it is written)."""
    what = job.params["what"]
    result = _imported(job, progress, dry_run=False)
    if not result.ok:
        return _refused(result)
    return {
        "message": " ".join([f"Imported {result.count:,} {what}.", *result.notes]),
        "count": result.count,
        "next_url": reverse(f"admin:referral_{IMPORTED_MODELS[what]}_changelist"),
        "next_label": f"To the {what}",
    }


def _kinds(what: str, model: str) -> tuple[JobKind, JobKind]:
    """An import's two kinds: its check and its write (one pair per list, so that a check's
    preview is found only on its own list's page)."""
    back = JobObject("the import", f"admin:referral_{model}_import")
    check = JobKind(
        name=f"referral.{model}_import_check",
        label=f"Check a vendor's {what}",
        permission=IMPORT_PERMISSION,
        run=import_check_run,
        back=back,
    )
    write = JobKind(
        name=f"referral.{model}_import",
        label=f"Import a vendor's {what}",
        permission=IMPORT_PERMISSION,
        run=import_run,
        back=back,
    )
    return check, write


REGISTRATIONS_CHECK, REGISTRATIONS_IMPORT = _kinds("registration list", "registration")
CONTRACTS_CHECK, CONTRACTS_IMPORT = _kinds("employer contracts", "employercontract")
CHECKS = {"registrations": REGISTRATIONS_CHECK, "employer contracts": CONTRACTS_CHECK}
WRITES = {"registrations": REGISTRATIONS_IMPORT, "employer contracts": CONTRACTS_IMPORT}


def vendor_list_check_start(
    *, what: str, upload, digest: str, layout: dict[str, str], actor: Actor
) -> Job:
    """Queue the check of an uploaded vendor's list (every row) before anything is written;
    the same file and layout uploaded again while it runs gives its job."""
    kind = CHECKS[what]
    return job_start(
        kind=kind,
        key=job_key(kind, actor_key(actor), digest, layout),
        label=f"Check {what} in {upload.name}",
        actor=actor,
        params={"what": what, "layout": layout},
        upload=upload,
    )


def vendor_list_import_start(*, checked: Job, actor: Actor) -> Job:
    """Queue the write of a checked vendor's list: all of it, or none."""
    what = checked.params["what"]
    kind = WRITES[what]
    return job_start(
        kind=kind,
        key=job_key(kind, checked.pk),
        label=f"Import {checked.outcome['count']:,} {what}",
        actor=actor,
        params={
            "what": what,
            "layout": checked.params.get("layout") or {},
            "checked_job": checked.pk,
        },
        upload=checked.upload,
    )


# --- End of the vendor's lists ------------------------------------------------------------


# --- Scheduled: the nightly drop, and the notices' sender ---------------------------------
# Each acts as its kind (Job.actor): the events and notices it writes name
# "referral.nightly" or "referral.notices_send".


def nightly_run(job: Job, progress: Progress) -> dict[str, Any]:
    """Shortly after the local's midnight: end the exemptions past their end, drop the
    registrations past their re-sign date (each with its notice), remind those whose
    re-sign falls due soon, and expire the labor requests left unfilled on a past day. Each
    step is idempotent (the first three work in chunks), so a retry, or a run after a missed
    night, does what is left and no more."""
    now = timezone.now()
    progress.step("Ending exemptions past their end")
    ended = exemptions_end_due(actor=job.actor, now=now)
    progress.step("Dropping registrations past their re-sign date")
    dropped = registrations_drop_missed(actor=job.actor, now=now)
    progress.step("Writing re-sign reminders")
    reminded = resign_reminders_write(actor=job.actor, now=now)
    progress.step("Expiring labor requests whose referral day has passed")
    expired = labor_requests_expire(actor=job.actor, now=now)
    return {
        "message": f"{dropped:,} registrations dropped (re-sign missed), {ended:,} exemptions "
        f"ended, {reminded:,} re-sign reminders written, {expired:,} labor requests expired.",
        "dropped": dropped,
        "exemptions_ended": ended,
        "reminders": reminded,
        "requests_expired": expired,
    }


def notices_send_run(job: Job, progress: Progress) -> dict[str, Any]:
    progress.step("Sending the notices waiting in the outbox")
    result = notices_send(actor=job.actor)
    return {
        "message": str(result),
        "sent": result.sent,
        "failed": result.failed,
        "outdated": result.outdated,
    }


NIGHTLY = JobKind(
    name="referral.nightly",
    label="Drop missed re-signs, end exemptions, write re-sign reminders",
    permission="referral.roll_off_registration",
    run=nightly_run,
)
NOTICES_SEND = JobKind(
    name="referral.notices_send",
    label="Send the hiring hall's notices",
    permission="referral.roll_off_registration",
    run=notices_send_run,
)
# 00:15 local time, every day: the day that has just ended was the last to re-sign for the
# registrations it drops (rules.resign_missed), whatever the day's length in a daylight-
# saving change (the scheduler counts the local's wall clock: tests/test_scheduled.py).
NIGHTLY_AT_00_15 = Scheduled(
    kind=NIGHTLY, every=datetime.timedelta(days=1), at=datetime.timedelta(minutes=15)
)
NOTICES_EVERY_5_MINUTES = Scheduled(kind=NOTICES_SEND, every=datetime.timedelta(minutes=5))

# --- end of the scheduled jobs ------------------------------------------------------------


# --- A long report's PDF (referral/report_files.py) --------------------------------------
# Laid out by a worker: about 0.6 ms a row, so a book of 10,000 would hold a request for
# 6 s. The PDF is the job's download, for whoever started it (and Admin and Officer, who
# see every job: jobs.selectors.jobs_visible_to).


def report_pdf_run(job: Job, progress: Progress) -> dict[str, Any]:
    """The report named by the job's parameters (its page's name, and what the page was
    asked), laid out as PDF, each row counted on the job's page."""
    params = dict(job.params)
    file = report_file(params.pop("report"), params)
    progress.step(f"Laying out {file.title}", total=file.count)
    name = file.download_name("pdf")
    job_result_bytes(job, name=name, content=file.pdf(rows=_counted(file.rows, progress)))
    pdf_export_record(file, actor=job.started_by)
    return {"message": f"The PDF of {file.count:,} {file.what} is ready.", "rows": file.count}


def _counted(rows: Iterable[Iterable[object]], progress: Progress) -> Iterator[Iterable[object]]:
    for row in rows:
        yield row
        progress.advance()


def _report_page(job: Job) -> str:
    return f"referral:{job.params['report']}"


# The report's page, asked as it was (a book's, a member's, or the hall's).
_REPORT_QUERY = ("at", "days", "start", "end", "reason", "book", "day")
REPORT_PDF = JobKind(
    name="referral.report_pdf",
    label="Lay out a hiring hall report as PDF",
    permission="referral.view_registration",
    run=report_pdf_run,
    back=(
        JobObject("the report", _report_page, param="pk", query=_REPORT_QUERY),
        JobObject("the report", _report_page, param="member_id"),
        JobObject("the report", _report_page, query=_REPORT_QUERY),
    ),
)


def report_pdf_start(*, report: str, params: dict[str, Any], title: str, actor: Actor) -> Job:
    """Queue the PDF of a report too long to lay out inside a request (`report`, its page's
    name; `params`, what the page was asked); the same person's same report, asked again
    while it is laid out, gives its job."""
    return job_start(
        kind=REPORT_PDF,
        key=job_key(REPORT_PDF, actor_key(actor), report, params),
        label=f"PDF of {title}",
        actor=actor,
        params={"report": report, **params},
    )


# --- A morning referral confirmed (referral/services/runs.py) ------------------------------
# Each offer is a dispatch with its locks, checks and trail: a large morning takes a worker
# seconds, so past CONFIRMED_IN_REQUEST offers the admin's confirm starts this job.

CONFIRMED_IN_REQUEST = 20


def referral_run_confirm_run(job: Job, progress: Progress) -> dict[str, Any]:
    """Confirm the run; run again once it is confirmed (a retry), it says so and does no
    more. A refusal (the lists changed since) refuses the job with the reason."""
    run = ReferralRun.objects.get(pk=job.params["run"])
    if run.status == ReferralRunStatus.CONFIRMED:
        return {"message": f"Run #{run.pk} is confirmed.", "dispatched": None}
    referral_run_confirm(run=run, actor=job.actor, progress=progress)
    dispatched = run.lines.filter(outcome="offer").count()
    return {
        "message": f"The referral of {run.day:%a %b %d, %Y} is confirmed: {dispatched:,} "
        "dispatched.",
        "dispatched": dispatched,
    }


REFERRAL_RUN_CONFIRM = JobKind(
    name="referral.run_confirm",
    label="Confirm a morning referral",
    permission="referral.confirm_referralrun",
    run=referral_run_confirm_run,
    back=(JobObject("the run", "admin:referral_referralrun_change", param="run"),),
)


def referral_run_confirm_start(*, run: ReferralRun, actor: Actor) -> Job:
    """Queue a run's confirmation; pressed again while it waits, the same job."""
    return job_start(
        kind=REFERRAL_RUN_CONFIRM,
        key=job_key(REFERRAL_RUN_CONFIRM, run.pk),
        label=f"Confirm the referral of {run.day:%a %b %d, %Y} (run #{run.pk})",
        actor=actor,
        params={"run": run.pk},
    )
