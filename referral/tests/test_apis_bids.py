"""/api/v1/referral/bids/: a member bids for themself through bid_place, inside the window by
the server's clock (17:29:59.999 out, 17:30:00.000 in, on an ordinary day and the day the
clocks fall back), once per request, with a key that makes a retry safe (a 409 for a key
used again with other values); the hall bids for anyone and sees every bid, a member only
their own; a refusal after a selected bid ends the dispatch as a quit."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts import roles
from apikit.tests.client import api_client, queries_for_get
from members.models import Member
from members.tests.factories import MemberFactory, UserFactory
from referral.models import Bid, BidStatus, Dispatch, DispatchStatus, RegistrationStatus
from referral.services import (
    bid_place,
    labor_request_receive,
    referral_run_confirm,
    referral_run_propose,
)

pytestmark = pytest.mark.django_db

BIDS = reverse("api:referral-bids")


def _bid(pk: int) -> str:
    return reverse("api:referral-bid", args=[pk])


def _refuse(pk: int) -> str:
    return reverse("api:referral-bid-refuse", args=[pk])


@pytest.fixture
def dispatcher():
    return api_client(UserFactory(username="hall-dispatcher", role=roles.DISPATCHER))


@pytest.fixture
def staff():
    return api_client(UserFactory(username="hall-staff", role=roles.STAFF))


@pytest.fixture
def bidder(registered, book):
    """Register a member linked to a new login in the Member role: (registration, client)."""

    def go(number: str | None = None):
        user = UserFactory(role=roles.MEMBER)
        extra = {"member_number": number} if number else {}
        member = MemberFactory(classification=book.classification, user=user, **extra)
        return registered(member=member), api_client(user)

    return go


def _received_at(book, employer, clock, *when: int):
    """A request received at `when` (local): for the next working day's referral."""
    clock.set(*when)
    return labor_request_receive(
        employer=employer,
        book=book,
        positions=1,
        start_on=datetime.date(2027, 1, 29),
        start_at=datetime.time(7, 0),
        worksite="1 Main St",
        report_to="Gate 3",
        wage=Decimal("52.10"),
        requirements=[],
        short_call=False,
        agreement_type="standard",
        actor="tests",
    )


def _refused(client, url: str, body: dict | None = None, status: int = 400) -> dict:
    answer = client.post(url, body, format="json")
    assert answer.status_code == status, answer.json()
    return answer.json()


# --- Bidding ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("received", "evening"),
    [
        ((2026, 12, 8, 9, 0), (2026, 12, 8)),  # Tuesday: bids for Wednesday's referral
        ((2026, 10, 30, 9, 0), (2026, 11, 1)),  # Sunday the clocks fall back: for Monday's
    ],
    ids=["ordinary-day", "fall-back"],
)
def test_a_member_bids_from_1730_to_0700_by_the_servers_clock(
    bidder, book, employer, clock, received, evening
):
    registration, client = bidder("601")
    _, early_client = bidder("602")
    labor_request = _received_at(book, employer, clock, *received)
    body = {"labor_request": labor_request.pk}

    clock.set(*evening, 17, 29, 59, 999000)
    assert _refused(client, BIDS, body) == {
        "detail": ["Bids are taken from 17:30 to 07:00 (the hall's time); it is 17:29:59 now."]
    }
    clock.set(*evening, 17, 30)
    answer = client.post(BIDS, body, format="json")
    assert answer.status_code == 201, answer.json()
    made = answer.json()
    bid = Bid.objects.get()
    assert made["id"] == bid.pk
    assert {
        k: made[k]
        for k in (
            "labor_request",
            "member",
            "member_number",
            "registration",
            "book",
            "employer",
            "position",
            "status",
            "referral_day",
            "decided_at",
            "rules_version",
        )
    } == {
        "labor_request": labor_request.pk,
        "member": registration.member_id,
        "member_number": "601",
        "registration": registration.pk,
        "book": "WIRE-N",
        "employer": "ACME",
        "position": 1,
        "status": "placed",
        "referral_day": str(labor_request.referral_day),
        "decided_at": None,
        "rules_version": 1,
    }
    offset = "-08:00"  # standard time again on the evening the clocks fell back
    assert made["placed_at"] == f"{datetime.date(*evening)}T17:30:00{offset}"
    assert made["placed_by_name"] == registration.member.user.username
    assert client.get(_bid(bid.pk)).json() == made

    morning = datetime.date(*evening) + datetime.timedelta(days=1)
    clock.set(morning.year, morning.month, morning.day, 7, 0)
    assert "17:30 to 07:00" in _refused(early_client, BIDS, body)["detail"][0]
    clock.set(morning.year, morning.month, morning.day, 6, 59, 59, 999000)
    assert early_client.post(BIDS, body, format="json").status_code == 201
    assert Bid.objects.count() == 2


@pytest.fixture
def tonight(requested, clock):
    """A request for Wednesday's referral (received Tuesday 09:00); Tuesday 18:00 now."""
    labor_request = requested()
    clock.set(2026, 12, 8, 18, 0)
    return labor_request


def test_a_second_bid_on_the_same_request_is_a_400_on_the_request(bidder, tonight, clock):
    _, client = bidder()
    body = {"labor_request": tonight.pk}
    clock.set(2026, 12, 8, 18, 0)
    assert client.post(BIDS, body, format="json").status_code == 201
    clock.advance(minutes=5)
    refusal = _refused(client, BIDS, body)
    assert list(refusal) == ["labor_request"]
    assert refusal["labor_request"][0].endswith(
        f"bid on request #{tonight.pk} already, at 18:00:00."
    )
    assert Bid.objects.count() == 1


def test_every_bad_body_is_a_400_naming_its_field(bidder, tonight, registered, dispatcher):
    _, client = bidder()
    assert _refused(client, BIDS, {}) == {"labor_request": ["This field is required."]}
    assert _refused(client, BIDS, {"labor_request": 2**63}) == {
        "labor_request": [f'Invalid pk "{2**63}" - object does not exist.']
    }
    assert _refused(dispatcher, BIDS, {"labor_request": tonight.pk, "member": 999999}) == {
        "member": ['Invalid pk "999999" - object does not exist.']
    }
    # The hall names the member: its login is no member's.
    assert _refused(dispatcher, BIDS, {"labor_request": tonight.pk}) == {
        "member": ["Your login is not linked to a member: name the member."]
    }
    off_the_list = MemberFactory()
    refusal = _refused(dispatcher, BIDS, {"labor_request": tonight.pk, "member": off_the_list.pk})
    assert refusal == {"labor_request": [f"{off_the_list} is not on book WIRE-N's list."]}
    assert not Bid.objects.exists()


def test_an_idempotency_key_makes_a_retried_bid_safe(registered, tonight, dispatcher, clock):
    first, other = registered(), registered()
    clock.set(2026, 12, 8, 18, 0)

    def post(key: str, registration):
        body = {"labor_request": tonight.pk, "member": registration.member_id}
        return dispatcher.post(BIDS, body, format="json", HTTP_IDEMPOTENCY_KEY=key)

    made = post("desk-1", first)
    clock.set(2026, 12, 9, 8, 0)  # after the window: the retry gets the bid, not a refusal
    retry = post("desk-1", first)
    assert (made.status_code, retry.status_code) == (201, 201)
    assert made.json() == retry.json()
    assert made.json()["placed_by_name"] == "hall-dispatcher"

    clock.set(2026, 12, 8, 19, 0)
    clash = post("desk-1", other)
    assert clash.status_code == 409
    assert "already used for another bid" in clash.json()["detail"]
    assert Bid.objects.get().member == first.member


def test_a_member_bids_for_themself_only(bidder, registered, tonight):
    mine, client = bidder()
    someone = registered()
    nobody = Member.objects.order_by("-pk").first().pk + 100
    # Another's id and an id that is no one's get the same answer.
    for member in (someone.member_id, nobody):
        assert _refused(client, BIDS, {"labor_request": tonight.pk, "member": member}, 403) == {
            "detail": "You may bid for yourself only."
        }
    body = {"labor_request": tonight.pk, "member": mine.member_id}
    assert client.post(BIDS, body, format="json").status_code == 201
    assert list(Bid.objects.values_list("member", flat=True)) == [mine.member_id]


# --- Reading ------------------------------------------------------------------------------


def test_a_member_sees_their_own_bids_and_the_hall_every_bid(
    bidder, tonight, clock, staff, dispatcher
):
    mine, client = bidder("601")
    theirs, their_client = bidder("602")
    body = {"labor_request": tonight.pk}
    # 17:30 on Tuesday is 01:30 UTC on Wednesday: still Tuesday's bid.
    clock.set(2026, 12, 8, 17, 30)
    evening = client.post(BIDS, body, format="json").json()["id"]
    clock.set(2026, 12, 9, 6, 0)
    morning = their_client.post(BIDS, body, format="json").json()["id"]

    def ids(reader, **params) -> list[int]:
        answer = reader.get(BIDS, params)
        assert answer.status_code == 200, answer.json()
        return [b["id"] for b in answer.json()["results"]]

    assert ids(client) == [evening]
    assert ids(their_client) == [morning]
    assert ids(client, member=theirs.member_id) == []
    assert client.get(_bid(morning)).status_code == 404
    assert client.get(_bid(morning)).json() == client.get(_bid(morning + 100)).json()

    assert ids(staff) == [morning, evening]  # newest first
    assert ids(staff, day="2026-12-08") == [evening]
    assert ids(staff, day="2026-12-09") == [morning]
    assert ids(staff, day="2026-12-07") == []
    assert ids(staff, member=mine.member_id) == [evening]
    assert ids(staff, member_number="602") == [morning]
    assert ids(staff, labor_request=tonight.pk) == [morning, evening]
    assert ids(staff, labor_request=tonight.pk + 100) == []
    assert ids(staff, status="placed") == [morning, evening]
    assert ids(staff, status="selected") == []
    assert ids(staff, day="9999-12-31") == ids(staff, day="0001-01-01") == []
    assert staff.get(_bid(morning)).json()["member_number"] == "602"

    assert staff.get(BIDS, {"day": "Tuesday"}).json() == {"day": "A date as YYYY-MM-DD."}
    assert staff.get(BIDS, {"member": "x"}).json() == {"member": "A whole number (an id)."}
    assert "One of: placed" in staff.get(BIDS, {"status": "won"}).json()["status"]
    assert "Unknown query parameter" in str(staff.get(BIDS, {"on": "x"}).json())


def test_list_queries_do_not_grow_with_rows(registered, requested, clock, staff, dispatcher):
    bidders = [registered() for _ in range(10)]
    requests = [requested() for _ in range(10)]
    linked = UserFactory(role=roles.MEMBER)
    Member.objects.filter(pk=bidders[0].member_id).update(user=linked)
    member = api_client(linked)
    clock.set(2026, 12, 8, 18, 0)

    def bid(registration, labor_request):
        body = {"labor_request": labor_request.pk, "member": registration.member_id}
        assert dispatcher.post(BIDS, body, format="json").status_code == 201

    bid(bidders[0], requests[0])
    one = (queries_for_get(staff, BIDS), queries_for_get(member, BIDS))
    for registration in bidders[1:]:
        bid(registration, requests[0])
    for labor_request in requests[1:]:
        bid(bidders[0], labor_request)
    assert (queries_for_get(staff, BIDS), queries_for_get(member, BIDS)) == one
    assert len(staff.get(BIDS).json()["results"]) == 19
    assert len(member.get(BIDS).json()["results"]) == 10


# --- A refusal after a successful bid ----------------------------------------------------


def _selected(client, labor_request, clock) -> int:
    """Bid Tuesday 18:00; the morning referral (07:05 Wednesday) selects the bid."""
    clock.set(2026, 12, 8, 18, 0)
    made = client.post(BIDS, {"labor_request": labor_request.pk}, format="json")
    assert made.status_code == 201, made.json()
    clock.set(2026, 12, 9, 7, 5)
    referral_run_confirm(run=referral_run_propose(actor="tests"), actor="tests")
    assert client.get(_bid(made.json()["id"])).json()["status"] == "selected"
    return made.json()["id"]


def test_a_refusal_after_a_selected_bid_ends_the_dispatch_as_a_quit(
    bidder, requested, clock, dispatcher
):
    registration, client = bidder()
    labor_request = requested()
    bid = _selected(client, labor_request, clock)
    dispatch = Dispatch.objects.get()
    assert (dispatch.member, dispatch.status) == (registration.member, DispatchStatus.DISPATCHED)

    assert _refused(client, _refuse(bid), {}, 403) == {
        "detail": "You do not have permission to perform this action."
    }
    clock.set(2026, 12, 9, 8, 0)
    answer = dispatcher.post(_refuse(bid), {"note": "Turned it down by phone"}, format="json")
    assert answer.status_code == 200, answer.json()
    assert answer.json()["status"] == "refused"
    assert answer.json()["decided_at"] == "2026-12-09T08:00:00-08:00"
    dispatch.refresh_from_db()
    assert (dispatch.status, dispatch.termination_reason, dispatch.note) == (
        DispatchStatus.TERMINATED,
        "refused_after_bid",
        "Turned it down by phone",
    )
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.ROLLED_OFF  # off the books: a quit
    assert _refused(dispatcher, _refuse(bid)) == {
        "detail": [
            "Only a selected bid whose dispatch is still open can be refused "
            "(this one is refused after selection)."
        ]
    }
    assert dispatcher.post(_refuse(bid + 100)).status_code == 404


def test_a_bid_not_selected_is_not_refused(bidder, tonight, dispatcher):
    _, client = bidder()
    bid = client.post(BIDS, {"labor_request": tonight.pk}, format="json").json()["id"]
    assert "Only a selected bid" in _refused(dispatcher, _refuse(bid))["detail"][0]
    assert Bid.objects.get().status == BidStatus.PLACED


# --- Who ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "read", "for_another", "refuse"),
    [
        (roles.DISPATCHER, 200, 201, 400),
        (roles.OFFICER, 200, 201, 400),
        (roles.ADMIN, 200, 201, 400),
        (roles.STAFF, 200, 403, 403),
        (roles.ORGANIZER, 403, 403, 403),
        (roles.MEMBER, 403, 403, 403),  # a login linked to no member
    ],
)
def test_who_may_read_bid_and_refuse(registered, tonight, role, read, for_another, refuse):
    someone = registered()
    client = api_client(UserFactory(role=role))
    assert client.get(BIDS).status_code == read
    body = {"labor_request": tonight.pk, "member": someone.member_id}
    assert client.post(BIDS, body, format="json").status_code == for_another
    bid = Bid.objects.filter(member=someone.member).first() or _placed(tonight, registered())
    assert client.get(_bid(bid.pk)).status_code == read
    # Permitted, the service refuses a bid not selected (400), never a 403.
    assert client.post(_refuse(bid.pk)).status_code == refuse


def _placed(labor_request, registration) -> Bid:
    """A bid placed by the service, as the clock stands (inside Tuesday night's window)."""
    return bid_place(member=registration.member, labor_request=labor_request, actor="tests")


@pytest.mark.parametrize("role", [roles.STAFF, roles.ORGANIZER, roles.MEMBER])
def test_a_login_linked_to_a_member_bids_for_it_whatever_its_role(
    bidder, registered, tonight, role
):
    user = UserFactory(role=role)
    mine = registered(member=MemberFactory(user=user, classification=tonight.book.classification))
    client = api_client(user)
    made = client.post(BIDS, {"labor_request": tonight.pk}, format="json")
    assert made.status_code == 201, made.json()
    assert made.json()["member"] == mine.member_id
    assert client.get(BIDS).status_code == 200


def test_nobody_anonymous_reads_or_bids(registered, tonight):
    bid = _placed(tonight, registered())
    anonymous = api_client()
    assert anonymous.get(BIDS).status_code == 401
    assert anonymous.get(_bid(bid.pk)).status_code == 401
    assert anonymous.post(BIDS, {}).status_code == 401
    assert anonymous.post(_refuse(bid.pk)).status_code == 401
