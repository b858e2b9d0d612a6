"""Every API endpoint x every role -> the status docs/design.md §3 and §7 call for, from one table.
An endpoint missing from the table fails the test, so none is added without its rules."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, get_resolver, reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import roles
from checkoff.services import remittance_check
from checkoff.tests.factories import EmployerFactory, remittance_csv
from dues.services import dues_charges_generate
from dues.tests.factories import DuesPeriodFactory, DuesRateFactory
from jobs.services import job_kind, job_start
from members.services import member_note_create
from members.tests.factories import PASSWORD, ClassificationFactory, MemberFactory, UserFactory
from referral.models import Bid
from referral.services import dispatch_make, labor_request_receive, registration_register
from referral.tests.factories import BookFactory, rules_in_force
from unionhall import api_urls

pytestmark = pytest.mark.django_db

ANON = "anonymous"
WHO = [
    roles.ADMIN,
    roles.OFFICER,
    roles.ORGANIZER,
    roles.STAFF,
    roles.MEMBER,
    roles.DISPATCHER,
    ANON,
]


@dataclass
class World:
    users: dict
    member: object  # someone else's record
    own: object  # the Member role's own record
    note: object
    period: object
    job: object
    employer: object
    batch: object
    registration: object  # someone else's, on book WIRE-N
    labor_request: object  # ACME's, for book WIRE-N, two positions
    dispatch: object  # a third member's, to that request (one position left)
    bid: object  # someone else's, on that request, placed


@pytest.fixture
def world(db) -> World:
    users = {role: UserFactory(username=f"{role.lower()}1", role=role) for role in WHO[:-1]}
    journeyman = ClassificationFactory(code="JW", name="Journeyman Wireman")
    DuesRateFactory(classification=journeyman, monthly_amount=Decimal("45.00"))
    member = MemberFactory(classification=journeyman, member_number="7001")
    own = MemberFactory(classification=journeyman, member_number="7002", user=users[roles.MEMBER])
    period = DuesPeriodFactory(year=2026, month=10)
    dues_charges_generate(period=period, actor="tests")
    note = member_note_create(
        member=member,
        actor=users[roles.OFFICER],
        text="Asked about dispatch",
        visibility="all_authorized",
    )
    job = job_start(
        kind=job_kind("dues.generate_charges"),
        key="world",
        label="Generate",
        actor=users[roles.OFFICER],
        params={"period_id": period.pk},
    )
    employer = EmployerFactory(code="ACME")
    batch = remittance_check(
        employer=employer,
        content=remittance_csv("7001,,,,,2026-10,,,45.00"),
        file_name="acme.csv",
        received_on=datetime.date(2026, 11, 2),
        actor="tests",
    ).batch
    rules_in_force()
    book = BookFactory(code="WIRE-N", classification=journeyman)
    registration = registration_register(member=member, book=book, actor="tests")
    labor_request = labor_request_receive(**_request_values(employer, book), actor="tests")
    dispatched = MemberFactory(classification=journeyman, member_number="7003")
    dispatch = dispatch_make(
        labor_request=labor_request,
        registration=registration_register(member=dispatched, book=book, actor="tests"),
        method="in_person",
        actor="tests",
    )
    # Written as it stands, not through bid_place: the service takes bids only inside the
    # bidding window, and this test runs at any hour.
    bid = Bid.objects.create(
        labor_request=labor_request,
        member=member,
        registration=registration,
        placed_at=timezone.now(),
        position=1,
        rule_set=labor_request.rule_set,
        placed_by_name="tests",
    )
    return World(
        users,
        member,
        own,
        note,
        period,
        job,
        employer,
        batch,
        registration,
        labor_request,
        dispatch,
        bid,
    )


def _request_values(employer, book) -> dict:
    return {
        "employer": employer,
        "book": book,
        "positions": 2,
        "start_on": timezone.localdate() + datetime.timedelta(days=7),
        "start_at": datetime.time(7, 0),
        "worksite": "1 Main St",
        "report_to": "Gate 3",
        "wage": Decimal("52.10"),
        "requirements": [],
        "short_call": False,
        "agreement_type": "standard",
    }


def _request_body(w: World) -> dict:
    return {
        "employer": "ACME",
        "book": "WIRE-N",
        "positions": 1,
        "start_on": str(timezone.localdate() + datetime.timedelta(days=7)),
        "start_at": "07:00",
        "worksite": "1 Main St",
        "report_to": "Gate 3",
        "wage": "52.10",
        "requirements": ["OSHA-30"],
    }


def _token(client, who, w: World):
    username = w.users[who].username if who != ANON else "nobody"
    return client.post(reverse("api:token"), {"username": username, "password": PASSWORD})


@dataclass
class Call:
    method: str
    url: callable
    body: callable = lambda w: None
    raw: callable = None  # a call that authenticates itself (the token endpoints)


def _refresh(client, who, w):
    refresh = _token(client, who, w).data.get("refresh", "not-a-token") if who != ANON else "bad"
    return client.post(reverse("api:token-refresh"), {"refresh": refresh})


def _upload_remittance(client, who, w):
    if who != ANON:
        client.force_authenticate(w.users[who])
    upload = SimpleUploadedFile("acme.csv", remittance_csv("7001,,,,,2026-10,,,45.00"))
    body = {
        "employer": "ACME",
        "file": upload,
        "received_on": "2026-11-02",
        "control_total": "45.00",
    }
    return client.post(reverse("api:remittances"), body, format="multipart")


def _new_member(w):
    return {
        "member_number": "7999",
        "first_name": "Ella",
        "last_name": "Reeve",
        "classification": "JW",
        "status": "active",
        "join_date": "2020-02-02",
    }


ADM, OFF, ORG, STF, MEM, DIS, ANO = WHO
# name -> (call, {who: status})
MATRIX: dict[str, tuple[Call, dict]] = {
    "token": (
        Call("POST", None, raw=_token),
        dict.fromkeys([ADM, OFF, ORG, STF, MEM, DIS], 200) | {ANO: 401},
    ),
    "token-refresh": (
        Call("POST", None, raw=_refresh),
        dict.fromkeys([ADM, OFF, ORG, STF, MEM, DIS], 200) | {ANO: 401},
    ),
    "members GET": (
        Call("GET", lambda w: reverse("api:members")),
        {ADM: 200, OFF: 200, ORG: 200, STF: 200, MEM: 403, DIS: 200, ANO: 401},
    ),
    "members POST": (
        Call("POST", lambda w: reverse("api:members"), _new_member),
        {ADM: 201, OFF: 201, ORG: 403, STF: 201, MEM: 403, DIS: 403, ANO: 401},
    ),
    "member GET": (
        Call("GET", lambda w: reverse("api:member", args=[w.member.pk])),
        {ADM: 200, OFF: 200, ORG: 200, STF: 200, MEM: 404, DIS: 200, ANO: 401},
    ),
    "member GET own": (
        Call("GET", lambda w: reverse("api:member", args=[w.own.pk])),
        {ADM: 200, OFF: 200, ORG: 200, STF: 200, MEM: 200, DIS: 200, ANO: 401},
    ),
    "member PATCH": (
        Call(
            "PATCH",
            lambda w: reverse("api:member", args=[w.member.pk]),
            lambda w: {"email": "new@example.org"},
        ),
        {ADM: 200, OFF: 200, ORG: 403, STF: 200, MEM: 403, DIS: 403, ANO: 401},
    ),
    "member DELETE": (
        Call("DELETE", lambda w: reverse("api:member", args=[w.member.pk])),
        dict.fromkeys([ADM, OFF, ORG, STF, MEM, DIS], 405) | {ANO: 401},
    ),
    "member-dues GET": (
        Call("GET", lambda w: reverse("api:member-dues", args=[w.member.pk])),
        {ADM: 200, OFF: 200, ORG: 403, STF: 200, MEM: 404, DIS: 403, ANO: 401},
    ),
    "member-dues GET own": (
        Call("GET", lambda w: reverse("api:member-dues", args=[w.own.pk])),
        {ADM: 200, OFF: 200, ORG: 403, STF: 200, MEM: 200, DIS: 403, ANO: 401},
    ),
    "me": (
        Call("GET", lambda w: reverse("api:me")),
        dict.fromkeys([ADM, OFF, ORG, STF, DIS], 404) | {MEM: 200, ANO: 401},
    ),
    "dues-rates GET": (
        Call("GET", lambda w: reverse("api:dues-rates")),
        {ADM: 200, OFF: 200, ORG: 403, STF: 200, MEM: 403, DIS: 403, ANO: 401},
    ),
    "dues-rates POST": (
        Call(
            "POST",
            lambda w: reverse("api:dues-rates"),
            lambda w: {
                "classification": "JW",
                "monthly_amount": "48.00",
                "effective_date": "2027-01-01",
            },
        ),
        {ADM: 201, OFF: 201, ORG: 403, STF: 403, MEM: 403, DIS: 403, ANO: 401},
    ),
    "dues-periods GET": (
        Call("GET", lambda w: reverse("api:dues-periods")),
        {ADM: 200, OFF: 200, ORG: 403, STF: 200, MEM: 403, DIS: 403, ANO: 401},
    ),
    "dues-periods POST": (
        Call("POST", lambda w: reverse("api:dues-periods"), lambda w: {"year": 2026, "month": 11}),
        {ADM: 201, OFF: 201, ORG: 403, STF: 403, MEM: 403, DIS: 403, ANO: 401},
    ),
    "dues-generate-charges": (
        Call("POST", lambda w: reverse("api:dues-generate-charges", args=[w.period.pk])),
        {ADM: 202, OFF: 202, ORG: 403, STF: 403, MEM: 403, DIS: 403, ANO: 401},
    ),
    "job": (
        Call("GET", lambda w: reverse("api:job", args=[w.job.pk])),
        # The Officer's own job; Admin sees every job; the others: not theirs, not there.
        {ADM: 200, OFF: 200, ORG: 404, STF: 404, MEM: 403, DIS: 404, ANO: 401},
    ),
    "dues-payments GET": (
        Call("GET", lambda w: reverse("api:dues-payments")),
        {ADM: 200, OFF: 200, ORG: 403, STF: 200, MEM: 403, DIS: 403, ANO: 401},
    ),
    "dues-payments POST": (
        Call(
            "POST",
            lambda w: reverse("api:dues-payments"),
            lambda w: {
                "member": w.member.pk,
                "amount": "45.00",
                "method": "check",
                "received_date": "2026-11-02",
            },
        ),
        {ADM: 201, OFF: 201, ORG: 403, STF: 201, MEM: 403, DIS: 403, ANO: 401},
    ),
    "member-notes POST": (
        Call(
            "POST",
            lambda w: reverse("api:member-notes"),
            lambda w: {"member": w.member.pk, "text": "Called", "visibility": "all_authorized"},
        ),
        {ADM: 201, OFF: 201, ORG: 201, STF: 201, MEM: 403, DIS: 201, ANO: 401},
    ),
    "member-notes-of-member": (
        Call("GET", lambda w: reverse("api:member-notes-of-member", args=[w.member.pk])),
        {ADM: 200, OFF: 200, ORG: 200, STF: 200, MEM: 403, DIS: 200, ANO: 401},
    ),
    "member-note GET": (
        Call("GET", lambda w: reverse("api:member-note", args=[w.note.pk])),
        {ADM: 200, OFF: 200, ORG: 200, STF: 200, MEM: 403, DIS: 200, ANO: 401},
    ),
    "member-note PATCH": (
        Call(
            "PATCH",
            lambda w: reverse("api:member-note", args=[w.note.pk]),
            lambda w: {"text": "Asked again"},
        ),
        {ADM: 200, OFF: 200, ORG: 403, STF: 403, MEM: 403, DIS: 403, ANO: 401},
    ),
    "member-note DELETE": (
        Call("DELETE", lambda w: reverse("api:member-note", args=[w.note.pk])),
        {ADM: 204, OFF: 204, ORG: 403, STF: 403, MEM: 403, DIS: 403, ANO: 401},
    ),
    "audit-events": (
        Call("GET", lambda w: reverse("api:audit-events")),
        {ADM: 200, OFF: 200, ORG: 403, STF: 403, MEM: 403, DIS: 403, ANO: 401},
    ),
    "employers GET": (
        Call("GET", lambda w: reverse("api:employers")),
        {ADM: 200, OFF: 200, ORG: 403, STF: 200, MEM: 403, DIS: 403, ANO: 401},
    ),
    "employers POST": (
        Call(
            "POST",
            lambda w: reverse("api:employers"),
            lambda w: {"code": "bolt", "name": "Bolt Wiring", "due_day": 10},
        ),
        {ADM: 201, OFF: 201, ORG: 403, STF: 403, MEM: 403, DIS: 403, ANO: 401},
    ),
    "employer GET": (
        Call("GET", lambda w: reverse("api:employer", args=[w.employer.pk])),
        {ADM: 200, OFF: 200, ORG: 403, STF: 200, MEM: 403, DIS: 403, ANO: 401},
    ),
    "remittances GET": (
        Call("GET", lambda w: reverse("api:remittances")),
        {ADM: 200, OFF: 200, ORG: 403, STF: 200, MEM: 403, DIS: 403, ANO: 401},
    ),
    "remittances POST": (
        Call("POST", None, raw=_upload_remittance),
        {ADM: 202, OFF: 202, ORG: 403, STF: 403, MEM: 403, DIS: 403, ANO: 401},
    ),
    "remittance GET": (
        Call("GET", lambda w: reverse("api:remittance", args=[w.batch.pk])),
        {ADM: 200, OFF: 200, ORG: 403, STF: 200, MEM: 403, DIS: 403, ANO: 401},
    ),
    "remittance-lines GET": (
        Call("GET", lambda w: reverse("api:remittance-lines", args=[w.batch.pk])),
        {ADM: 200, OFF: 200, ORG: 403, STF: 200, MEM: 403, DIS: 403, ANO: 401},
    ),
    "remittance-post": (
        Call("POST", lambda w: reverse("api:remittance-post", args=[w.batch.pk])),
        {ADM: 202, OFF: 202, ORG: 403, STF: 403, MEM: 403, DIS: 403, ANO: 401},
    ),
    "referral-books GET": (
        Call("GET", lambda w: reverse("api:referral-books")),
        {ADM: 200, OFF: 200, ORG: 403, STF: 200, MEM: 403, DIS: 200, ANO: 401},
    ),
    "referral-book GET": (
        Call("GET", lambda w: reverse("api:referral-book", args=[w.registration.book_id])),
        {ADM: 200, OFF: 200, ORG: 403, STF: 200, MEM: 403, DIS: 200, ANO: 401},
    ),
    "referral-registrations GET": (
        Call("GET", lambda w: reverse("api:referral-registrations")),
        {ADM: 200, OFF: 200, ORG: 403, STF: 200, MEM: 403, DIS: 200, ANO: 401},
    ),
    "referral-registrations POST": (
        Call(
            "POST",
            lambda w: reverse("api:referral-registrations"),
            lambda w: {"member": w.own.pk, "book": "WIRE-N"},
        ),
        # A member's own registrations come with their pages, not here (yet).
        {ADM: 201, OFF: 201, ORG: 403, STF: 201, MEM: 403, DIS: 201, ANO: 401},
    ),
    "referral-registration GET": (
        Call("GET", lambda w: reverse("api:referral-registration", args=[w.registration.pk])),
        {ADM: 200, OFF: 200, ORG: 403, STF: 200, MEM: 403, DIS: 200, ANO: 401},
    ),
    "referral-registration-resign POST": (
        Call(
            "POST",
            lambda w: reverse("api:referral-registration-resign", args=[w.registration.pk]),
        ),
        {ADM: 200, OFF: 200, ORG: 403, STF: 200, MEM: 403, DIS: 200, ANO: 401},
    ),
    "referral-registration-exempt POST": (
        Call(
            "POST",
            lambda w: reverse("api:referral-registration-exempt", args=[w.registration.pk]),
            lambda w: {"kind": "medical", "starts_on": str(timezone.localdate())},
        ),
        {ADM: 201, OFF: 201, ORG: 403, STF: 403, MEM: 403, DIS: 201, ANO: 401},
    ),
    "referral-requests GET": (
        Call("GET", lambda w: reverse("api:referral-requests")),
        {ADM: 200, OFF: 200, ORG: 403, STF: 200, MEM: 403, DIS: 200, ANO: 401},
    ),
    "referral-requests POST": (
        Call("POST", lambda w: reverse("api:referral-requests"), lambda w: _request_body(w)),
        {ADM: 201, OFF: 201, ORG: 403, STF: 403, MEM: 403, DIS: 201, ANO: 401},
    ),
    "referral-request GET": (
        Call("GET", lambda w: reverse("api:referral-request", args=[w.labor_request.pk])),
        {ADM: 200, OFF: 200, ORG: 403, STF: 200, MEM: 403, DIS: 200, ANO: 401},
    ),
    "referral-request-cancel POST": (
        Call(
            "POST",
            lambda w: reverse("api:referral-request-cancel", args=[w.labor_request.pk]),
            lambda w: {"reason": "Job postponed"},
        ),
        {ADM: 200, OFF: 200, ORG: 403, STF: 403, MEM: 403, DIS: 200, ANO: 401},
    ),
    "referral-dispatches GET": (
        Call("GET", lambda w: reverse("api:referral-dispatches")),
        {ADM: 200, OFF: 200, ORG: 403, STF: 200, MEM: 403, DIS: 200, ANO: 401},
    ),
    "referral-dispatches POST": (
        Call(
            "POST",
            lambda w: reverse("api:referral-dispatches"),
            lambda w: {
                "labor_request": w.labor_request.pk,
                "registration": w.registration.pk,
                "method": "in_person",
            },
        ),
        {ADM: 201, OFF: 201, ORG: 403, STF: 403, MEM: 403, DIS: 201, ANO: 401},
    ),
    "referral-dispatch GET": (
        Call("GET", lambda w: reverse("api:referral-dispatch", args=[w.dispatch.pk])),
        {ADM: 200, OFF: 200, ORG: 403, STF: 200, MEM: 403, DIS: 200, ANO: 401},
    ),
    "referral-dispatch-check-in POST": (
        Call("POST", lambda w: reverse("api:referral-dispatch-check-in", args=[w.dispatch.pk])),
        {ADM: 200, OFF: 200, ORG: 403, STF: 403, MEM: 403, DIS: 200, ANO: 401},
    ),
    # Let through, the service refuses (400): work starts after a check-in, and a no-show
    # is recorded after the report time. A 400 is past the permission.
    "referral-dispatch-start-work POST": (
        Call(
            "POST",
            lambda w: reverse("api:referral-dispatch-start-work", args=[w.dispatch.pk]),
            lambda w: {"on": str(timezone.localdate())},
        ),
        {ADM: 400, OFF: 400, ORG: 403, STF: 403, MEM: 403, DIS: 400, ANO: 401},
    ),
    "referral-dispatch-no-show POST": (
        Call("POST", lambda w: reverse("api:referral-dispatch-no-show", args=[w.dispatch.pk])),
        {ADM: 400, OFF: 400, ORG: 403, STF: 403, MEM: 403, DIS: 400, ANO: 401},
    ),
    "referral-dispatch-terminate POST": (
        Call(
            "POST",
            lambda w: reverse("api:referral-dispatch-terminate", args=[w.dispatch.pk]),
            lambda w: {"reason": "laid_off", "on": str(timezone.localdate())},
        ),
        {ADM: 200, OFF: 200, ORG: 403, STF: 403, MEM: 403, DIS: 200, ANO: 401},
    ),
    # A member reads their own bids (none here) and another's is not there; the office roles
    # that see referral read every bid.
    "referral-bids GET": (
        Call("GET", lambda w: reverse("api:referral-bids")),
        {ADM: 200, OFF: 200, ORG: 403, STF: 200, MEM: 200, DIS: 200, ANO: 401},
    ),
    # Let through, the service refuses (400) at any hour: the member named is on no list.
    # A member bids for themself; the hall (add_bid) for anyone; the rest never.
    "referral-bids POST": (
        Call(
            "POST",
            lambda w: reverse("api:referral-bids"),
            lambda w: {"labor_request": w.labor_request.pk, "member": w.own.pk},
        ),
        {ADM: 400, OFF: 400, ORG: 403, STF: 403, MEM: 400, DIS: 400, ANO: 401},
    ),
    "referral-bid GET": (
        Call("GET", lambda w: reverse("api:referral-bid", args=[w.bid.pk])),
        {ADM: 200, OFF: 200, ORG: 403, STF: 200, MEM: 404, DIS: 200, ANO: 401},
    ),
    # Let through, the service refuses (400): only a selected bid is refused.
    "referral-bid-refuse POST": (
        Call("POST", lambda w: reverse("api:referral-bid-refuse", args=[w.bid.pk])),
        {ADM: 400, OFF: 400, ORG: 403, STF: 403, MEM: 403, DIS: 400, ANO: 401},
    ),
    "api-schema": (
        Call("GET", lambda w: reverse("api-schema")),
        dict.fromkeys([ADM, OFF, ORG, STF, MEM, DIS], 200) | {ANO: 401},
    ),
    "api-docs": (  # a page for people: to the login page, not a bare 401
        Call("GET", lambda w: reverse("api-docs")),
        dict.fromkeys([ADM, OFF, ORG, STF, MEM, DIS], 200) | {ANO: 302},
    ),
}


def test_every_api_endpoint_has_its_rules_in_the_table():
    named = {p.name for p in api_urls.urlpatterns if isinstance(p, URLPattern)}
    covered = {key.split(" ")[0] for key in MATRIX}
    assert named | {"api-schema", "api-docs"} == covered
    api_paths = [p for p in get_resolver().url_patterns if str(p.pattern).startswith("api/")]
    assert {str(p.pattern) for p in api_paths} == {"api/v1/", "api/schema/", "api/docs/"}


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("endpoint", list(MATRIX))
def test_permission_matrix(world, endpoint, who):
    call, expected = MATRIX[endpoint]
    client = APIClient()
    if call.raw is not None:
        response = call.raw(client, who, world)
    else:
        if who != ANON:
            client.force_authenticate(world.users[who])
        response = getattr(client, call.method.lower())(
            call.url(world), call.body(world), format="json"
        )
    assert response.status_code == expected[who], (endpoint, who, getattr(response, "data", None))


@pytest.mark.parametrize("name", ["api:member", "api:member-dues"])
def test_a_member_cannot_tell_another_members_record_from_a_missing_one(world, name):
    client = APIClient()
    client.force_authenticate(world.users[MEM])
    someone_else = client.get(reverse(name, args=[world.member.pk]))
    nobody = client.get(reverse(name, args=[world.member.pk + 1000]))
    assert someone_else.status_code == nobody.status_code == 404
    assert someone_else.data == nobody.data
