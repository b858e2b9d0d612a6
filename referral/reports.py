"""The hiring hall's reports as rows: a book's out-of-work list now and as it stood at an
instant, the re-signs falling due, the registrations dropped, a member's history, the
out-of-work counts book by book. The staff pages, their CSV and PDF downloads
(report_files.py) and the `referral_list_as_of` command all build their lines here, so each
says the same thing however it is read. Reads only."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar

from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone

from .models import (
    ON_LIST_STATUSES,
    Book,
    EventKind,
    Exemption,
    ExemptionKind,
    Registration,
    RegistrationEvent,
    RegistrationStatus,
    RollOffReason,
)
from .selectors import book_list, book_list_as_of, member_registrations, unemployed_counts

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

    header: ClassVar[tuple[str, ...]] = BOOK_LIST_HEADER

    def cells(self) -> list[object]:
        return _cells(self)


def _cells(line: ListLine | AsOfLine) -> list[object]:
    """A line's cells: its fields named by its report's header, in that order."""
    return [getattr(line, column) for column in line.header]


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

    header: ClassVar[tuple[str, ...]] = AS_OF_HEADER

    def cells(self) -> list[object]:
        return _cells(self)


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


def dropped_scope(
    start: datetime.date, end: datetime.date, *, reason: str, book: Book | None
) -> str:
    """What a list of drops covers, in words: "Dec 01, 2026 to Dec 07, 2026, quit, book
    WIRE-N"."""
    because = RollOffReason(reason).label if reason else "any reason"
    scope = f"{start:%b %d, %Y} to {end:%b %d, %Y}, {because.lower()}"
    return scope + (f", book {book.code}" if book else "")


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


def member_history(member_id: int) -> list[Registration]:
    """A member's registrations, current first, each with its events in order and its
    check marks: four queries."""
    events = RegistrationEvent.objects.order_by("at", "id")
    return current_first(
        member_registrations(member_id)
        .select_related("book", "member")
        .prefetch_related(Prefetch("events", queryset=events), "marks__rule_set")
    )


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


# --- Unemployed counts per book ----------------------------------------------------------

# A book has Book 1 to Book 4 at most (its check constraint): a column each.
TIERS = (1, 2, 3, 4)
COUNTS_HEADER = (
    "book",
    "name",
    "region",
    "on_the_list",
    "registered",
    "exempt",
    *(f"book_{tier}" for tier in TIERS),
)


@dataclass(frozen=True)
class CountLine:
    """How many wait on a book's list (or on all of them): registered (called in their turn)
    and exempt (keeping their place, passed over), and how many on each tier it has (None
    for a tier it has not)."""

    book_id: int | None
    book: str
    name: str
    region: str
    registered: int
    exempt: int
    by_tier: tuple[int | None, ...]

    @property
    def on_the_list(self) -> int:
        return self.registered + self.exempt

    def cells(self) -> list[object]:
        counts = [self.on_the_list, self.registered, self.exempt, *self.by_tier]
        return [self.book, self.name, self.region, *counts]


@dataclass(frozen=True)
class UnemployedCounts:
    books: list[CountLine]
    total: CountLine
    # Members on at least one of the books: one may sign several, so the books add to more.
    members: int


def unemployed_counts_by_book() -> UnemployedCounts:
    """Every active book in the morning's order with its counts, and their totals: one
    grouped query, whatever the number of books, and one for the members among them."""
    on_list = Q(registrations__status__in=ON_LIST_STATUSES)
    books = (
        unemployed_counts()
        .filter(active=True)
        .select_related("region")
        .annotate(
            **{
                f"tier_{tier}": Count("registrations", filter=on_list & Q(registrations__tier=tier))
                for tier in TIERS
            }
        )
    )
    lines = [
        CountLine(
            book_id=b.pk,
            book=b.code,
            name=b.name,
            region=b.region.name,
            registered=b.registered,
            exempt=b.exempt,
            by_tier=tuple(_tier_count(b, tier) for tier in TIERS),
        )
        for b in books
    ]
    total = CountLine(
        book_id=None,
        book="All books",
        name="",
        region="",
        registered=sum(line.registered for line in lines),
        exempt=sum(line.exempt for line in lines),
        by_tier=tuple(_summed(line.by_tier[i] for line in lines) for i in range(len(TIERS))),
    )
    members = (
        Registration.objects.filter(book__active=True, status__in=ON_LIST_STATUSES)
        .values("member_id")
        .distinct()
        .count()
    )
    return UnemployedCounts(books=lines, total=total, members=members)


def _tier_count(book: Book, tier: int) -> int | None:
    """None for a tier the book does not have, unless some are left on it (from before
    its tiers were cut): they are on its list, and counted."""
    count = getattr(book, f"tier_{tier}")
    return count if tier <= book.tiers or count else None


def _summed(counts: Iterable[int | None]) -> int | None:
    """A tier's total over the books that have it (None where none has)."""
    had = [count for count in counts if count is not None]
    return sum(had) if had else None
