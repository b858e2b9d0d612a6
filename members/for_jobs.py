"""The members app's long work, as jobs (`jobs.kinds`; declared in MembersConfig): checking
an uploaded member CSV, importing it, and exporting members."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.template.defaultfilters import pluralize
from django.urls import reverse

from appkit.files import UndecodableFile, decode_upload
from appkit.text import counted
from audit.actors import Actor, actor_key
from audit.csv_export import export_recorded
from jobs.extensions import JobKind, JobObject
from jobs.files import job_result_csv
from jobs.models import Job
from jobs.progress import Progress
from jobs.services import job_key, job_start

from .importing import MemberImportResult, members_import
from .member_csv import member_csv_lines
from .models import Member
from .selectors import member_fields_hidden_from, members_matching

if TYPE_CHECKING:
    pass


def _uploaded_text(job: Job) -> str:
    with job.upload.open("rb") as upload:
        return decode_upload(upload.read())


def _outcome(result: MemberImportResult) -> dict[str, Any]:
    outcome: dict[str, Any] = {
        "count": result.count,
        "errors": [str(error) for error in result.errors],
        "error_count": result.error_count,
    }
    if result.error_count > len(result.errors):
        outcome["errors"].append(f"... and {result.error_count - len(result.errors)} more.")
    return outcome


def import_check_run(job: Job, progress: Progress) -> dict[str, Any]:
    """Check every row of the upload; nothing is written. The outcome links to the preview,
    where an officer confirms the import."""
    try:
        text = _uploaded_text(job)
    except UndecodableFile as exc:
        return {"message": f"Nothing was imported. {exc}", "errors": [str(exc)], "count": 0}
    result = members_import(csv_text=text, actor=job.actor, dry_run=True, progress=progress)
    outcome = _outcome(result)
    outcome["preview"] = [
        [
            m.member_number,
            f"{m.last_name}, {m.first_name}",
            m.classification.code,
            m.status,
            m.join_date.isoformat(),
            m.email,
        ]
        for m in result.preview
    ]
    if result.ok:
        outcome["message"] = (
            f"{counted(result.count, 'member')} {pluralize(result.count, 'is,are')} ready to "
            "import. Nothing is written yet."
        )
        outcome["next_url"] = reverse("admin:members_member_import_preview", args=[job.pk])
        outcome["next_label"] = "Preview and confirm"
    else:
        outcome["message"] = (
            f"Nothing was imported: {counted(result.error_count, 'problem')}. Fix "
            f"{pluralize(result.error_count, 'it,them')} in the file and upload it again (row 1 "
            "is the header)."
        )
    return outcome


def import_write_run(job: Job, progress: Progress) -> dict[str, Any]:
    """Write every member of the checked upload, or none (checked again as it is written)."""
    result = members_import(csv_text=_uploaded_text(job), actor=job.actor, progress=progress)
    outcome = _outcome(result)
    if result.written:
        outcome["message"] = f"Imported {counted(result.count, 'member')}."
        outcome["next_url"] = reverse("admin:members_member_changelist")
        outcome["next_label"] = "To the members"
    else:
        outcome["message"] = f"Nothing was imported: {counted(result.error_count, 'problem')}."
    return outcome


def export_run(job: Job, progress: Progress) -> dict[str, Any]:
    """The selected members (ids), or those the list's filters chose, as CSV, without the
    fields the one who asked may not see."""
    if ids := job.params.get("ids"):
        members = Member.objects.filter(pk__in=ids)
    else:
        members = members_matching(**job.params.get("filters", {}))
    members = members.select_related("classification").order_by("member_number")
    hidden = member_fields_hidden_from(job.started_by)
    progress.step("Writing members to CSV", total=members.count())
    count = job_result_csv(
        job,
        name="members",
        lines=member_csv_lines(members.iterator(chunk_size=2000), hidden=hidden),
        progress=progress,
    )
    export_recorded(actor=job.actor, model_label="members.member", count=count, what="members")
    return {"message": f"{counted(count, 'member')} exported.", "rows": count}


IMPORT_CHECK = JobKind(
    name="members.import_check",
    label="Check a member CSV",
    permission="members.change_membership",
    run=import_check_run,
    back=JobObject("the import", "admin:members_member_import"),
)
IMPORT_WRITE = JobKind(
    name="members.import_write",
    label="Import members from CSV",
    permission="members.change_membership",
    run=import_write_run,
    back=JobObject("the import", "admin:members_member_import"),
)
EXPORT = JobKind(
    name="members.export",
    label="Export members to CSV",
    permission="members.view_member",
    run=export_run,
    back=JobObject("the members", "admin:members_member_changelist"),
)


def members_export_start(*, params: dict[str, Any], actor: Actor) -> Job:
    """Queue an export of the members chosen (`params`: ids, or the list's filters)."""
    return job_start(
        kind=EXPORT,
        key=job_key(EXPORT, actor_key(actor), params),
        label="Export members to CSV",
        actor=actor,
        params=params,
    )


def members_import_check_start(*, upload, digest: str, actor: Actor) -> Job:
    """Queue the check of an uploaded member CSV (every row), before anything is written."""
    return job_start(
        kind=IMPORT_CHECK,
        key=job_key(IMPORT_CHECK, actor_key(actor), digest),
        label=f"Check {upload.name}",
        actor=actor,
        upload=upload,
    )


def members_import_write_start(*, checked: Job, actor: Actor) -> Job:
    """Queue the write of a checked member CSV: all its members, or none."""
    return job_start(
        kind=IMPORT_WRITE,
        key=job_key(IMPORT_WRITE, checked.pk),
        label=f"Import {counted(checked.outcome['count'], 'member')}",
        actor=actor,
        params={"checked_job": checked.pk},
        upload=checked.upload,
    )
