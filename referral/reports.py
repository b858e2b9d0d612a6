"""The hiring hall's reports as rows: a book's out-of-work list now and as it stood at an
instant, the re-signs falling due, the registrations dropped, a member's history. The staff
pages, their CSV and PDF downloads and the `referral_list_as_of` command all build their
lines here, so each says the same thing however it is read. Reads only."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone
from fpdf import FPDF

from .models import (
    Book,
    EventKind,
    Exemption,
    ExemptionKind,
    Registration,
    RegistrationEvent,
    RegistrationStatus,
)
from .selectors import book_list, book_list_as_of

# --- Times, as the local reads them ------------------------------------------------------


class UnreadableInstant(ValueError):
    """A date and time typed in a form we cannot read."""


INSTANT_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S")


def instant_from_local(text: str) -> tuple[datetime.datetime, str]:
    """The instant a dispatcher means by a wall-clock time of the local ("2026-12-07 09:00",
    settings.TIME_ZONE), and a note where the clock makes it less than plain: a time that
    never happened (clocks moved forward) is read as its standard-time self, an hour later
    on the wall; one that happened twice (clocks moved back) as the first."""
    text = (text or "").strip()
    for pattern in INSTANT_FORMATS:
        try:
            wall = datetime.datetime.strptime(text, pattern)
            break
        except ValueError:
            continue
    else:
        raise UnreadableInstant(f"Write the date and time like 2026-12-07 09:00 (not {text!r}).")
    if not 1900 <= wall.year <= 9998:
        raise UnreadableInstant("Give a year between 1900 and 9998.")
    zone = timezone.get_current_timezone()
    instant = wall.replace(tzinfo=zone)
    back = instant.astimezone(datetime.UTC).astimezone(zone)
    note = ""
    if back.replace(tzinfo=None) != wall:
        note = (
            f"{wall:%H:%M} did not happen on {wall:%b %d, %Y} (the clocks moved forward): "
            f"read as {back:%H:%M %Z}."
        )
    elif instant.replace(fold=1).utcoffset() != instant.utcoffset():
        note = (
            f"{wall:%H:%M} happened twice on {wall:%b %d, %Y} (the clocks moved back): "
            f"read as the first, {back:%H:%M %Z}."
        )
    return back, note


def local_text(instant: datetime.datetime | None) -> str:
    """An instant on the local's wall clock, with its zone's abbreviation."""
    if instant is None:
        return ""
    return timezone.localtime(instant).strftime("%Y-%m-%d %H:%M %Z")


def zone_name() -> str:
    return timezone.get_current_timezone_name()


# --- A book's list now -------------------------------------------------------------------

BOOK_LIST_HEADER = (
    "position",
    "member_number",
    "name",
    "apn",
    "tier",
    "status",
    "registered",
    "resign_due",
    "check_marks",
    "exemption",
)


def book_list_with_exemptions(book: Book) -> QuerySet[Registration]:
    """The book's list (referral.selectors.book_list) with each registrant's open exemption,
    if any, in the same query: a page of it costs one query however many rows it shows."""
    open_exemption = Exemption.objects.filter(
        registration=OuterRef("pk"), ended_at__isnull=True
    ).order_by("-starts_on")
    return book_list(book).annotate(
        exemption_kind=Subquery(open_exemption.values("kind")[:1]),
        exemption_ends=Subquery(open_exemption.values("ends_on")[:1]),
    )


@dataclass(frozen=True)
class ListLine:
    position: int
    registration_id: int
    member_id: int
    member_number: str
    name: str
    apn: Decimal
    tier: int
    status: str
    registered: str
    resign_due: datetime.date | None
    check_marks: int
    exemption: str

    def cells(self) -> list[object]:
        return [
            self.position,
            self.member_number,
            self.name,
            self.apn,
            self.tier,
            self.status,
            self.registered,
            self.resign_due or "",
            self.check_marks,
            self.exemption,
        ]


def exemption_text(kind: str | None, ends_on: datetime.date | None) -> str:
    if not kind:
        return ""
    label = ExemptionKind(kind).label if kind in ExemptionKind.values else kind
    return f"{label} until {ends_on:%Y-%m-%d}" if ends_on else label


def book_list_lines(registrations: Iterable[Registration], first: int = 1) -> Iterator[ListLine]:
    """Lines of a book's list, numbered from `first` (a page's first position)."""
    for position, r in enumerate(registrations, start=first):
        yield ListLine(
            position=position,
            registration_id=r.pk,
            member_id=r.member_id,
            member_number=r.member.member_number,
            name=r.member.full_name,
            apn=r.apn,
            tier=r.tier,
            status=r.get_status_display(),
            registered=local_text(r.registered_at),
            resign_due=None if r.status == RegistrationStatus.EXEMPT else r.resign_due,
            check_marks=r.check_marks,
            exemption=exemption_text(
                getattr(r, "exemption_kind", None), getattr(r, "exemption_ends", None)
            ),
        )


# --- A book's list as it stood -----------------------------------------------------------

AS_OF_HEADER = (
    "position",
    "member_number",
    "name",
    "apn",
    "tier",
    "status",
    "registered",
    "last_event",
    "last_event_at",
)


@dataclass(frozen=True)
class AsOfLine:
    position: int
    registration_id: int
    member_id: int
    member_number: str
    name: str
    apn: Decimal
    tier: int
    status: str
    registered: str
    last_event: str
    last_event_at: str

    def cells(self) -> list[object]:
        return [
            self.position,
            self.member_number,
            self.name,
            self.apn,
            self.tier,
            self.status,
            self.registered,
            self.last_event,
            self.last_event_at,
        ]


def as_of_lines(book: Book, instant: datetime.datetime) -> list[AsOfLine]:
    """The book's list as it stood at `instant` (rebuilt from events alone), named: two
    queries, whatever its length."""
    listed = book_list_as_of(book, instant)
    return as_of_named(listed)


def as_of_named(listed) -> list[AsOfLine]:
    """Lines of book_list_as_of with their members' names and numbers (one query)."""
    registrations = Registration.objects.select_related("member").in_bulk(
        [row.registration_id for row in listed]
    )
    lines = []
    for row in listed:
        registration = registrations[row.registration_id]
        lines.append(
            AsOfLine(
                position=row.position,
                registration_id=row.registration_id,
                member_id=row.member_id,
                member_number=registration.member.member_number,
                name=registration.member.full_name,
                apn=row.apn,
                tier=row.tier,
                status=RegistrationStatus(row.status).label,
                registered=local_text(registration.registered_at),
                last_event=EventKind(row.last_event).label,
                last_event_at=local_text(row.last_event_at),
            )
        )
    return lines


# --- Re-signs due ------------------------------------------------------------------------

RESIGN_DUE_HEADER = ("resign_due", "book", "member_number", "name", "apn", "tier", "registered")


def resign_due_cells(r: Registration) -> list[object]:
    return [
        r.resign_due,
        r.book.code,
        r.member.member_number,
        r.member.full_name,
        r.apn,
        r.tier,
        local_text(r.registered_at),
    ]


# --- Dropped -----------------------------------------------------------------------------

DROPPED_HEADER = (
    "dropped",
    "book",
    "member_number",
    "name",
    "apn",
    "tier",
    "reason",
    "recorded_by",
    "note",
)


def with_roll_off_event(registrations: QuerySet[Registration]) -> QuerySet[Registration]:
    """Each dropped registration with who recorded its roll-off and their note, in the
    same query."""
    rolled_off = RegistrationEvent.objects.filter(
        registration=OuterRef("pk"), kind=EventKind.ROLLED_OFF
    ).order_by("-at", "-id")
    return registrations.annotate(
        dropped_by=Subquery(rolled_off.values("recorded_by_name")[:1]),
        dropped_note=Subquery(rolled_off.values("note")[:1]),
    )


def dropped_cells(r: Registration) -> list[object]:
    return [
        local_text(r.ended_at),
        r.book.code,
        r.member.member_number,
        r.member.full_name,
        r.apn,
        r.tier,
        r.get_roll_off_reason_display(),
        getattr(r, "dropped_by", "") or "",
        getattr(r, "dropped_note", "") or "",
    ]


# --- A member's history ------------------------------------------------------------------


def current_first(registrations: Iterable[Registration]) -> list[Registration]:
    """Registrations still running before those that ended, each group in the order given
    (a database sorts the missing end dates first or last as it pleases)."""
    return sorted(registrations, key=lambda r: r.ended_at is not None)


HISTORY_HEADER = (
    "book",
    "apn",
    "tier",
    "registration_status",
    "at",
    "event",
    "reason",
    "note",
    "status_after",
    "recorded_by",
)


def history_cells(registration: Registration, event: RegistrationEvent) -> list[object]:
    return [
        registration.book.code,
        registration.apn,
        event.tier,
        registration.get_status_display(),
        local_text(event.at),
        event.get_kind_display(),
        event.reason,
        event.note,
        event.get_status_display(),
        event.recorded_by_name,
    ]


# --- PDF ---------------------------------------------------------------------------------


def table_pdf(
    *,
    title: str,
    lines: list[str],
    header: Iterable[str],
    rows: Iterable[Iterable[object]],
    widths: Iterable[float],
) -> bytes:
    """A report as a landscape Letter PDF: the local's name, the title and what it shows,
    then the table, its header again on every page, each page numbered."""
    header, widths = list(header), list(widths)
    pdf = _ReportPdf(orientation="landscape", format="letter")
    pdf.set_margins(12, 12)
    pdf.set_auto_page_break(True, margin=14)
    pdf.set_title(_printable(title))
    pdf.set_author(_printable(settings.LOCAL_NAME))
    pdf.add_page()
    pdf.set_font("Helvetica", style="B", size=11)
    pdf.cell(0, 6, _printable(settings.LOCAL_NAME), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", style="B", size=15)
    pdf.multi_cell(0, 8, _printable(title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=9)
    for line in lines:
        pdf.multi_cell(0, 5, _printable(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    scale = (pdf.w - pdf.l_margin - pdf.r_margin) / sum(widths)
    widths = [w * scale for w in widths]
    _pdf_header(pdf, header, widths)
    pdf.set_font("Helvetica", size=8)
    count, fitted = 0, {}
    for row in rows:
        if pdf.will_page_break(5):
            pdf.add_page()
            _pdf_header(pdf, header, widths)
            pdf.set_font("Helvetica", size=8)
        for width, value in zip(widths, row, strict=False):
            text = _text(value)
            # Dates, statuses and tiers repeat down a column: each is measured once.
            if (text, width) not in fitted:
                fitted[text, width] = _fitted(pdf, _printable(text), width)
            pdf.cell(width, 5, fitted[text, width], border="B")
        pdf.ln(5)
        count += 1
    if not count:
        pdf.cell(0, 6, "None.", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


class _ReportPdf(FPDF):
    def footer(self) -> None:
        self.set_y(-10)
        self.set_font("Helvetica", size=7)
        self.set_text_color(90, 90, 90)
        self.cell(0, 5, f"Page {self.page_no()}", align="R")
        self.set_text_color(0, 0, 0)


def _pdf_header(pdf: FPDF, header: list[str], widths: list[float]) -> None:
    pdf.set_font("Helvetica", style="B", size=8)
    for width, name in zip(widths, header, strict=False):
        label = name.replace("_", " ").capitalize()
        pdf.cell(width, 6, _fitted(pdf, label, width), border="B")
    pdf.ln(6)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def _fitted(pdf: FPDF, text: str, width: float) -> str:
    """Text cut (with an ellipsis) to fit its column, so a long name never runs into the
    next one."""
    room = width - 2 * pdf.c_margin
    if pdf.get_string_width(text) <= room:
        return text
    while text and pdf.get_string_width(text + "...") > room:
        text = text[:-1]
    return text + "..."


def _printable(text: str) -> str:
    # The PDF's built-in fonts know Latin-1 only (as dues/receipts.py): other letters
    # print as a "?", never as an error that loses the report.
    return text.replace("—", "-").encode("latin-1", "replace").decode("latin-1")
