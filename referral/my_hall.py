"""A member's own side of the hall (/referral/my/, docs/design.md §11): each registration
with its place on the book (registration_position: the dispatchers' list and this page give
the same number), re-sign and exemption; the open calls on their books, with whether a bid
is taken now; their bids and dispatches. Read in the same few queries whatever the member
holds, but one count per registration on a list (a member is on a few books at most)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Prefetch
from django.utils import timezone

from members.models import Member

from . import rules
from .models import (
    ON_LIST_STATUSES,
    OPEN_REQUEST_STATUSES,
    Bid,
    BiddingSuspension,
    Dispatch,
    Exemption,
    LaborRequest,
    Registration,
    RegistrationStatus,
    Requirement,
    RuleSet,
)
from .selectors import member_registrations, registration_position, rule_set_in_force
from .services.bids import bids_serve, suspension_of

# The latest of each on the page; the office has them all.
BIDS_SHOWN = 20
DISPATCHES_SHOWN = 10


@dataclass(frozen=True)
class MyRegistration:
    registration: Registration
    position: int | None  # on the list now (1 first), None when off it
    exemption: Exemption | None
    resign_online: bool  # a re-sign button: waiting on the book, the rules allow it online

    @property
    def ahead(self) -> int | None:
        return None if self.position is None else self.position - 1


@dataclass(frozen=True)
class OpenCall:
    labor_request: LaborRequest
    my_bid: Bid | None
    takes_bids_now: bool  # in the window, for tonight's referral, not yet bid on


@dataclass(frozen=True)
class MyHall:
    member: Member
    registrations: list[MyRegistration]
    calls: list[OpenCall]
    bids: list[Bid]
    dispatches: list[Dispatch]
    rule_set: RuleSet | None
    now: datetime.datetime  # the local's wall clock
    bidding_open: bool
    on_dispatch: bool
    suspension: BiddingSuspension | None

    @property
    def window(self) -> str:
        if self.rule_set is None:
            return ""
        return f"{self.rule_set.bidding_opens:%H:%M} to {self.rule_set.bidding_closes:%H:%M}"


def my_hall(member: Member) -> MyHall:
    now = timezone.localtime()
    rule_set = rule_set_in_force(now.date())
    registrations = list(
        member_registrations(member.pk)
        .select_related("book__region")
        .prefetch_related(
            Prefetch(
                "exemptions",
                queryset=Exemption.objects.filter(ended_at__isnull=True).order_by("-starts_on"),
                to_attr="open_exemptions",
            )
        )
    )
    bidding = rule_set is not None and rules.bidding_open(
        now, rule_set.bidding_opens, rule_set.bidding_closes
    )
    dispatches = list(
        Dispatch.objects.filter(member=member)
        .select_related("employer", "registration__book")
        .order_by("-dispatched_at", "-id")[:DISPATCHES_SHOWN]
    )
    on_dispatch = any(d.is_open for d in dispatches)
    suspension = suspension_of(member, now.date())
    return MyHall(
        member=member,
        registrations=[_mine(r, rule_set) for r in registrations],
        calls=_calls(
            member, registrations, rule_set, now, bidding and not on_dispatch and not suspension
        ),
        bids=list(
            Bid.objects.filter(member=member)
            .select_related("labor_request__employer", "labor_request__book")
            .order_by("-placed_at", "-id")[:BIDS_SHOWN]
        ),
        dispatches=dispatches,
        rule_set=rule_set,
        now=now,
        bidding_open=bidding,
        on_dispatch=on_dispatch,
        suspension=suspension,
    )


def _mine(registration: Registration, rule_set: RuleSet | None) -> MyRegistration:
    exemptions = registration.open_exemptions
    return MyRegistration(
        registration=registration,
        position=registration_position(registration),
        exemption=exemptions[0] if exemptions else None,
        resign_online=(
            rule_set is not None
            and rule_set.resign_online
            and registration.status == RegistrationStatus.REGISTERED
            and not rules.resign_missed(registration.resign_due, timezone.localdate())
        ),
    )


def _calls(
    member: Member,
    registrations: list[Registration],
    rule_set: RuleSet | None,
    now: datetime.datetime,
    bidding: bool,
) -> list[OpenCall]:
    """The open calls on the books the member waits on (not those asking someone by name),
    from today's referral on."""
    books = {r.book_id: r.book for r in registrations if r.status in ON_LIST_STATUSES}
    if not books:
        return []
    requests = list(
        LaborRequest.objects.filter(
            book_id__in=books,
            status__in=OPEN_REQUEST_STATUSES,
            named_member__isnull=True,
            referral_day__gte=now.date(),
        )
        .select_related("employer", "book")
        .prefetch_related(Prefetch("requirements", queryset=Requirement.objects.order_by("code")))
        .order_by("referral_day", "book__referral_order", "received_at", "id")
    )
    mine = {
        bid.labor_request_id: bid
        for bid in Bid.objects.filter(member=member, labor_request__in=requests)
    }
    serves: dict[int, datetime.date] = {}
    if bidding:
        for region_id in {book.region_id for book in books.values()}:
            serves[region_id] = bids_serve(region_id, now, rule_set)
    return [
        OpenCall(
            labor_request=request,
            my_bid=mine.get(request.pk),
            takes_bids_now=(
                bidding
                and request.pk not in mine
                and request.referral_day == serves[books[request.book_id].region_id]
            ),
        )
        for request in requests
    ]
