"""Web bids (referral/services/bids.py): taken inside the window by the server's clock on
the local's wall clock (17:30:00.000 in, 17:29:59.999 and 07:00:00.000 out, on both
daylight-saving days), one per member and request, with the bidder's position then; the
morning referral offers a request to its bidders first, in list order, whatever order they
bid in; a refusal after a successful bid counts as a quit, and the second within twelve
months suspends bidding."""

from __future__ import annotations

import datetime
import zoneinfo
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from apikit.errors import ConflictError
from referral import rules
from referral.models import (
    Bid,
    BiddingSuspension,
    BidStatus,
    Blackout,
    CheckMark,
    Dispatch,
    DispatchMethod,
    DispatchStatus,
    RegistrationStatus,
    RollOffReason,
)
from referral.offers import offers_and_skips
from referral.services import (
    bid_place,
    bid_refuse,
    dispatch_make,
    labor_request_receive,
    referral_run_confirm,
    referral_run_propose,
)

pytestmark = pytest.mark.django_db

LA = zoneinfo.ZoneInfo("America/Los_Angeles")
OPENS, CLOSES = datetime.time(17, 30), datetime.time(7, 0)


@pytest.mark.parametrize(
    ("at", "open_"),
    [
        (datetime.time(17, 29, 59, 999000), False),
        (datetime.time(17, 30), True),
        (datetime.time(23, 59, 59), True),
        (datetime.time(0, 0), True),
        (datetime.time(6, 59, 59, 999000), True),
        (datetime.time(7, 0), False),
        (datetime.time(12, 0), False),
    ],
)
def test_the_window_to_the_millisecond(at, open_):
    local = datetime.datetime.combine(datetime.date(2026, 12, 8), at, tzinfo=LA)
    assert rules.bidding_open(local, OPENS, CLOSES) is open_


@pytest.mark.parametrize(
    ("local", "serves"),
    [
        (datetime.datetime(2026, 12, 8, 18, 0), datetime.date(2026, 12, 9)),  # Tue evening
        (datetime.datetime(2026, 12, 9, 2, 0), datetime.date(2026, 12, 9)),  # Wed, small hours
        (datetime.datetime(2026, 12, 11, 18, 0), datetime.date(2026, 12, 14)),  # Fri → Mon
        (datetime.datetime(2026, 12, 12, 18, 0), datetime.date(2026, 12, 14)),  # Sat → Mon
        (datetime.datetime(2026, 12, 24, 18, 0), datetime.date(2026, 12, 28)),  # Christmas
    ],
)
def test_the_referral_a_bid_is_for(local, serves):
    holidays = {datetime.date(2026, 12, 25)}
    assert rules.bidding_referral_day(local.replace(tzinfo=LA), CLOSES, holidays) == serves


def receive_for(book, employer, clock, received, **changes):
    """A request received at `received` (local), on `book`."""
    clock.set(*received)
    values = {
        "employer": employer,
        "book": book,
        "positions": 1,
        "start_on": datetime.date(2027, 1, 29),
        "start_at": datetime.time(7, 0),
        "worksite": "1 Main St",
        "report_to": "Gate 3",
        "wage": Decimal("52.10"),
        "requirements": [],
        "short_call": False,
        "agreement_type": "standard",
        "actor": "tests",
        **changes,
    }
    return labor_request_receive(**values)


def place(registration, labor_request, **more):
    return bid_place(member=registration.member, labor_request=labor_request, actor="tests", **more)


@pytest.mark.parametrize(
    ("received", "evening"),
    [
        # Spring forward (Sunday Mar 8, 2026): bids that evening are for Monday's referral.
        ((2026, 3, 6, 9, 0), (2026, 3, 8)),
        # Fall back (Sunday Nov 1, 2026).
        ((2026, 10, 30, 9, 0), (2026, 11, 1)),
        # An ordinary Tuesday.
        ((2026, 12, 8, 9, 0), (2026, 12, 8)),
    ],
)
def test_one_clock_decides_the_window_on_both_daylight_saving_days(
    registered, book, employer, clock, received, evening
):
    registration = registered()
    labor_request = receive_for(book, employer, clock, received)
    clock.set(*evening, 17, 29, 59, 999000)
    with pytest.raises(ValidationError, match="from 17:30 to 07:00"):
        place(registration, labor_request)
    clock.set(*evening, 17, 30)
    bid = place(registration, labor_request)
    assert timezone_local(bid.placed_at).time() == datetime.time(17, 30)
    morning = datetime.date(*evening) + datetime.timedelta(days=1)
    second = registered()
    clock.set(morning.year, morning.month, morning.day, 7, 0)
    with pytest.raises(ValidationError, match="17:30"):
        place(second, labor_request)
    clock.set(morning.year, morning.month, morning.day, 6, 59, 59, 999000)
    assert place(second, labor_request).pk


def timezone_local(instant):
    return instant.astimezone(LA)


@pytest.fixture
def tonight(registered, book, employer, clock):
    """Three on the book, a request for Wednesday's referral, and Tuesday 18:00 now."""
    on_list = [registered() for _ in range(3)]
    labor_request = receive_for(book, employer, clock, (2026, 12, 8, 9, 0))
    clock.set(2026, 12, 8, 18, 0)
    return on_list, labor_request


def test_a_bid_records_the_bidders_position(tonight):
    on_list, labor_request = tonight
    bid = place(on_list[2], labor_request)
    assert (bid.position, bid.status, bid.registration) == (3, BidStatus.PLACED, on_list[2])
    assert bid.rule_set.version == 1 and bid.history.count() == 1


def test_a_second_bid_on_the_same_request_is_refused(tonight, clock):
    on_list, labor_request = tonight
    place(on_list[0], labor_request)
    clock.advance(minutes=5)
    with pytest.raises(ValidationError) as refused:
        place(on_list[0], labor_request)
    assert "already, at 18:00:00" in refused.value.message_dict["labor_request"][0]
    assert Bid.objects.count() == 1


def test_a_retry_with_the_key_gets_the_first_bid(tonight):
    on_list, labor_request = tonight
    first = place(on_list[0], labor_request, idempotency_key="bid-1")
    assert place(on_list[0], labor_request, idempotency_key="bid-1") == first
    with pytest.raises(ConflictError):
        place(on_list[1], labor_request, idempotency_key="bid-1")
    assert Bid.objects.count() == 1


def test_bids_refused_and_nothing_written(tonight, registered, book, employer, clock):
    on_list, labor_request = tonight
    from referral.tests.factories import BookFactory

    other_book = BookFactory(code="WIRE-S", classification=book.classification)
    elsewhere = registered(on=other_book)
    clock.set(2026, 12, 8, 18, 0)
    with pytest.raises(ValidationError, match="not on book WIRE-N's list"):
        place(elsewhere, labor_request)
    by_name = receive_for(
        book,
        employer,
        clock,
        (2026, 12, 8, 9, 5),
        named_member=on_list[0].member,
        attestation="Not solicited",
    )
    later = receive_for(book, employer, clock, (2026, 12, 8, 15, 0))  # Thursday's referral
    clock.set(2026, 12, 8, 18, 0)
    with pytest.raises(ValidationError, match="by name"):
        place(on_list[0], by_name)
    with pytest.raises(ValidationError, match="tonight's bids are for Wed Dec 09"):
        place(on_list[0], later)
    BiddingSuspension.objects.create(
        member=on_list[1].member,
        starts_on=datetime.date(2026, 6, 1),
        ends_on=datetime.date(2027, 6, 1),
        reason="Second refusal",
        rule_set=labor_request.rule_set,
    )
    with pytest.raises(ValidationError, match="suspended until Jun 01, 2027"):
        place(on_list[1], labor_request)
    dispatch_make(
        labor_request=receive_for(book, employer, clock, (2026, 12, 8, 9, 10)),
        registration=on_list[2],
        method=DispatchMethod.IN_PERSON,
        actor="tests",
    )
    clock.set(2026, 12, 8, 18, 0)
    with pytest.raises(ValidationError, match="on a dispatch"):
        place(on_list[2], labor_request)
    assert not Bid.objects.exists()


def test_a_member_bids_for_themself_only(tonight, user_with_role):
    from accounts import roles

    on_list, labor_request = tonight
    user = user_with_role(roles.MEMBER)
    on_list[0].member.user = user
    on_list[0].member.save()
    with pytest.raises(PermissionDenied):
        bid_place(member=on_list[1].member, labor_request=labor_request, actor=user)
    bid = bid_place(member=on_list[0].member, labor_request=labor_request, actor=user)
    assert bid.placed_by == user


# --- Selection by the morning referral ----------------------------------------------------


def run_and_confirm(clock):
    clock.set(2026, 12, 9, 7, 5)
    run = referral_run_propose(actor="tests")
    referral_run_confirm(run=run, actor="tests")
    return run


def test_bidders_are_offered_the_call_first_in_list_order(tonight, clock, registered):
    on_list, labor_request = tonight
    fourth = registered()
    clock.set(2026, 12, 8, 18, 0)
    place(fourth, labor_request)  # the first to bid, last on the list
    clock.advance(minutes=1)
    place(on_list[1], labor_request)
    run = run_and_confirm(clock)
    # The bidder highest on the list wins; the first on the list, above them, did not bid.
    assert [(x.registration_id, x.outcome, x.reason) for x in run.lines.order_by("order")] == [
        (on_list[1].pk, "offer", ""),
        (on_list[0].pk, "skip", "did_not_bid"),
    ]
    assert not CheckMark.objects.exists()  # not bidding is no fault
    dispatch = Dispatch.objects.get()
    assert (dispatch.registration, dispatch.method) == (on_list[1], DispatchMethod.BID)
    assert dict(Bid.objects.values_list("member_id", "status")) == {
        on_list[1].member_id: BidStatus.SELECTED,
        fourth.member_id: BidStatus.NOT_SELECTED,
    }


def test_the_order_bids_came_in_does_not_change_the_selection(tonight, clock):
    on_list, labor_request = tonight
    clock.set(2026, 12, 8, 18, 0)
    place(on_list[2], labor_request)
    place(on_list[1], labor_request)
    clock.set(2026, 12, 9, 7, 5)
    consulted = referral_run_propose(actor="tests").consulted
    reordered = {
        **consulted,
        "requests": [
            {**request, "bidders": list(reversed(request["bidders"]))}
            for request in consulted["requests"]
        ],
    }
    assert offers_and_skips(reordered) == offers_and_skips(consulted)


def test_positions_the_bidders_leave_go_down_the_list(tonight, clock, book, employer):
    on_list, _ = tonight
    two = receive_for(book, employer, clock, (2026, 12, 8, 9, 30), positions=2)
    clock.set(2026, 12, 8, 18, 0)
    place(on_list[2], two)
    run = run_and_confirm(clock)
    offered = [
        (line.registration_id, line.labor_request_id)
        for line in run.lines.order_by("order")
        if line.outcome == "offer"
    ]
    # The first request (no bids) takes the top of the list; `two` its bidder, then the next.
    assert offered == [
        (on_list[0].pk, offered[0][1]),
        (on_list[2].pk, two.pk),
        (on_list[1].pk, two.pk),
    ]
    methods = dict(Dispatch.objects.values_list("registration_id", "method"))
    assert methods[on_list[2].pk] == DispatchMethod.BID
    assert methods[on_list[1].pk] == DispatchMethod.MORNING_REFERRAL


def test_a_bidder_suspended_after_bidding_is_skipped(tonight, clock):
    on_list, labor_request = tonight
    clock.set(2026, 12, 8, 18, 0)
    place(on_list[0], labor_request)
    place(on_list[1], labor_request)
    BiddingSuspension.objects.create(
        member=on_list[0].member,
        starts_on=datetime.date(2026, 12, 8),
        ends_on=datetime.date(2027, 12, 8),
        reason="Second refusal",
        rule_set=labor_request.rule_set,
    )
    run = run_and_confirm(clock)
    assert [(x.registration_id, x.outcome, x.reason) for x in run.lines.order_by("order")] == [
        (on_list[0].pk, "skip", "bidding_suspended"),
        (on_list[1].pk, "offer", ""),
    ]


# --- A refusal after a successful bid ----------------------------------------------------


def _won(tonight, clock, registered=None):
    on_list, labor_request = tonight
    clock.set(2026, 12, 8, 18, 0)
    bid = place(on_list[0], labor_request)
    run_and_confirm(clock)
    bid.refresh_from_db()
    assert bid.status == BidStatus.SELECTED
    return bid


def test_a_refusal_after_a_bid_counts_as_a_quit(tonight, clock, employer):
    bid = _won(tonight, clock)
    refused = bid_refuse(bid=bid, actor="tests")
    assert refused.status == BidStatus.REFUSED
    dispatch = Dispatch.objects.get()
    assert dispatch.status == DispatchStatus.TERMINATED
    assert dispatch.termination_reason == "refused_after_bid"
    registration = bid.registration
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.ROLLED_OFF
    assert registration.roll_off_reason == RollOffReason.QUIT
    assert Blackout.objects.get().employer == employer
    assert not BiddingSuspension.objects.exists()  # the first in twelve months
    with pytest.raises(ValidationError, match="Only a selected bid"):
        bid_refuse(bid=bid, actor="tests")


def _refused_before(bid, days_ago):
    """An earlier refusal of the same member, `days_ago` days before now."""
    from django.utils import timezone

    earlier = Bid.objects.create(
        labor_request=bid.labor_request,
        member_id=bid.member_id,
        registration=bid.registration,
        placed_at=timezone.now() - datetime.timedelta(days=days_ago),
        position=1,
        status=BidStatus.REFUSED,
        decided_at=timezone.now() - datetime.timedelta(days=days_ago),
        rule_set=bid.rule_set,
        placed_by_name="tests",
    )
    return earlier


@pytest.mark.parametrize(("days_ago", "suspended"), [(300, True), (365, True), (366, False)])
def test_a_second_refusal_within_twelve_months_suspends_bidding_for_a_year(
    tonight, clock, days_ago, suspended, book, employer
):
    bid = _won(tonight, clock)
    # The earlier refusal was on another request: one bid per member and request.
    bid.labor_request = receive_for(book, employer, clock, (2026, 12, 8, 9, 45))
    clock.set(2026, 12, 9, 9, 0)
    _refused_before(bid, days_ago)
    bid.refresh_from_db()
    bid_refuse(bid=bid, actor="tests")
    suspension = BiddingSuspension.objects.first()
    if suspended:
        assert (suspension.starts_on, suspension.ends_on) == (
            datetime.date(2026, 12, 9),
            datetime.date(2027, 12, 9),
        )
    else:
        assert suspension is None


def test_a_refusal_after_a_bid_is_recorded_on_the_bid_only(tonight, clock):
    from referral.services import dispatch_terminate

    bid = _won(tonight, clock)
    with pytest.raises(ValidationError) as refused:
        dispatch_terminate(
            dispatch=Dispatch.objects.get(),
            reason="refused_after_bid",
            on=datetime.date(2026, 12, 9),
            actor="tests",
        )
    assert "recorded on the bid" in refused.value.message_dict["reason"][0]
    bid.refresh_from_db()
    assert bid.status == BidStatus.SELECTED
