"""The hall's referral reports (docs/design.md §11), each a page, CSV and PDF
(report_files.py): the daily referral summary (each confirmed run of a day, request by
request: offers, skips by reason, positions left unfilled), the bids of a referral day, the
current dispatches by employer, and the by-name requests of a period (the anti-collusion
audit: who was named, the attestation, who recorded it, whether the named member went).
Each reads its rows in a fixed number of queries, whatever their number. Reads only."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, QuerySet
from django.utils import timezone

from .day_book import local_day_bounds
from .models import (
    OPEN_DISPATCH_STATUSES,
    Bid,
    Dispatch,
    LaborRequest,
    ReferralLine,
    ReferralRun,
    ReferralRunStatus,
    SkipReason,
)

# --- The daily referral summary ----------------------------------------------------------

SUMMARY_HEADER = (
    "run",
    "request",
    "book",
    "employer",
    "positions",
    "offers",
    "skips",
    *(f"skipped_{reason}" for reason in SkipReason.values),
    "unfilled",
)


@dataclass(frozen=True)
class SummaryLine:
    run_id: int
    request_id: int
    book: str
    employer: str
    # The positions still open when the run read the request.
    positions: int
    offers: int
    # How many were skipped for each reason, in SkipReason's order.
    skips_by_reason: tuple[int, ...]

    @property
    def skips(self) -> int:
        return sum(self.skips_by_reason)

    @property
    def unfilled(self) -> int:
        return max(self.positions - self.offers, 0)

    @property
    def reasons(self) -> list[tuple[str, int]]:
        """The reasons some were skipped for, in words, with how many."""
        return [
            (label, count)
            for label, count in zip(SkipReason.labels, self.skips_by_reason, strict=True)
            if count
        ]

    def cells(self) -> list[object]:
        return [
            self.run_id,
            self.request_id,
            self.book,
            self.employer,
            self.positions,
            self.offers,
            self.skips,
            *self.skips_by_reason,
            self.unfilled,
        ]


def confirmed_runs(day: datetime.date) -> list[ReferralRun]:
    return list(
        ReferralRun.objects.filter(day=day, status=ReferralRunStatus.CONFIRMED).order_by("id")
    )


def summary_lines(day: datetime.date) -> list[SummaryLine]:
    """A line for each request each confirmed run of `day` read, in the run's order."""
    runs = confirmed_runs(day)
    counted: dict[tuple[int, int, str, str], int] = {}
    for run_id, request_id, outcome, reason, count in (
        ReferralLine.objects.filter(run__in=runs)
        .values_list("run_id", "labor_request_id", "outcome", "reason")
        .annotate(count=Count("id"))
        .order_by()
    ):
        counted[run_id, request_id, outcome, reason] = count
    request_ids = {r["id"] for run in runs for r in run.consulted["requests"]}
    requests = LaborRequest.objects.select_related("employer", "book").in_bulk(request_ids)
    lines = []
    for run in runs:
        for read in run.consulted["requests"]:
            request = requests[read["id"]]
            key = (run.pk, read["id"])
            lines.append(
                SummaryLine(
                    run_id=run.pk,
                    request_id=read["id"],
                    book=request.book.code,
                    employer=str(request.employer),
                    positions=read["positions"],
                    offers=counted.get((*key, ReferralLine.Outcome.OFFER, ""), 0),
                    skips_by_reason=tuple(
                        counted.get((*key, ReferralLine.Outcome.SKIP, reason), 0)
                        for reason in SkipReason.values
                    ),
                )
            )
    return lines


# --- Bids of a referral day --------------------------------------------------------------

BIDS_HEADER = (
    "placed_at",
    "request",
    "employer",
    "book",
    "member_number",
    "name",
    "position",
    "status",
)


def bids_for(day: datetime.date) -> QuerySet[Bid]:
    """The bids on the requests of `day`'s referral (a bidding window runs from the evening
    before into the morning: its bids are the next referral's), first placed first."""
    return (
        Bid.objects.filter(labor_request__referral_day=day)
        .select_related("member", "labor_request__employer", "labor_request__book")
        .order_by("placed_at", "id")
    )


def bid_cells(bid: Bid) -> list[object]:
    return [
        f"{timezone.localtime(bid.placed_at):%Y-%m-%d %H:%M:%S}",
        bid.labor_request_id,
        str(bid.labor_request.employer),
        bid.labor_request.book.code,
        bid.member.member_number,
        bid.member.full_name,
        bid.position,
        bid.get_status_display(),
    ]


# --- Current dispatches by employer ------------------------------------------------------

CURRENT_DISPATCHES_HEADER = (
    "employer",
    "member_number",
    "name",
    "book",
    "since",
    "status",
    "request",
)


def current_dispatches() -> QuerySet[Dispatch]:
    """The dispatches members are still on, employer by employer, longest out first."""
    return (
        Dispatch.objects.filter(status__in=OPEN_DISPATCH_STATUSES)
        .select_related("member", "employer", "registration__book")
        .order_by("employer__name", "employer_id", "dispatched_at", "id")
    )


def current_dispatch_cells(dispatch: Dispatch) -> list[object]:
    return [
        str(dispatch.employer),
        dispatch.member.member_number,
        dispatch.member.full_name,
        dispatch.registration.book.code,
        f"{timezone.localtime(dispatch.dispatched_at):%Y-%m-%d}",
        dispatch.get_status_display(),
        dispatch.labor_request_id,
    ]


@dataclass(frozen=True)
class EmployerDispatches:
    employer: str
    rows: list[list[object]]


def by_employer(dispatches: Iterable[Dispatch]) -> list[EmployerDispatches]:
    groups: list[EmployerDispatches] = []
    for dispatch in dispatches:
        cells = current_dispatch_cells(dispatch)
        if not groups or groups[-1].employer != cells[0]:
            groups.append(EmployerDispatches(cells[0], []))
        groups[-1].rows.append(cells)
    return groups


# --- By-name requests of a period --------------------------------------------------------

BY_NAME_HEADER = (
    "received",
    "request",
    "employer",
    "book",
    "member_number",
    "name",
    "attestation",
    "recorded_by",
    "dispatched",
    "status",
)


def by_name_requests(start: datetime.date, end: datetime.date) -> QuerySet[LaborRequest]:
    """The by-name requests received from the local's `start` to `end` (both days in),
    each with whether its named member was dispatched to it."""
    first, _ = local_day_bounds(start)
    _, after = local_day_bounds(end)
    named_went = Dispatch.objects.filter(
        labor_request=OuterRef("pk"), member=OuterRef("named_member")
    )
    return (
        LaborRequest.objects.filter(
            named_member__isnull=False, received_at__gte=first, received_at__lt=after
        )
        .select_related("employer", "book", "named_member")
        .annotate(named_dispatched=Exists(named_went))
        .order_by("received_at", "id")
    )


def by_name_cells(labor_request: LaborRequest) -> list[object]:
    member = labor_request.named_member
    return [
        f"{timezone.localtime(labor_request.received_at):%Y-%m-%d %H:%M}",
        labor_request.pk,
        str(labor_request.employer),
        labor_request.book.code,
        member.member_number,
        member.full_name,
        labor_request.attestation,
        labor_request.attested_by_name,
        "yes" if labor_request.named_dispatched else "no",
        labor_request.get_status_display(),
    ]
