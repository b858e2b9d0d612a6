"""CSV files for download (member lists, the audit log), safe to open in a spreadsheet."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator

from django.http import HttpRequest, StreamingHttpResponse
from django.utils import timezone

from .models import AuditAction
from .services import audit_event_record

# A cell starting with one of these is a formula to a spreadsheet (CSV injection):
# exports prefix it with an apostrophe.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell_for_export(value: object) -> str:
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


class _Echo:
    """A file whose write() hands the line back, so rows stream one at a time."""

    def write(self, line: str) -> str:
        return line


def csv_lines(header: Iterable[str], rows: Iterable[Iterable[object]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(list(header))
    for row in rows:
        yield writer.writerow([cell_for_export(value) for value in row])


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
    audit_event_record(
        action=AuditAction.EXPORT,
        actor=request.user,
        model_label=model_label,
        object_repr=f"{count} {what}",
        detail=f"Exported {count} {what} to CSV. {detail}".strip(),
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
