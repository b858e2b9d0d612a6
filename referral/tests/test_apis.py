"""/api/v1/referral/books/ and /api/v1/referral/registrations/: the office reads the books
and their registrants, registers members (201, or 202 while the books are held), takes
re-signs and approves exemptions; every refusal is a 400 naming its field, never a 500."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts import roles
from apikit.tests.client import api_client, queries_for_get
from members.models import MemberStatus
from members.tests.factories import ClassificationFactory, MemberFactory, UserFactory
from referral.models import (
    Book,
    EventKind,
    ExemptionKind,
    QueuedRegistration,
    Registration,
)
from referral.services import (
    exemption_start,
    registration_register,
    registrations_drop_missed,
    registrations_hold,
    registrations_hold_release,
)

from .factories import BookFactory

pytestmark = pytest.mark.django_db

BOOKS = reverse("api:referral-books")
REGISTRATIONS = reverse("api:referral-registrations")
OFFICE = [roles.ADMIN, roles.OFFICER, roles.DISPATCHER, roles.STAFF]
REFUSED = [roles.ORGANIZER, roles.MEMBER]


def _book(pk: int) -> str:
    return reverse("api:referral-book", args=[pk])


def _registration(pk: int, action: str = "") -> str:
    name = f"api:referral-registration-{action}" if action else "api:referral-registration"
    return reverse(name, args=[pk])


def _exempt_body(**changes) -> dict:
    today = timezone.localdate()
    ends = today + datetime.timedelta(days=11)
    return {"kind": "jury_duty", "starts_on": str(today), "ends_on": str(ends), **changes}


@pytest.fixture
def staff():
    return api_client(UserFactory(username="hall-staff", role=roles.STAFF))


@pytest.fixture
def dispatcher():
    return api_client(UserFactory(username="hall-dispatcher", role=roles.DISPATCHER))


@pytest.fixture
def on_the_book(book, wireman, clock):
    """Two registrants on WIRE-N, made on Monday, December 7, 2026."""
    clock.set(2026, 12, 7, 9, 0)
    return [
        registration_register(
            member=MemberFactory(member_number=f"50{n}", classification=wireman),
            book=book,
            actor="tests",
        )
        for n in (1, 2)
    ]


# --- Books --------------------------------------------------------------------------------


def test_books_are_listed_in_referral_order_with_their_counts(book, wireman, on_the_book, staff):
    south = BookFactory(code="WIRE-S", classification=wireman, referral_order=2, tiers=4)
    book.referral_order = 1
    book.save()
    exemption_start(
        registration=on_the_book[0],
        kind=ExemptionKind.MEDICAL,
        starts_on=datetime.date(2026, 12, 7),
        actor="tests",
    )

    listed = staff.get(BOOKS).json()
    assert listed["count"] == 2
    assert [(b["code"], b["registered"], b["exempt"]) for b in listed["results"]] == [
        ("WIRE-N", 1, 1),
        ("WIRE-S", 0, 0),
    ]
    one = staff.get(_book(south.pk)).json()
    assert {k: one[k] for k in ("classification", "region", "tiers", "referral_time")} == {
        "classification": "JW",
        "region": "NORTH",
        "tiers": 4,
        "referral_time": "08:30",
    }
    assert set(one) >= {
        "name",
        "agreement_type",
        "work_level",
        "supplemental",
        "referral_order",
        "active",
        "contract_code",
    }
    assert staff.get(_book(south.pk + 100)).status_code == 404
    assert staff.get(BOOKS, {"code": "WIRE-N"}).status_code == 400  # no such filter


@pytest.mark.parametrize("role", [*OFFICE, *REFUSED])
def test_books_and_registrations_are_read_by_the_office_roles_that_see_referral(role, on_the_book):
    client = api_client(UserFactory(role=role))
    expected = 200 if role in OFFICE else 403
    for url in (
        BOOKS,
        _book(on_the_book[0].book_id),
        REGISTRATIONS,
        _registration(on_the_book[0].pk),
    ):
        assert client.get(url).status_code == expected, url


def test_nobody_anonymous_reads_the_books(on_the_book):
    for url in (BOOKS, REGISTRATIONS, _registration(on_the_book[0].pk)):
        assert api_client().get(url).status_code == 401


# --- Reading registrations ----------------------------------------------------------------


def test_registrations_are_filtered_by_book_member_and_status(book, wireman, on_the_book, staff):
    first, second = on_the_book
    south = BookFactory(code="WIRE-S", classification=wireman)
    elsewhere = registration_register(member=first.member, book=south, actor="tests")
    exemption_start(
        registration=second,
        kind=ExemptionKind.MEDICAL,
        starts_on=datetime.date(2026, 12, 7),
        actor="tests",
    )

    def ids(**params) -> list[int]:
        answer = staff.get(REGISTRATIONS, params)
        assert answer.status_code == 200, answer.json()
        return [r["id"] for r in answer.json()["results"]]

    assert ids(book="WIRE-N") == [first.pk, second.pk]
    assert ids(book="WIRE-S") == [elsewhere.pk]
    assert ids(book="NOPE") == []
    assert ids(member=first.member_id) == [first.pk, elsewhere.pk]
    assert ids(member_number="502") == [second.pk]
    assert ids(status="exempt") == [second.pk]
    assert ids(book="WIRE-N", status="registered", member_number="501") == [first.pk]

    assert staff.get(REGISTRATIONS, {"status": "lost"}).json() == {
        "status": "One of: registered, exempt, dispatched, rolled_off."
    }
    assert staff.get(REGISTRATIONS, {"member": "501x"}).json() == {
        "member": "A whole number (an id)."
    }
    assert "Unknown query parameter" in str(staff.get(REGISTRATIONS, {"tier": 1}).json())


def test_a_registration_is_read_with_its_position_and_resign_due(on_the_book, staff):
    second = on_the_book[1]
    read = staff.get(_registration(second.pk)).json()
    assert {
        k: read[k]
        for k in ("member_number", "book", "tier", "status", "position", "resign_due", "exemption")
    } == {
        "member_number": "502",
        "book": "WIRE-N",
        "tier": 1,
        "status": "registered",
        "position": 2,
        "resign_due": "2027-01-06",  # 30 days on, a Wednesday
        "exemption": None,
    }
    assert read["apn"] == str(second.apn) and read["rules_version"] == 1
    assert staff.get(_registration(second.pk + 100)).status_code == 404


def test_list_queries_do_not_grow_with_rows(book, wireman, on_the_book, staff):
    few = (queries_for_get(staff, BOOKS), queries_for_get(staff, REGISTRATIONS))
    for n in range(8):
        BookFactory(code=f"MORE-{n}", classification=wireman)
        registration_register(member=MemberFactory(), book=book, actor="tests")
    assert (queries_for_get(staff, BOOKS), queries_for_get(staff, REGISTRATIONS)) == few
    assert len(staff.get(REGISTRATIONS).json()["results"]) == 10


# --- Registering --------------------------------------------------------------------------


def test_registering_answers_201_with_the_registration_and_its_place(book, wireman, clock):
    clock.set(2026, 12, 7, 9, 0)
    user = UserFactory(username="hall-staff", role=roles.STAFF)
    member = MemberFactory(classification=ClassificationFactory(code="AP"))

    answer = api_client(user).post(
        REGISTRATIONS, {"member": member.pk, "book": "WIRE-N"}, format="json"
    )
    assert answer.status_code == 201, answer.json()
    made = answer.json()
    registration = Registration.objects.get()
    assert (made["id"], made["member"], made["book"], made["tier"], made["position"]) == (
        registration.pk,
        member.pk,
        "WIRE-N",
        2,  # not the book's classification: its last tier
        1,
    )
    assert made["status"] == "registered" and made["resign_due"] == "2027-01-06"
    event = registration.events.get()
    assert (event.kind, event.recorded_by) == (EventKind.REGISTERED, user)

    chosen = api_client(user).post(
        REGISTRATIONS,
        {
            "member": MemberFactory(classification=wireman).pk,
            "book": "WIRE-N",
            "tier": 2,
            "tier_reason": "No recent work in the area",
        },
        format="json",
    )
    assert chosen.status_code == 201
    assert (chosen.json()["tier"], chosen.json()["tier_reason"]) == (
        2,
        "No recent work in the area",
    )


def test_registering_while_the_books_are_held_answers_202_with_the_queued_registration(
    book, clock, staff
):
    clock.set(2026, 12, 7, 8, 30)
    registrations_hold(reason="Morning referral of WIRE-N", actor="tests")
    member = MemberFactory()

    answer = staff.post(REGISTRATIONS, {"member": member.pk, "book": "WIRE-N"}, format="json")
    assert answer.status_code == 202, answer.json()
    queued = answer.json()
    assert (queued["member"], queued["book"], queued["registration"], queued["refused"]) == (
        member.pk,
        "WIRE-N",
        None,
        "",
    )
    assert queued["asked_by_name"] == "hall-staff"
    assert not Registration.objects.exists()

    clock.advance(minutes=10)
    registrations_hold_release(actor="tests")
    assert QueuedRegistration.objects.get(pk=queued["id"]).registration.member == member


def _refusal(client, body: dict) -> dict:
    before = (Registration.objects.count(), QueuedRegistration.objects.count())
    answer = client.post(REGISTRATIONS, body, format="json")
    assert answer.status_code == 400, answer.json()
    assert (Registration.objects.count(), QueuedRegistration.objects.count()) == before
    return answer.json()


def test_every_refusal_to_register_is_a_400_naming_its_field(book, wireman, on_the_book, staff):
    registered = on_the_book[0].member
    suspended = MemberFactory(status=MemberStatus.SUSPENDED, first_name="Sue", last_name="Pend")
    ours = MemberFactory(classification=wireman).pk

    assert _refusal(staff, {"member": registered.pk, "book": "WIRE-N"}) == {
        "book": [f"{registered} is already registered on book WIRE-N."]
    }
    assert _refusal(staff, {"member": suspended.pk, "book": "WIRE-N"}) == {
        "member": [
            f"Sue Pend ({suspended.member_number}) is suspended: the referral rules (v1) "
            "register only members in good standing."
        ]
    }
    assert _refusal(staff, {"member": ours, "book": "NOPE"}) == {
        "book": ["No book has the code NOPE."]
    }
    assert _refusal(staff, {"member": 999999, "book": "WIRE-N"}) == {
        "member": ['Invalid pk "999999" - object does not exist.']
    }
    assert _refusal(staff, {"member": ours, "book": "WIRE-N", "tier": 3, "tier_reason": "x"}) == {
        "tier": ["Book WIRE-N has tiers 1 to 2."]
    }
    assert _refusal(staff, {"member": ours, "book": "WIRE-N", "tier": 0}) == {
        "tier": ["Book WIRE-N has tiers 1 to 2."]
    }
    assert _refusal(staff, {"member": ours, "book": "WIRE-N", "tier": 2}) == {
        "tier_reason": ["Say why this member goes on tier 2, not tier 1."]
    }
    assert set(_refusal(staff, {"book": "WIRE-N", "tier": "two"})) == {"member", "tier"}
    Book.objects.filter(pk=book.pk).update(active=False)
    assert _refusal(staff, {"member": ours, "book": "WIRE-N"}) == {
        "book": ["Book WIRE-N is closed."]
    }


def test_registering_with_no_rules_in_force_is_a_400_that_says_so(wireman, staff):
    BookFactory(code="WIRE-N", classification=wireman)
    assert _refusal(staff, {"member": MemberFactory().pk, "book": "WIRE-N"}) == {
        "detail": ["No referral rules are in force: activate a rule set first."]
    }


def test_an_idempotency_key_makes_a_retried_registration_safe(book, clock, staff):
    clock.set(2026, 12, 7, 9, 0)
    member, other = MemberFactory(), MemberFactory()
    body = {"member": member.pk, "book": "WIRE-N"}

    def post(key: str, data: dict = body):
        return staff.post(REGISTRATIONS, data, format="json", HTTP_IDEMPOTENCY_KEY=key)

    first, retry = post("reg-1"), post("reg-1")
    assert (first.status_code, retry.status_code) == (201, 201)
    assert first.json()["id"] == retry.json()["id"] == Registration.objects.get().pk
    # Without the key, the same request is the refusal it is.
    assert staff.post(REGISTRATIONS, body, format="json").status_code == 400
    clash = post("reg-1", {"member": other.pk, "book": "WIRE-N"})
    assert clash.status_code == 409 and "member_id" in clash.json()["detail"]
    assert post("k" * 101).json() == {
        "idempotency_key": ["An idempotency key is at most 100 printable characters."]
    }

    registrations_hold(reason="Morning referral", actor="tests")
    held = post("reg-2", {"member": other.pk, "book": "WIRE-N"})
    held_again = post("reg-2", {"member": other.pk, "book": "WIRE-N"})
    assert (held.status_code, held_again.status_code) == (202, 202)
    assert held.json()["id"] == held_again.json()["id"] == QueuedRegistration.objects.get().pk
    registrations_hold_release(actor="tests")
    drawn = post("reg-2", {"member": other.pk, "book": "WIRE-N"})
    assert drawn.status_code == 201 and drawn.json()["member"] == other.pk
    assert Registration.objects.count() == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_request_and_its_retry_racing_with_one_key_make_one_registration(book, race):
    member = MemberFactory()
    results, errors = race(
        lambda: registration_register(
            member=member, book=book, actor="tests", idempotency_key="same-key"
        ),
        times=4,
    )
    assert errors == []
    assert len({r.pk for r in results}) == 1
    assert Registration.objects.filter(member=member).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("held", [False, True], ids=["drawn", "queued"])
def test_one_key_sent_at_once_for_two_members_writes_once_and_answers_409(book, race, held):
    if held:
        registrations_hold(reason="Morning referral", actor="tests")
    user = UserFactory(username="hall-staff", role=roles.STAFF)
    members = iter([MemberFactory(), MemberFactory()])

    def post():
        body = {"member": next(members).pk, "book": "WIRE-N"}
        answer = api_client(user).post(
            REGISTRATIONS, body, format="json", HTTP_IDEMPOTENCY_KEY="till-3-0007"
        )
        return answer.status_code, answer.json()

    results, errors = race(post, times=2)
    assert errors == []
    assert sorted(status for status, _ in results) == [202 if held else 201, 409]
    [refusal] = [answer for status, answer in results if status == 409]
    assert refusal["detail"] == (
        "This idempotency key was already used with other values (member_id); nothing was "
        "written. Use a new key for a new registration."
    )
    made = QueuedRegistration if held else Registration
    assert made.objects.count() == 1
    assert Registration.objects.count() + QueuedRegistration.objects.count() == 1


# --- Re-sign and exempt -------------------------------------------------------------------


def test_a_resign_runs_the_registration_another_interval_from_today(on_the_book, clock, staff):
    first = on_the_book[0]
    clock.set(2026, 12, 21, 10, 0)  # a Monday; 30 days on is Wednesday, January 20
    answer = staff.post(_registration(first.pk, "resign"))
    assert answer.status_code == 200, answer.json()
    assert (answer.json()["resign_due"], answer.json()["position"]) == ("2027-01-20", 1)
    assert first.events.last().kind == EventKind.RESIGNED


def test_a_dropped_registration_is_not_resigned_and_the_answer_says_so(on_the_book, clock, staff):
    first = on_the_book[0]
    clock.set(2027, 1, 7, 0, 1)  # the day after its re-sign day
    registrations_drop_missed(actor="tests")
    answer = staff.post(_registration(first.pk, "resign"))
    assert answer.status_code == 400
    assert answer.json() == {
        "detail": [
            "This registration on WIRE-N was dropped (Did not re-sign): register again to go "
            "back on the book."
        ]
    }
    assert staff.post(_registration(first.pk + 100, "resign")).status_code == 404


def test_an_exemption_keeps_the_registrants_place_and_is_read_with_the_registration(
    on_the_book, dispatcher
):
    first = on_the_book[0]
    answer = dispatcher.post(
        _registration(first.pk, "exempt"), _exempt_body(note="Summoned"), format="json"
    )
    assert answer.status_code == 201, answer.json()
    made = answer.json()
    assert (made["registration"], made["kind"], made["ends_on"], made["note"]) == (
        first.pk,
        "jury_duty",
        "2026-12-18",
        "Summoned",
    )
    assert made["approved_by_name"] == "hall-dispatcher"
    read = dispatcher.get(_registration(first.pk)).json()
    assert (read["status"], read["position"], read["exemption"]["id"]) == ("exempt", 1, made["id"])


def test_every_refusal_to_exempt_is_a_400_naming_its_field(on_the_book, dispatcher):
    first = on_the_book[0]
    url = _registration(first.pk, "exempt")

    def refused(body: dict) -> dict:
        answer = dispatcher.post(url, body, format="json")
        assert answer.status_code == 400, answer.json()
        return answer.json()

    assert refused(_exempt_body(kind="vacation")) == {"kind": ['"vacation" is not a valid choice.']}
    assert refused(_exempt_body(ends_on="2026-12-01")) == {
        "ends_on": ["An exemption cannot end before it starts."]
    }
    assert refused(_exempt_body(starts_on="9999-12-31", kind="traveling")) == {
        "starts_on": ["An exemption starts within a year from today."]
    }
    assert set(refused({})) == {"kind", "starts_on"}
    assert dispatcher.post(url, _exempt_body(), format="json").status_code == 201
    assert refused(_exempt_body()) == {
        "detail": ["Only a registrant on the book can be exempted (this one is exempt)."]
    }
    assert dispatcher.post(_registration(first.pk + 100, "exempt")).status_code == 404


@pytest.mark.parametrize(
    ("role", "register", "resign", "exempt"),
    [
        (roles.STAFF, 201, 200, 403),
        (roles.DISPATCHER, 201, 200, 201),
        (roles.OFFICER, 201, 200, 201),
        (roles.ADMIN, 201, 200, 201),
        (roles.ORGANIZER, 403, 403, 403),
        (roles.MEMBER, 403, 403, 403),
    ],
)
def test_who_may_register_resign_and_exempt(on_the_book, role, register, resign, exempt):
    first = on_the_book[0]
    # A Member is refused even their own registrations here (theirs come with their pages).
    user = UserFactory(role=role)
    if role == roles.MEMBER:
        first.member.user = user
        first.member.save()
    client = api_client(user)
    body = {"member": MemberFactory().pk, "book": "WIRE-N"}
    assert client.post(REGISTRATIONS, body, format="json").status_code == register
    assert client.post(_registration(first.pk, "resign")).status_code == resign
    assert client.post(_registration(first.pk, "exempt"), _exempt_body()).status_code == exempt
    assert api_client().post(REGISTRATIONS, body, format="json").status_code == 401
