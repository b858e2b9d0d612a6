"""Each hall report as a file to download, CSV or PDF: its title, what its PDF says above
the table, its columns and rows, and its name. Each is built from plain values (ids, dates
as text: what a job keeps in its parameters), so that a worker lays out the very PDF the
page would have given: a PDF of more than PDF_ROWS_IN_REQUEST rows is a job's
(referral/for_jobs.py, docs/design.md §1), a smaller one is laid out in the request.
Reads only; the downloads themselves are audit events (`pdf_export_record`, and
audit.csv_export for CSV)."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpRequest
from django.utils import timezone

from audit.models import AuditAction
from audit.services import audit_event_record
from members.models import Member

from . import board, day_book, referral_reports, reports
from .models import Book
from .pdf import table_pdf
from .selectors import registrations_dropped, resign_due_within

# A PDF is laid out at about 0.6 ms a row (10,000 rows: 6 s). Up to 500 rows (0.3 s) it
# comes straight back, as its CSV does; a longer one is made by a worker, with a progress
# page and the file to download from it. Most reports (a member's history, a week of
# re-signs, a small book) stay one click; only a long book's list waits for a worker.
PDF_ROWS_IN_REQUEST = 500


@dataclass(frozen=True)
class ReportFile:
    title: str
    # Under the title in the PDF: what it shows, when, in which time zone.
    lines: list[str]
    # The file's name, before its date and extension.
    filename: str
    header: Sequence[str]
    # Each column's share of the PDF's width.
    widths: Sequence[float]
    # Read once, as they come (a queryset's iterator: never the whole list in memory).
    rows: Iterable[Iterable[object]]
    count: int
    # What the audit trail says left the office: "{count} {what}".
    what: str
    model_label: str = "referral.registration"

    @property
    def pdf_by_job(self) -> bool:
        return self.count > PDF_ROWS_IN_REQUEST

    @property
    def stem(self) -> str:
        """The file's name, safe in a header: a book's code is the hall's to choose."""
        return re.sub(r"[^A-Za-z0-9._-]", "_", self.filename)

    def download_name(self, extension: str) -> str:
        return f"{self.stem}-{timezone.localdate():%Y-%m-%d}.{extension}"

    def pdf(self, rows: Iterable[Iterable[object]] | None = None) -> bytes:
        """The PDF, of `rows` (the report's own, counted by a job as they are laid out)."""
        return table_pdf(
            title=self.title,
            lines=[line for line in self.lines if line],
            header=self.header,
            rows=self.rows if rows is None else rows,
            widths=self.widths,
        )


def pdf_export_record(
    file: ReportFile, *, actor: AbstractBaseUser | None, request: HttpRequest | None = None
) -> None:
    """A PDF of members' records taken out of the office is an audit event, as a CSV is."""
    audit_event_record(
        action=AuditAction.EXPORT,
        actor=actor,
        model_label=file.model_label,
        object_repr=f"{file.count} {file.what}",
        detail=f"Exported {file.count} {file.what} as PDF.",
        request=request,
    )


# --- The reports, by the name of their page (referral/urls.py) ---------------------------


def book_list_file(*, pk: int) -> ReportFile:
    book = Book.objects.get(pk=pk)
    registrations = reports.book_list_with_exemptions(book)
    lines = reports.book_list_lines(registrations.iterator(chunk_size=2000))
    return ReportFile(
        title=f"{book} - out-of-work list",
        lines=[f"As of {reports.local_text(timezone.now())} ({reports.zone_name()})."],
        filename=f"book-{book.code}",
        header=reports.BOOK_LIST_HEADER,
        widths=(7, 10, 30, 11, 5, 10, 20, 11, 7, 24),
        rows=(line.cells() for line in lines),
        count=registrations.count(),
        what=f"registrants on book {book.code}",
    )


def book_as_of_file(*, pk: int, at: str) -> ReportFile:
    """`at`: the local time as typed (its note, where the clocks changed, is said again)."""
    book = Book.objects.get(pk=pk)
    instant, note = reports.instant_from_local(at)
    lines = reports.as_of_lines(book, instant)
    when = reports.local_text(instant)
    return ReportFile(
        title=f"{book} - out-of-work list as of {when}",
        lines=[f"As it stood at {when} ({reports.zone_name()}).", note],
        filename=f"book-{book.code}-as-of-{timezone.localtime(instant):%Y%m%d-%H%M}",
        header=reports.AS_OF_HEADER,
        widths=(7, 10, 30, 11, 5, 10, 20, 14, 20),
        rows=(line.cells() for line in lines),
        count=len(lines),
        what=f"registrants on book {book.code} as of {when}",
    )


def resign_due_file(*, days: int, today: str) -> ReportFile:
    """`today`: the day the report was asked for (a job may run past midnight)."""
    day = datetime.date.fromisoformat(today)
    registrations = resign_due_within(days, today=day)
    return ReportFile(
        title=f"Re-signs falling due by {day + datetime.timedelta(days=days):%b %d, %Y}",
        lines=[f"From {day:%b %d, %Y}, the next {days} days."],
        filename=f"resign-due-{days}-days",
        header=reports.RESIGN_DUE_HEADER,
        widths=(11, 11, 11, 32, 11, 5, 20),
        rows=(reports.resign_due_cells(r) for r in registrations.iterator(chunk_size=2000)),
        count=registrations.count(),
        what=f"registrations whose re-sign falls due in the next {days} days",
    )


def dropped_file(*, start: str, end: str, reason: str, book: int | None) -> ReportFile:
    first, last = datetime.date.fromisoformat(start), datetime.date.fromisoformat(end)
    chosen = Book.objects.get(pk=book) if book else None
    registrations = reports.with_roll_off_event(
        registrations_dropped(first, last, reason=reason, book=chosen)
    )
    scope = reports.dropped_scope(first, last, reason=reason, book=chosen)
    return ReportFile(
        title="Registrations dropped",
        lines=[f"Dropped {scope} (dates in {reports.zone_name()})."],
        filename=f"dropped-{first:%Y%m%d}-{last:%Y%m%d}",
        header=reports.DROPPED_HEADER,
        widths=(20, 11, 11, 28, 11, 5, 20, 16, 30),
        rows=(reports.dropped_cells(r) for r in registrations.iterator(chunk_size=2000)),
        count=registrations.count(),
        what=f"registrations dropped {scope}",
    )


def member_history_file(*, member_id: int) -> ReportFile:
    member = Member.objects.get(pk=member_id)
    registrations = reports.member_history(member.pk)
    return ReportFile(
        title=f"{member.full_name} ({member.member_number}) - registrations",
        lines=[f"Every registration and its events; times in {reports.zone_name()}."],
        filename=f"member-{member.member_number}-registrations",
        header=reports.HISTORY_HEADER,
        widths=(11, 11, 5, 12, 20, 16, 14, 30, 12, 18),
        rows=(reports.history_cells(r, event) for r in registrations for event in r.events.all()),
        count=len(registrations),
        what=f"registrations of member {member.member_number}",
    )


def unemployed_counts_file() -> ReportFile:
    counts = reports.unemployed_counts_by_book()
    return ReportFile(
        title="Out of work by book",
        lines=[
            f"On each active book's list at {reports.local_text(timezone.now())} "
            f"({reports.zone_name()}): registered and exempt, and on each tier.",
            f"Members on at least one book: {counts.members} (one may sign several).",
        ],
        filename="unemployed-counts",
        header=reports.COUNTS_HEADER,
        widths=(12, 30, 16, 10, 10, 8, 8, 8, 8, 8),
        rows=[line.cells() for line in (*counts.books, counts.total)],
        count=len(counts.books),
        what="books' counts of registrants",
        model_label="referral.book",
    )


def day_book_file(*, day: str) -> ReportFile:
    """`day`: the local's date, ISO (as a job keeps it)."""
    date = datetime.date.fromisoformat(day)
    dispatches = day_book.dispatches_on(date)
    return ReportFile(
        title=f"Day book: dispatches of {date:%a %b %d, %Y}",
        lines=[f"Every dispatch made that day, midnight to midnight in {reports.zone_name()}."],
        filename=f"day-book-{date:%Y-%m-%d}",
        header=day_book.DAY_BOOK_HEADER,
        widths=(7, 11, 26, 11, 26, 8, 14, 12),
        rows=(day_book.line(d).cells() for d in dispatches.iterator(chunk_size=2000)),
        count=dispatches.count(),
        what=f"dispatches of {date:%Y-%m-%d}",
        model_label="referral.dispatch",
    )


def open_requests_file() -> ReportFile:
    requests = board.open_requests()
    return ReportFile(
        title="Open requests",
        lines=[
            f"Open and partly filled requests at {reports.local_text(timezone.now())} "
            f"({reports.zone_name()}), by referral day and book."
        ],
        filename="open-requests",
        header=board.OPEN_REQUESTS_HEADER,
        widths=(10, 9, 7, 22, 7, 6, 13, 14, 6, 18, 5, 11),
        rows=(board.line(r).cells() for r in requests),
        count=requests.count(),
        what="open labor requests",
        model_label="referral.laborrequest",
    )


def referral_summary_file(*, day: str) -> ReportFile:
    date = datetime.date.fromisoformat(day)
    lines = referral_reports.summary_lines(date)
    return ReportFile(
        title=f"Referral summary of {date:%a %b %d, %Y}",
        lines=[
            "Each confirmed morning referral of the day, request by request: offers, those "
            "skipped by reason, and the positions left unfilled."
        ],
        filename=f"referral-summary-{date:%Y-%m-%d}",
        header=referral_reports.SUMMARY_HEADER,
        widths=(5, 7, 9, 20, 7, 6, 6, 6, 6, 6, 6, 6, 6, 7),
        rows=[line.cells() for line in lines],
        count=len(lines),
        what=f"requests of the referral of {date:%Y-%m-%d}",
        model_label="referral.referralrun",
    )


def bids_file(*, day: str) -> ReportFile:
    date = datetime.date.fromisoformat(day)
    bids = referral_reports.bids_for(date)
    return ReportFile(
        title=f"Bids for the referral of {date:%a %b %d, %Y}",
        lines=[f"Every bid on the day's requests, first placed first ({reports.zone_name()})."],
        filename=f"bids-{date:%Y-%m-%d}",
        header=referral_reports.BIDS_HEADER,
        widths=(16, 7, 22, 9, 11, 24, 7, 14),
        rows=(referral_reports.bid_cells(b) for b in bids.iterator(chunk_size=2000)),
        count=bids.count(),
        what=f"bids for the referral of {date:%Y-%m-%d}",
        model_label="referral.bid",
    )


def current_dispatches_file() -> ReportFile:
    dispatches = referral_reports.current_dispatches()
    return ReportFile(
        title="Current dispatches by employer",
        lines=[
            f"Members out on a dispatch at {reports.local_text(timezone.now())} "
            f"({reports.zone_name()}), employer by employer."
        ],
        filename="current-dispatches",
        header=referral_reports.CURRENT_DISPATCHES_HEADER,
        widths=(24, 11, 26, 10, 11, 12, 7),
        rows=(
            referral_reports.current_dispatch_cells(d) for d in dispatches.iterator(chunk_size=2000)
        ),
        count=dispatches.count(),
        what="current dispatches",
        model_label="referral.dispatch",
    )


def by_name_file(*, start: str, end: str) -> ReportFile:
    first, last = datetime.date.fromisoformat(start), datetime.date.fromisoformat(end)
    requests = referral_reports.by_name_requests(first, last)
    return ReportFile(
        title="By-name requests",
        lines=[
            f"Received {first:%b %d, %Y} to {last:%b %d, %Y} ({reports.zone_name()}): the member "
            "named, the attestation that they did not solicit it, who recorded it, and "
            "whether they were dispatched."
        ],
        filename=f"by-name-{first:%Y%m%d}-{last:%Y%m%d}",
        header=referral_reports.BY_NAME_HEADER,
        widths=(13, 7, 18, 8, 10, 18, 30, 14, 8, 10),
        rows=(referral_reports.by_name_cells(r) for r in requests.iterator(chunk_size=2000)),
        count=requests.count(),
        what=f"by-name requests received {first:%Y-%m-%d} to {last:%Y-%m-%d}",
        model_label="referral.laborrequest",
    )


REPORT_FILES: dict[str, Callable[..., ReportFile]] = {
    "book_list": book_list_file,
    "book_as_of": book_as_of_file,
    "resign_due": resign_due_file,
    "dropped": dropped_file,
    "member_history": member_history_file,
    "unemployed_counts": unemployed_counts_file,
    "day_book": day_book_file,
    "open_requests": open_requests_file,
    "referral_summary": referral_summary_file,
    "bids": bids_file,
    "current_dispatches": current_dispatches_file,
    "by_name": by_name_file,
}


def report_file(report: str, params: dict[str, Any]) -> ReportFile:
    """A report's file from its page's name and its parameters (as a job keeps them)."""
    return REPORT_FILES[report](**params)
