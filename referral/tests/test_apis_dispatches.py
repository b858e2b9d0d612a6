"""/api/v1/referral/dispatches/: the office reads the dispatches (the day book's filters, the
local's day), a dispatcher dispatches through dispatch_make (201, a 400 naming its field, a
409 for a key used again with other values) and records check-in, work, the end and a
no-show through their services."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from accounts import roles
from apikit.tests.client import api_client, queries_for_get
from checkoff.tests.factories import EmployerFactory
from members.models import Member
from members.tests.factories import MemberFactory, UserFactory
from referral.models import (
    Blackout,
    Dispatch,
    DispatchStatus,
    LaborRequestStatus,
    Registration,
    RegistrationStatus,
    RollOffReason,
)
from referral.services import registration_register

from .factories import BookFactory

pytestmark = pytest.mark.django_db

DISPATCHES = reverse("api:referral-dispatches")
WEDNESDAY = datetime.date(2026, 12, 9)


def _dispatch(pk: int, action: str = "") -> str:
    name = f"api:referral-dispatch-{action}" if action else "api:referral-dispatch"
    return reverse(name, args=[pk])


@pytest.fixture
def staff():
    return api_client(UserFactory(username="hall-staff", role=roles.STAFF))


@pytest.fixture
def dispatcher():
    return api_client(UserFactory(username="hall-dispatcher", role=roles.DISPATCHER))


def numbered(number: str, book) -> Member:
    return MemberFactory(classification=book.classification, member_number=number)


def _body(labor_request, registration, **changes) -> dict:
    return {
        "labor_request": labor_request.pk,
        "registration": registration.pk,
        "method": "in_person",
        **changes,
    }


def _refused(client, url: str, body: dict | None = None) -> dict:
    answer = client.post(url, body, format="json")
    assert answer.status_code == 400, answer.json()
    return answer.json()


# --- Dispatching --------------------------------------------------------------------------


def test_a_dispatch_answers_201_with_the_dispatch(registered, requested, dispatcher, book):
    registration = registered(member=numbered("601", book))
    labor_request = requested()

    answer = dispatcher.post(
        DISPATCHES, _body(labor_request, registration, note="Bring a harness"), format="json"
    )
    assert answer.status_code == 201, answer.json()
    made = answer.json()
    dispatch = Dispatch.objects.get()
    assert made["id"] == dispatch.pk
    assert {
        k: made[k]
        for k in (
            "labor_request",
            "registration",
            "member_number",
            "employer",
            "book",
            "method",
            "status",
            "open",
            "note",
            "report_by",
            "dispatched_by_name",
            "rules_version",
            "termination_reason",
        )
    } == {
        "labor_request": labor_request.pk,
        "registration": registration.pk,
        "member_number": "601",
        "employer": "ACME",
        "book": "WIRE-N",
        "method": "in_person",
        "status": "dispatched",
        "open": True,
        "note": "Bring a harness",
        "report_by": "2026-12-09T07:00:00-08:00",
        "dispatched_by_name": "hall-dispatcher",
        "rules_version": 1,
        "termination_reason": "",
    }
    assert dispatcher.get(_dispatch(dispatch.pk)).json() == made
    registration.refresh_from_db()
    labor_request.refresh_from_db()
    assert registration.status == RegistrationStatus.DISPATCHED
    assert labor_request.status == LaborRequestStatus.FILLED
    assert dispatcher.get(_dispatch(dispatch.pk + 100)).status_code == 404


def test_a_member_already_dispatched_is_refused_with_the_field(registered, requested, dispatcher):
    registration = registered()
    first, second = requested(), requested()
    made = dispatcher.post(DISPATCHES, _body(first, registration), format="json")
    assert made.status_code == 201

    refusal = _refused(dispatcher, DISPATCHES, _body(second, registration))
    assert list(refusal) == ["registration"]
    assert refusal["registration"][0].startswith(
        f"This member is already dispatched to ACME: {second.employer.name} "
        f"(dispatch #{made.json()['id']}, "
    )
    assert Dispatch.objects.count() == 1


def test_a_filled_request_takes_no_one_more(registered, requested, dispatcher):
    first, second = registered(), registered()
    labor_request = requested(positions=1)
    assert dispatcher.post(DISPATCHES, _body(labor_request, first)).status_code == 201

    assert _refused(dispatcher, DISPATCHES, _body(labor_request, second)) == {
        "labor_request": [f"Request #{labor_request.pk} is filled: it takes no one."]
    }
    assert Dispatch.objects.count() == 1
    second.refresh_from_db()
    assert second.status == RegistrationStatus.REGISTERED


def test_every_bad_body_is_a_400_naming_its_field(registered, requested, book, dispatcher):
    registration = registered()
    labor_request = requested()
    elsewhere = registered(on=BookFactory(code="WIRE-S", classification=book.classification))

    assert _refused(dispatcher, DISPATCHES, _body(labor_request, registration, method="fax")) == {
        "method": ['"fax" is not a valid choice.']
    }
    assert _refused(dispatcher, DISPATCHES, _body(labor_request, elsewhere)) == {
        "registration": [
            f"This registration is on another book than request #{labor_request.pk}'s."
        ]
    }
    assert _refused(
        dispatcher, DISPATCHES, _body(labor_request, registration, method="by_name")
    ) == {"method": ["A by-name request is dispatched by name, and only it."]}
    assert _refused(
        dispatcher, DISPATCHES, _body(labor_request, registration) | {"labor_request": 2**63}
    ) == {"labor_request": [f'Invalid pk "{2**63}" - object does not exist.']}
    assert set(_refused(dispatcher, DISPATCHES, {"labor_request": 999999})) == {
        "labor_request",
        "registration",
        "method",
    }
    assert not Dispatch.objects.exists()


def test_an_idempotency_key_makes_a_retried_dispatch_safe(registered, requested, dispatcher):
    registration, other = registered(), registered()
    labor_request = requested(positions=2)

    def post(key: str, body: dict):
        return dispatcher.post(DISPATCHES, body, format="json", HTTP_IDEMPOTENCY_KEY=key)

    first = post("desk-1", _body(labor_request, registration))
    retry = post("desk-1", _body(labor_request, registration))
    assert (first.status_code, retry.status_code) == (201, 201)
    assert first.json()["id"] == retry.json()["id"] == Dispatch.objects.get().pk

    clash = post("desk-1", _body(labor_request, other))
    assert clash.status_code == 409
    assert "already used for another dispatch" in clash.json()["detail"]
    assert Dispatch.objects.count() == 1
    labor_request.refresh_from_db()
    assert labor_request.filled == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("key", ["desk-7", None], ids=["one-key", "no-key"])
def test_two_dispatches_at_once_to_the_last_position_make_one(registered, requested, race, key):
    labor_request = requested(positions=1)
    bodies = iter([_body(labor_request, registered()), _body(labor_request, registered())])
    user = UserFactory(username="hall-dispatcher", role=roles.DISPATCHER)
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}

    def post():
        answer = api_client(user).post(DISPATCHES, next(bodies), format="json", **headers)
        return answer.status_code, answer.json()

    results, errors = race(post, times=2)
    assert errors == []
    # With one key, the second is the key used again with other values; without, the
    # request is filled by the time it takes its turn at the request's row.
    assert sorted(status for status, _ in results) == [201, 409 if key else 400]
    assert Dispatch.objects.count() == 1
    labor_request.refresh_from_db()
    assert (labor_request.filled, labor_request.status) == (1, LaborRequestStatus.FILLED)


# --- A dispatch's course ------------------------------------------------------------------


@pytest.fixture
def dispatched(registered, requested, dispatcher, book):
    """A member dispatched on Tuesday, December 8 at 09:00 to report Wednesday at 07:00."""
    registration = registered(member=numbered("601", book))
    labor_request = requested()
    made = dispatcher.post(DISPATCHES, _body(labor_request, registration), format="json")
    return Dispatch.objects.get(pk=made.json()["id"])


def test_check_in_start_work_and_a_layoff_are_recorded(dispatched, clock, dispatcher):
    clock.set(2026, 12, 9, 6, 45)
    future = {"at": "2026-12-09T07:00:00-08:00"}
    assert _refused(dispatcher, _dispatch(dispatched.pk, "start-work"), {"on": "2026-12-09"}) == {
        "detail": ["This dispatch is dispatched: the member checks in before work starts."]
    }
    assert _refused(dispatcher, _dispatch(dispatched.pk, "check-in"), future) == {
        "at": ["A check-in is recorded once it has happened."]
    }
    checked_in = dispatcher.post(_dispatch(dispatched.pk, "check-in"))
    assert checked_in.status_code == 200, checked_in.json()
    assert checked_in.json()["status"] == "checked_in"
    assert checked_in.json()["checked_in_at"] == "2026-12-09T06:45:00-08:00"

    assert _refused(dispatcher, _dispatch(dispatched.pk, "start-work"), {"on": "2026-12-10"}) == {
        "on": ["Work starts between the check-in and today."]
    }
    working = dispatcher.post(_dispatch(dispatched.pk, "start-work"), {"on": "2026-12-09"})
    assert working.status_code == 200, working.json()
    assert (working.json()["status"], working.json()["working_since"]) == ("working", "2026-12-09")

    clock.set(2026, 12, 11, 16, 0)
    ended = dispatcher.post(
        _dispatch(dispatched.pk, "terminate"), {"reason": "laid_off", "on": "2026-12-11"}
    )
    assert ended.status_code == 200, ended.json()
    assert {k: ended.json()[k] for k in ("status", "open", "terminated_on")} == {
        "status": "terminated",
        "open": False,
        "terminated_on": "2026-12-11",
    }
    assert ended.json()["termination_reason"] == "laid_off"


def test_an_end_before_the_dispatch_is_a_400_on_its_date(dispatched, clock, dispatcher):
    clock.set(2026, 12, 9, 12, 0)
    url = _dispatch(dispatched.pk, "terminate")
    assert _refused(dispatcher, url, {"reason": "laid_off", "on": "2026-12-07"}) == {
        "on": ["The dispatch was made on Dec 08, 2026: it cannot end before."]
    }
    assert _refused(dispatcher, url, {"reason": "bored", "on": "2026-12-09"}) == {
        "reason": ['"bored" is not a valid choice.']
    }
    assert _refused(dispatcher, url, {"reason": "other", "on": "2026-12-09"}) == {
        "note": ["Say why the dispatch ended."]
    }
    assert set(_refused(dispatcher, url, {})) == {"reason", "on"}
    dispatched.refresh_from_db()
    assert dispatched.status == DispatchStatus.DISPATCHED
    assert dispatcher.post(_dispatch(dispatched.pk + 100, "terminate")).status_code == 404


def test_a_quit_takes_the_member_off_every_book_and_blacks_out_the_employer(
    registered, requested, book, clock, dispatcher
):
    registration = registered()
    south = BookFactory(code="WIRE-S", classification=book.classification)
    clock.set(2026, 12, 1, 9, 0)
    other = registration_register(member=registration.member, book=south, actor="tests")
    labor_request = requested()
    made = dispatcher.post(DISPATCHES, _body(labor_request, registration), format="json").json()
    clock.set(2026, 12, 9, 6, 30)
    dispatcher.post(_dispatch(made["id"], "check-in"))

    clock.set(2026, 12, 10, 12, 0)
    answer = dispatcher.post(
        _dispatch(made["id"], "terminate"),
        {"reason": "quit", "on": "2026-12-10", "note": "Walked off"},
    )
    assert answer.status_code == 200, answer.json()
    assert (answer.json()["termination_reason"], answer.json()["note"]) == ("quit", "Walked off")
    for each in (registration, other):
        each.refresh_from_db()
        assert each.status == RegistrationStatus.ROLLED_OFF
    assert registration.roll_off_reason == RollOffReason.QUIT
    assert set(
        Registration.objects.filter(member=registration.member).values_list("status", flat=True)
    ) == {RegistrationStatus.ROLLED_OFF}
    blackout = Blackout.objects.get(member=registration.member)
    assert (blackout.employer.code, blackout.starts_on) == ("ACME", datetime.date(2026, 12, 10))


def test_a_no_show_frees_the_position_once_the_report_time_is_past(dispatched, clock, dispatcher):
    clock.set(2026, 12, 9, 6, 59)
    url = _dispatch(dispatched.pk, "no-show")
    assert _refused(dispatcher, url) == {
        "detail": ["The member has until Dec 09, 2026 07:00 to report."]
    }
    clock.set(2026, 12, 9, 7, 30)
    answer = dispatcher.post(url)
    assert answer.status_code == 200, answer.json()
    assert (answer.json()["status"], answer.json()["open"]) == ("no_show", False)
    dispatched.registration.refresh_from_db()
    dispatched.labor_request.refresh_from_db()
    assert dispatched.registration.status == RegistrationStatus.REGISTERED
    assert dispatched.labor_request.status == LaborRequestStatus.OPEN


# --- Reading ------------------------------------------------------------------------------


def test_the_list_filters_by_the_local_day_and_the_rest(
    registered, requested, book, clock, dispatcher
):
    south = BookFactory(code="WIRE-S", classification=book.classification)
    north_one = registered(member=numbered("601", book))
    south_one = registered(on=south, member=numbered("602", south))
    evening = requested(named_member=north_one.member, attestation="Not solicited: foreman")
    morning = requested(
        employer=EmployerFactory(code="BOLT"), book=south, start_on=datetime.date(2026, 12, 10)
    )
    # 17:30 in Seattle on Tuesday is 01:30 UTC on Wednesday: still Tuesday's day book.
    clock.set(2026, 12, 8, 17, 30)
    late = dispatcher.post(DISPATCHES, _body(evening, north_one, method="by_name")).json()["id"]
    clock.set(2026, 12, 9, 9, 0)
    body = _body(morning, south_one)
    early = dispatcher.post(DISPATCHES, body).json()["id"]
    clock.set(2026, 12, 10, 8, 0)
    assert dispatcher.post(_dispatch(early, "no-show")).status_code == 200

    def ids(**params) -> list[int]:
        answer = dispatcher.get(DISPATCHES, params)
        assert answer.status_code == 200, answer.json()
        return [d["id"] for d in answer.json()["results"]]

    assert ids() == [early, late]  # newest first
    assert ids(day="2026-12-08") == [late]
    assert ids(day="2026-12-09") == [early]
    assert ids(day="2026-12-07") == []
    assert ids(employer="BOLT") == [early]
    assert ids(book="WIRE-N") == [late]
    assert ids(member_number="601") == [late]
    assert ids(member=north_one.member_id) == [late]
    assert ids(method="in_person") == [early]
    assert ids(method="by_name") == [late]
    assert ids(status="no_show") == [early]
    assert ids(open="true") == [late]
    assert ids(open="false") == [early]
    assert ids(day="2026-12-08", employer="ACME", open="true", status="dispatched") == [late]
    assert ids(employer="NOPE") == []

    assert ids(day="9999-12-31") == ids(day="0001-01-01") == []
    assert dispatcher.get(DISPATCHES, {"day": "Tuesday"}).json() == {"day": "A date as YYYY-MM-DD."}
    assert dispatcher.get(DISPATCHES, {"open": "maybe"}).json() == {"open": "One of: true, false."}
    assert "Unknown query parameter" in str(dispatcher.get(DISPATCHES, {"on": "x"}).json())


def test_list_queries_do_not_grow_with_rows(registered, requested, clock, staff, dispatcher):
    registrations = [registered() for _ in range(10)]
    labor_request = requested(positions=10)
    dispatcher.post(DISPATCHES, _body(labor_request, registrations[0]))
    one = queries_for_get(staff, DISPATCHES)
    for registration in registrations[1:]:
        assert dispatcher.post(DISPATCHES, _body(labor_request, registration)).status_code == 201
    assert queries_for_get(staff, DISPATCHES) == one
    assert len(staff.get(DISPATCHES).json()["results"]) == 10


# --- Who ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "read", "write"),
    [
        (roles.DISPATCHER, 200, 201),
        (roles.OFFICER, 200, 201),
        (roles.ADMIN, 200, 201),
        (roles.STAFF, 200, 403),
        (roles.ORGANIZER, 403, 403),
        (roles.MEMBER, 403, 403),
    ],
)
def test_who_may_read_dispatch_and_record_a_dispatchs_course(
    registered, requested, dispatched, role, read, write
):
    user = UserFactory(role=role)
    registration = registered()
    if role == roles.MEMBER:  # not even their own, here
        registration.member.user = user
        registration.member.save()
    client = api_client(user)
    assert client.get(DISPATCHES).status_code == read
    assert client.get(_dispatch(dispatched.pk)).status_code == read
    labor_request = requested()
    assert client.post(DISPATCHES, _body(labor_request, registration)).status_code == write
    # Permitted, the service refuses these for the dispatch's state (400), never a 403.
    refused_or_not = 400 if write == 201 else 403
    on = {"reason": "laid_off", "on": "2026-12-07"}
    assert client.post(_dispatch(dispatched.pk, "terminate"), on).status_code == refused_or_not
    for action in ("no-show", "start-work"):
        body = {"on": "2026-12-08"}
        assert client.post(_dispatch(dispatched.pk, action), body).status_code == refused_or_not
    checked_in = client.post(_dispatch(dispatched.pk, "check-in"))
    assert checked_in.status_code == (200 if write == 201 else 403)


def test_nobody_anonymous_reads_or_dispatches(dispatched):
    anonymous = api_client()
    assert anonymous.get(DISPATCHES).status_code == 401
    assert anonymous.get(_dispatch(dispatched.pk)).status_code == 401
    assert anonymous.post(DISPATCHES, {}).status_code == 401
    for action in ("check-in", "start-work", "terminate", "no-show"):
        assert anonymous.post(_dispatch(dispatched.pk, action)).status_code == 401
