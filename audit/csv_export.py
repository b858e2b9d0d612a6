"""CSV files for download (member lists, the audit log), safe to open in a spreadsheet."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from django.http import HttpRequest, StreamingHttpResponse
from django.utils import timezone

from appkit.files import csv_lines

from .models import AuditAction, AuditEvent
from .redaction import Redactor
from .services import audit_event_record


def export_recorded(
    *,
    actor,
    model_label: str,
    count: int,
    what: str,
    detail: str = "",
    request: HttpRequest | None = None,
) -> None:
    """An export is itself an audit event: who took which records out, how many."""
    audit_event_record(
        action=AuditAction.EXPORT,
        actor=actor,
        model_label=model_label,
        object_repr=f"{count} {what}",
        detail=f"Exported {count} {what} to CSV. {detail}".strip(),
        request=request,
    )


def audited_csv_download(
    request: HttpRequest,
    *,
    lines: Iterable[str],
    filename: str,
    model_label: str,
    count: int,
    what: str,
    detail: str = "",
) -> StreamingHttpResponse:
    """A CSV file for the browser to save; every download is itself an audit event."""
    export_recorded(
        actor=request.user,
        model_label=model_label,
        count=count,
        what=what,
        detail=detail,
        request=request,
    )
    return StreamingHttpResponse(
        lines,
        content_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}-'
            f'{timezone.localdate():%Y-%m-%d}.csv"'
        },
    )


AUDIT_CSV_COLUMNS = (
    "occurred_at",
    "actor",
    "action",
    "model",
    "object_id",
    "object",
    "member_number",
    "changes",
    "detail",
    "ip_address",
    "user_agent",
)


def audit_csv_lines(events: Iterable[AuditEvent], reader) -> Iterator[str]:
    """The events as CSV lines, with what this reader may not see redacted (decided a
    thousand events at a time)."""

    def rows() -> Iterator[list[object]]:
        for chunk in _chunks(events, 1000):
            redactor = Redactor(reader, chunk)
            for event in chunk:
                yield row(event, redactor.changes(event))

    def row(event: AuditEvent, changes: dict) -> list[object]:
        return [
            timezone.localtime(event.occurred_at).isoformat(),
            event.actor_label,
            event.action,
            event.model_label,
            event.object_id,
            event.object_repr,
            event.member_number,
            "; ".join(f"{name}: {old} → {new}" for name, (old, new) in changes.items()),
            event.detail,
            event.ip_address or "",
            event.user_agent,
        ]

    return csv_lines(AUDIT_CSV_COLUMNS, rows())


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    chunk = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
