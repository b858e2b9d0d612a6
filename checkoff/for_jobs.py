"""Check-off's long work, as jobs (`jobs.kinds`; declared in CheckoffConfig): checking an
uploaded remittance file, and posting a checked one."""

from __future__ import annotations

import datetime
import hashlib
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.template.defaultfilters import pluralize
from django.urls import reverse

from appkit.files import UndecodableFile, decode_upload
from appkit.templatetags.office import currency
from appkit.text import RowError, counted
from audit.actors import Actor, actor_key
from jobs.extensions import JobKind, JobObject
from jobs.models import Job
from jobs.progress import Progress
from jobs.services import job_key, job_start

from .importing import ONE_OF, CheckoffImport, authorizations_import, employers_import
from .models import BatchStatus, Employer, RemittanceBatch
from .services import remittance_check, remittance_post

if TYPE_CHECKING:
    pass


def check_run(job: Job, progress: Progress) -> dict[str, Any]:
    """Read and match the upload into a checked batch; nothing reaches a ledger. The
    outcome links to the batch's preview, where an officer posts it."""
    params = job.params
    with job.upload.open("rb") as upload:
        content = upload.read()
    control = params.get("control_total")
    result = remittance_check(
        employer=Employer.objects.get(pk=params["employer_id"]),
        content=content,
        file_name=params.get("file_name", ""),
        received_on=datetime.date.fromisoformat(params["received_on"]),
        reference=params.get("reference", ""),
        control_total=Decimal(control) if control else None,
        actor=job.actor,
        progress=progress,
    )
    if not result.ok:
        errors = [str(error) for error in result.read.errors]
        if result.read.error_count > len(errors):
            errors.append(f"... and {result.read.error_count - len(errors)} more.")
        return {
            "message": (
                f"Nothing was kept: {counted(result.read.error_count, 'problem')} in the file."
            ),
            "errors": errors,
            "error_count": result.read.error_count,
        }
    batch = result.batch
    message = (
        f"{counted(batch.line_count, 'line')} read, {currency(batch.total)} in all. "
        "Nothing is posted yet."
    )
    if result.already_posted:
        message += f" This file was already posted as remittance #{result.already_posted.pk}."
    return {
        "message": message,
        "batch": batch.pk,
        "count": batch.line_count,
        "next_url": reverse("admin:checkoff_remittancebatch_change", args=[batch.pk]),
        "next_label": "Preview and post",
    }


def post_run(job: Job, progress: Progress) -> dict[str, Any]:
    batch = RemittanceBatch.objects.get(pk=job.params["batch_id"])
    try:
        posting = remittance_post(
            batch=batch,
            actor=job.actor,
            progress=progress,
            confirmed_plan=job.params.get("confirmed_plan"),
        )
    except ValidationError as exc:
        return {"message": " ".join(exc.messages), "errors": exc.messages, "error_count": 1}
    return {
        "message": (
            f"Posted: {counted(posting.posted, 'payment')} ({currency(posting.posted_total)}); "
            f"{counted(posting.suspense, 'line')} to suspense "
            f"({currency(posting.suspense_total)})."
        ),
        "count": posting.posted,
        "next_url": reverse("admin:checkoff_remittancebatch_change", args=[batch.pk]),
        "next_label": "To the remittance",
    }


def _preview_row(obj) -> list[str]:
    if isinstance(obj, Employer):
        return [obj.code, obj.name, obj.ein, str(obj.due_day)]
    revoked = obj.revoked_on.isoformat() if obj.revoked_on else ""
    return [
        obj.employer.code,
        obj.member.member_number,
        str(obj.member),
        obj.signed_on.isoformat(),
        revoked,
    ]


PREVIEW_HEADINGS = {
    "employers": ("Code", "Name", "EIN", "Due day"),
    "authorizations": ("Employer", "Member", "Name", "Signed", "Revoked"),
}
PREVIEW_ROWS = 200


def import_check_run(job: Job, progress: Progress) -> dict[str, Any]:
    """Check every row of an employers' or authorizations' CSV; nothing is written. The
    outcome links to the preview, where an officer confirms the import."""
    what = job.params["what"]
    progress.step(f"Checking {what}", total=1)
    result = _imported(job, dry_run=True)
    progress.advance()
    if not result.ok:
        return _refused(result)
    return {
        "message": f"{counted(result.count, ONE_OF[what], what)} "
        f"{pluralize(result.count, 'is,are')} ready to import. Nothing is written yet.",
        "count": result.count,
        "preview": [_preview_row(obj) for obj in result.made[:PREVIEW_ROWS]],
        "next_url": reverse(
            f"admin:checkoff_{IMPORTED_MODELS[what]}_import_preview", args=[job.pk]
        ),
        "next_label": "Preview and confirm",
    }


def _imported(job: Job, *, dry_run: bool) -> CheckoffImport:
    """The job's upload imported (or only checked, `dry_run`); a file that is no CSV text is
    one problem of the file's."""
    with job.upload.open("rb") as upload:
        try:
            text = decode_upload(upload.read())
        except UndecodableFile as exc:
            return CheckoffImport(errors=[RowError(1, "file", str(exc))])
    return IMPORTS[job.params["what"]](csv_text=text, actor=job.actor, dry_run=dry_run)


def _refused(result: CheckoffImport) -> dict[str, Any]:
    return {
        "message": f"Nothing was imported: {counted(len(result.errors), 'problem')}. Fix "
        f"{pluralize(len(result.errors), 'it,them')} in the file and upload it again (row 1 is "
        "the header).",
        "errors": [str(error) for error in result.errors],
        "error_count": len(result.errors),
        "count": 0,
    }


def import_run(job: Job, progress: Progress) -> dict[str, Any]:
    """Write every row of a checked CSV of employers or authorizations, or none (checked
    again as it is written)."""
    what = job.params["what"]
    progress.step(f"Importing {what}", total=1)
    result = _imported(job, dry_run=False)
    progress.advance()
    if not result.ok:
        return _refused(result)
    return {
        "message": f"Imported {counted(result.count, ONE_OF[what], what)}.",
        "count": result.count,
        "next_url": reverse(f"admin:checkoff_{IMPORTED_MODELS[what]}_changelist"),
        "next_label": f"To the {what}",
    }


IMPORTS = {"employers": employers_import, "authorizations": authorizations_import}
IMPORTED_MODELS = {"employers": "employer", "authorizations": "checkoffauthorization"}

CHECK = JobKind(
    name="checkoff.remittance_check",
    label="Check a remittance file",
    permission="checkoff.add_remittancebatch",
    run=check_run,
    back=(
        JobObject("the remittance", "admin:checkoff_remittancebatch_change", outcome="batch"),
        JobObject("the upload", "admin:checkoff_remittancebatch_add"),
    ),
)
IMPORT_CHECK = JobKind(
    name="checkoff.import_check",
    label="Check employers or check-off authorizations",
    permission="checkoff.add_checkoffauthorization",
    run=import_check_run,
    back=JobObject(
        "the import", lambda job: f"admin:checkoff_{IMPORTED_MODELS[job.params['what']]}_import"
    ),
)
IMPORT = JobKind(
    name="checkoff.import",
    label="Import employers or check-off authorizations",
    permission="checkoff.add_checkoffauthorization",
    run=import_run,
    back=JobObject(
        "the import", lambda job: f"admin:checkoff_{IMPORTED_MODELS[job.params['what']]}_import"
    ),
)
POST = JobKind(
    name="checkoff.remittance_post",
    label="Post a remittance",
    permission="checkoff.post_remittance",
    run=post_run,
    back=JobObject("the remittance", "admin:checkoff_remittancebatch_change", param="batch_id"),
)


def remittance_check_start(
    *,
    employer: Employer,
    upload,
    received_on: datetime.date,
    control_total: Decimal,
    reference: str = "",
    actor: Actor,
) -> Job:
    """Queue the check of an uploaded file for a worker (its page shows the progress, then
    links to the preview). The same file uploaded again by the same person while its check
    is queued or running is checked once."""
    digest = hashlib.sha256(upload.read()).hexdigest()
    upload.seek(0)
    return job_start(
        kind=CHECK,
        key=job_key(CHECK, actor_key(actor), employer.pk, digest),
        label=f"Check {upload.name} from {employer.code}",
        actor=actor,
        params={
            "employer_id": employer.pk,
            "file_name": upload.name,
            "received_on": received_on.isoformat(),
            "reference": reference,
            "control_total": str(control_total),
        },
        upload=upload,
    )


def remittance_post_start(
    *, batch: RemittanceBatch, actor: Actor, confirmed_plan: str | None = None
) -> Job:
    """Queue the posting of a checked batch for a worker; asking again gives the same job.
    `confirmed_plan`: the fingerprint of what the confirmation page showed, checked again
    when the worker posts (remittance_post)."""
    if batch.status != BatchStatus.CHECKED:
        raise ValidationError(f"{batch} is {batch.get_status_display().lower()}.")
    return job_start(
        kind=POST,
        key=f"checkoff.remittance_post:{batch.pk}",
        label=f"Post {batch} from {batch.employer.code}",
        actor=actor,
        params={"batch_id": batch.pk, "confirmed_plan": confirmed_plan},
    )


def checkoff_import_check_start(*, what: str, upload, digest: str, actor: Actor) -> Job:
    """Queue the check of an uploaded CSV of employers or authorizations (every row),
    before anything is written; the same file uploaded again while it runs gives its job."""
    return job_start(
        kind=IMPORT_CHECK,
        key=job_key(IMPORT_CHECK, actor_key(actor), what, digest),
        label=f"Check {what} in {upload.name}",
        actor=actor,
        params={"what": what},
        upload=upload,
    )


def checkoff_import_write_start(*, checked: Job, actor: Actor) -> Job:
    """Queue the write of a checked CSV of employers or authorizations: all, or none."""
    what = checked.params["what"]
    return job_start(
        kind=IMPORT,
        key=job_key(IMPORT, checked.pk),
        label=f"Import {counted(checked.outcome['count'], ONE_OF[what], what)}",
        actor=actor,
        params={"what": what, "checked_job": checked.pk},
        upload=checked.upload,
    )
