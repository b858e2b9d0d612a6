"""The audit trail's long work, as jobs (the `jobs.kinds` and `jobs.schedule` extension
points, declared in AuditConfig): verifying the hash chain (nightly) and exporting the log."""

from __future__ import annotations

import datetime
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from django.db.models import Q

from appkit.text import counted
from jobs.extensions import JobFailed, JobKind, JobObject, Scheduled
from jobs.files import job_result_csv
from jobs.models import Job
from jobs.progress import Progress
from jobs.services import job_key, job_start

from .actors import Actor, actor_key
from .chain import GENESIS, chain_verify, checkpoint_latest, checkpoint_record
from .context import acting_as
from .csv_export import audit_csv_lines, export_recorded
from .models import AuditChainHead, AuditEvent
from .notifications import chain_break_send, checkpoint_send
from .selectors import audit_events_matching

if TYPE_CHECKING:
    pass


def audit_verify_run(job: Job, progress: Progress) -> dict[str, Any]:
    """audit_verify as a job: from the last checkpoint; a break fails the job (and is mailed)."""
    since = None if job.params.get("full") else checkpoint_latest()
    after_seq, after_hash = (since.seq, since.hash) if since else (0, GENESIS)
    head = AuditChainHead.objects.filter(pk=1).values_list("seq", flat=True).first() or 0
    progress.step("Recomputing the hash chain", total=max(head - after_seq, 0))
    report = chain_verify(after_seq=after_seq, after_hash=after_hash)
    progress.advance(report.checked)
    if not report.ok:
        chain_break_send(report.broken)
        raise JobFailed(str(report.broken))
    checkpoint = checkpoint_record(report, by="scheduled verification") if report.checked else None
    if checkpoint is not None:
        checkpoint_send(checkpoint)
    return {
        "message": f"The trail holds: {counted(report.checked, 'event')} checked, "
        f"head at event {report.last_seq}.",
        "checked": report.checked,
    }


def audit_export_filters(params: dict[str, Any]) -> dict[str, Any]:
    """The admin log's filters, as a job keeps them (JSON) and the export applies them."""
    day = datetime.date.fromisoformat
    return {
        "actor": params.get("actor", ""),
        "action": params.get("action", ""),
        "model": params.get("model", ""),
        "member_id": params.get("member_id"),
        "occurred_from": day(params["occurred_from"]) if params.get("occurred_from") else None,
        "occurred_to": day(params["occurred_to"]) if params.get("occurred_to") else None,
        "without_views": params.get("without_views", False),
    }


def audit_export_run(job: Job, progress: Progress) -> dict[str, Any]:
    """The log as the officer filtered it, redacted for them, up to the newest event when
    they asked (not the export's own event)."""
    events = audit_events_matching(**audit_export_filters(job.params))
    if search := job.params.get("search"):
        events = events.filter(Q(object_id=search) | Q(member_number=search))
    events = events.filter(id__lte=job.params.get("newest_id", 0)).order_by("-occurred_at", "-id")
    progress.step("Writing the audit log to CSV")
    reader = job.started_by
    rows = job_result_csv(
        job,
        name="audit-log",
        lines=audit_csv_lines(events.iterator(chunk_size=2000), reader),
        progress=progress,
    )
    export_recorded(
        actor=reader,
        model_label="audit.auditevent",
        count=rows,
        what="audit events",
        detail=f"Filters: {_described(job.params)}.",
    )
    return {"message": f"{counted(rows, 'audit event')} exported.", "rows": rows}


def _described(params: dict[str, Any]) -> str:
    shown = [f"{name}={value}" for name, value in params.items() if value and name != "newest_id"]
    return "&".join(shown) or "none"


AUDIT_VERIFY = JobKind(
    name="audit.verify",
    label="Verify the audit trail's hash chain",
    permission="audit.view_auditcheckpoint",
    run=audit_verify_run,
)
AUDIT_EXPORT = JobKind(
    name="audit.export",
    label="Export the audit log to CSV",
    permission="audit.view_auditevent",
    run=audit_export_run,
    back=JobObject("the audit log", "admin:audit_auditevent_changelist"),
)


def audit_export_start(*, filters: dict[str, Any], actor: Actor) -> Job:
    """Queue the export of the log as filtered on screen (`filters`, as the admin's list
    reads them) for a worker: only the events up to now, not the export's own nor later."""
    newest = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    return job_start(
        kind=AUDIT_EXPORT,
        key=job_key(AUDIT_EXPORT, actor_key(actor), filters),
        label=AUDIT_EXPORT.label,
        actor=actor,
        params={**filters, "newest_id": newest},
    )


NIGHTLY_VERIFY = Scheduled(
    kind=AUDIT_VERIFY, every=datetime.timedelta(days=1), at=datetime.timedelta(hours=3)
)


def job_actor(job: Job) -> AbstractContextManager[None]:
    """What a job's work writes without naming anyone is its starter's, or, started by the
    scheduler, its kind's (the named system actor "compliance.apply_arrears_policy")."""
    return acting_as(job.actor)
