"""The request board (/referral/board/, docs/design.md §11): every open or partly filled
labor request, grouped by the referral day that serves it and its book, and the cutoff
clock: the local's time now, the rules' request cutoff, and the referral day a request
received now would go to. Its CSV and PDF are the "open requests" report (report_files.py).
Read in the same few queries whatever the number of requests. Reads only."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from itertools import groupby

from django.db.models import Count, Prefetch, QuerySet
from django.utils import timezone

from . import rules
from .models import OPEN_REQUEST_STATUSES, Book, Holiday, LaborRequest, Region, Requirement
from .selectors import rule_set_in_force

OPEN_REQUESTS_HEADER = (
    "referral_day",
    "book",
    "request",
    "employer",
    "positions",
    "filled",
    "start",
    "requirements",
    "short_call",
    "by_name",
    "bids",
    "status",
)


def open_requests() -> QuerySet[LaborRequest]:
    """The requests the morning referral may still fill, by referral day, then book in the
    morning's order, then oldest first (the order the run takes them in)."""
    return (
        LaborRequest.objects.filter(status__in=OPEN_REQUEST_STATUSES)
        .select_related("employer", "book", "named_member")
        .prefetch_related(Prefetch("requirements", queryset=Requirement.objects.order_by("code")))
        .annotate(bid_count=Count("bids"))
        .order_by("referral_day", "book__referral_order", "book__code", "received_at", "id")
    )


@dataclass(frozen=True)
class BoardLine:
    request_id: int
    referral_day: datetime.date
    book: str
    employer: str
    positions: int
    filled: int
    start: str
    requirements: str
    short_call: bool
    by_name: str
    bids: int
    status: str

    def cells(self) -> list[object]:
        return [
            f"{self.referral_day:%Y-%m-%d}",
            self.book,
            self.request_id,
            self.employer,
            self.positions,
            self.filled,
            self.start,
            self.requirements,
            "yes" if self.short_call else "",
            self.by_name,
            self.bids,
            self.status,
        ]


def line(labor_request: LaborRequest) -> BoardLine:
    named = labor_request.named_member
    return BoardLine(
        request_id=labor_request.pk,
        referral_day=labor_request.referral_day,
        book=labor_request.book.code,
        employer=str(labor_request.employer),
        positions=labor_request.positions,
        filled=labor_request.filled,
        start=f"{labor_request.start_on:%Y-%m-%d} {labor_request.start_at:%H:%M}",
        requirements=" ".join(r.code for r in labor_request.requirements.all()),
        short_call=labor_request.short_call,
        by_name=f"{named.full_name} ({named.member_number})" if named else "",
        bids=labor_request.bid_count,
        status=labor_request.get_status_display(),
    )


@dataclass(frozen=True)
class BoardGroup:
    referral_day: datetime.date
    book: str
    lines: list[BoardLine]


def board_groups(lines: list[BoardLine]) -> list[BoardGroup]:
    """The lines (in open_requests' order) under their referral day and book."""
    return [
        BoardGroup(day, book, list(group))
        for (day, book), group in groupby(lines, key=lambda x: (x.referral_day, x.book))
    ]


@dataclass(frozen=True)
class CutoffClock:
    now: datetime.datetime
    region: Region | None
    # None: no rules in force, so no request is received at all.
    cutoff: datetime.time | None = None
    referral_day: datetime.date | None = None
    # The next cutoff: today's while it is ahead, else the next working day's.
    next_cutoff: datetime.datetime | None = None

    @property
    def before_todays_cutoff(self) -> bool:
        return self.next_cutoff is not None and self.next_cutoff.date() == self.now.date()

    @property
    def left(self) -> str:
        """The time to the next cutoff, as a dispatcher reads it: 2 h 05 min."""
        if self.next_cutoff is None:
            return ""
        # In UTC: two times on one zone's clock subtract as wall-clock times, an hour off
        # across a daylight-saving change.
        left = self.next_cutoff.astimezone(datetime.UTC) - self.now.astimezone(datetime.UTC)
        minutes = int(left.total_seconds() // 60)
        return f"{minutes // 60} h {minutes % 60:02d} min"


def cutoff_clock() -> CutoffClock:
    """Where a request received now stands against the cutoff: the referral day the
    services would give it (labor_request_receive: the rules in force today and the
    holidays of the book's region). The board is for every book, so it reads the calendar
    of the first book's region in the morning's order (a local's books share one in
    practice), or the first region where no book is open."""
    now = timezone.localtime()
    first = (
        Book.objects.filter(active=True)
        .select_related("region")
        .order_by("referral_order", "code")
        .first()
    )
    region = first.region if first else Region.objects.order_by("code").first()
    rule_set = rule_set_in_force(now.date())
    if rule_set is None:
        return CutoffClock(now=now, region=region)
    # A run of closed days is at most a few weeks, as services/requests.py reads it.
    holidays = set(
        Holiday.objects.filter(
            region=region, day__gte=now.date(), day__lte=now.date() + datetime.timedelta(days=31)
        ).values_list("day", flat=True)
    )
    cutoff = rule_set.request_cutoff
    in_on = now.date()
    if not (rules.is_business_day(in_on, holidays) and now.time() < cutoff):
        in_on = rules.business_day_on_or_after(in_on + datetime.timedelta(days=1), holidays)
    return CutoffClock(
        now=now,
        region=region,
        cutoff=cutoff,
        referral_day=rules.referral_day_for(now, cutoff, holidays),
        next_cutoff=datetime.datetime.combine(in_on, cutoff, tzinfo=now.tzinfo),
    )
