"""Labor requests on the web: /api/v1/referral/requests/ (list with the board's filters,
POST through the service with 201, 400 by field, 403 by role, 409 for a key used again with
other values; cancel) and the admin (add through the service, a refusal a form error; cancel
after a confirmation page)."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from accounts import roles
from apikit.tests.client import api_client
from checkoff.tests.factories import EmployerFactory
from members.tests.factories import MemberFactory, UserFactory
from referral.models import Blackout, LaborRequest, LaborRequestStatus, Requirement
from referral.services import registration_register

pytestmark = pytest.mark.django_db

REQUESTS = reverse("api:referral-requests")
WEDNESDAY = datetime.date(2026, 12, 9)


@pytest.fixture
def employer(db):
    return EmployerFactory(code="ACME")


@pytest.fixture
def tuesday(clock):
    clock.set(2026, 12, 8, 9, 0)
    return clock


def _body(**changes) -> dict:
    return {
        "employer": "ACME",
        "book": "WIRE-N",
        "positions": 2,
        "start_on": "2026-12-09",
        "start_at": "07:00",
        "worksite": "1 Main St, Bellevue",
        "report_to": "Gate 3",
        "wage": "52.10",
        "requirements": ["OSHA-30"],
        **changes,
    }


def _dispatcher():
    return api_client(UserFactory(username="hall-dispatcher", role=roles.DISPATCHER))


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (roles.DISPATCHER, 201),
        (roles.OFFICER, 201),
        (roles.ADMIN, 201),
        (roles.STAFF, 403),
        (roles.ORGANIZER, 403),
        (roles.MEMBER, 403),
    ],
)
def test_a_request_is_posted_by_the_halls_roles(book, employer, tuesday, role, status):
    answer = api_client(UserFactory(role=role)).post(REQUESTS, _body(), format="json")
    assert answer.status_code == status
    assert LaborRequest.objects.count() == (1 if status == 201 else 0)
    if status == 201:
        made = answer.json()
        assert made["referral_day"] == "2026-12-09" and made["status"] == "open"
        assert made["requirements"] == ["OSHA-30"] and made["start_at"] == "07:00"
        assert made["agreement_type"] == book.agreement_type  # the book's, when not given


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"positions": 0}, {"positions": ["Ask for at least one worker."]}),
        ({"wage": "0.00"}, {"wage": ["Give the hourly wage (more than 0)."]}),
        (
            {"requirements": ["ASKED-NICELY"]},
            {"requirements": ["No requirement has the code ASKED-NICELY."]},
        ),
        ({"book": "NOPE"}, {"book": ["No book has the code NOPE."]}),
        ({"start_at": "7am"}, None),
    ],
)
def test_a_bad_request_is_a_400_naming_its_field(book, employer, tuesday, changes, errors):
    answer = _dispatcher().post(REQUESTS, _body(**changes), format="json")
    assert answer.status_code == 400, answer.json()
    if errors is not None:
        assert answer.json() == errors
    else:
        assert list(answer.json()) == list(changes)
    assert not LaborRequest.objects.exists()


def test_a_blacked_out_member_asked_for_by_name_is_a_400(book, employer, tuesday):
    member = MemberFactory(classification=book.classification)
    registration_register(member=member, book=book, actor="tests")
    Blackout.objects.create(
        member=member, employer=employer, starts_on=WEDNESDAY, ends_on=WEDNESDAY, reason="Quit"
    )
    body = _body(named_member=member.pk, attestation="Not solicited.")
    answer = _dispatcher().post(REQUESTS, body, format="json")
    assert answer.status_code == 400
    assert "blacked out" in answer.json()["named_member"][0]


def test_an_idempotency_key_makes_a_retry_safe_and_other_values_a_409(book, employer, tuesday):
    client = _dispatcher()
    first = client.post(REQUESTS, _body(), format="json", HTTP_IDEMPOTENCY_KEY="acme-1")
    again = client.post(REQUESTS, _body(), format="json", HTTP_IDEMPOTENCY_KEY="acme-1")
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    clash = client.post(REQUESTS, _body(positions=5), format="json", HTTP_IDEMPOTENCY_KEY="acme-1")
    assert clash.status_code == 409 and "positions" in clash.json()["detail"]
    assert LaborRequest.objects.count() == 1


def test_the_list_filters_by_status_book_and_referral_day(book, employer, tuesday):
    client = _dispatcher()
    client.post(REQUESTS, _body(), format="json")
    tuesday.set(2026, 12, 8, 15, 0)  # after the cutoff: Thursday's referral
    late = client.post(REQUESTS, _body(start_on="2026-12-10"), format="json").json()
    client.post(reverse("api:referral-request-cancel", args=[late["id"]]), {"reason": "Postponed"})

    def ids(**params):
        return [r["referral_day"] for r in client.get(REQUESTS, params).json()["results"]]

    assert ids() == ["2026-12-09", "2026-12-10"]
    assert ids(referral_day="2026-12-10") == ["2026-12-10"]
    assert ids(status="open") == ["2026-12-09"]
    assert ids(book="WIRE-N", status="cancelled") == ["2026-12-10"]
    assert ids(book="OTHER") == []
    assert client.get(REQUESTS, {"referral_day": "soon"}).status_code == 400


def test_cancel_through_the_api(book, employer, tuesday):
    client = _dispatcher()
    made = client.post(REQUESTS, _body(), format="json").json()
    cancel = reverse("api:referral-request-cancel", args=[made["id"]])
    assert client.post(cancel, {}, format="json").json() == {"reason": ["This field is required."]}
    answer = client.post(cancel, {"reason": "Postponed"}, format="json")
    assert answer.status_code == 200 and answer.json()["status"] == "cancelled"
    again = client.post(cancel, {"reason": "Postponed"}, format="json")
    assert again.status_code == 400
    staff = api_client(UserFactory(role=roles.STAFF))
    assert staff.get(reverse("api:referral-request", args=[made["id"]])).status_code == 200
    assert staff.post(cancel, {"reason": "x"}, format="json").status_code == 403


# --- The admin ------------------------------------------------------------------------------

ADD = reverse("admin:referral_laborrequest_add")


def _form(book, employer, **changes) -> dict:
    return {
        "employer": employer.pk,
        "book": book.pk,
        "positions": "1",
        "start_on": "2026-12-09",
        "start_at": "07:00",
        "worksite": "1 Main St",
        "report_to": "Gate 3",
        "wage": "52.10",
        "requirements": [Requirement.objects.get(code="DRUG-TEST").pk],
        "agreement_type": "standard",
        "attestation": "",
        **changes,
    }


def test_the_admin_receives_a_request_through_the_service(
    client, user_with_role, book, employer, tuesday
):
    client.force_login(user_with_role(roles.DISPATCHER))
    assert client.get(ADD).status_code == 200
    answer = client.post(ADD, _form(book, employer), follow=True)
    made = LaborRequest.objects.get()
    assert made.referral_day == WEDNESDAY and made.received_by_name
    assert list(made.requirements.values_list("code", flat=True)) == ["DRUG-TEST"]
    assert "for the referral of Wed Dec 09, 2026" in answer.content.decode()
    changelist = reverse("admin:referral_laborrequest_changelist")
    listed = client.get(changelist, {"status__exact": "open", "book__id__exact": book.pk})
    assert listed.status_code == 200 and "Cancel" in listed.content.decode()
    assert list(listed.context["cl"].result_list) == [made]
    assert not client.get(changelist, {"status__exact": "cancelled"}).context["cl"].result_list
    this_day = {"referral_day__gte": "2026-12-09", "referral_day__lt": "2026-12-10"}
    assert list(client.get(changelist, this_day).context["cl"].result_list) == [made]


def test_a_refusal_in_the_admin_is_a_form_error(client, user_with_role, book, employer, tuesday):
    client.force_login(user_with_role(roles.DISPATCHER))
    member = MemberFactory(classification=book.classification)
    answer = client.post(ADD, _form(book, employer, wage="0", named_member=member.pk))
    assert answer.status_code == 400
    errors = answer.context["form"].errors
    assert errors["wage"] == ["Give the hourly wage (more than 0)."]
    assert "did not solicit" in errors["attestation"][0]
    assert not LaborRequest.objects.exists()


def test_staff_may_not_add_or_cancel_in_the_admin(client, user_with_role, book, employer):
    client.force_login(user_with_role(roles.STAFF))
    assert client.get(ADD).status_code == 403


def test_the_admin_cancels_after_a_confirmation(client, user_with_role, book, employer, tuesday):
    client.force_login(user_with_role(roles.DISPATCHER))
    client.post(ADD, _form(book, employer))
    made = LaborRequest.objects.get()
    cancel = reverse("admin:referral_laborrequest_cancel", args=[made.pk])
    page = client.get(cancel)
    assert page.status_code == 200
    assert "cannot be opened again" in page.content.decode()
    made.refresh_from_db()
    assert made.status == LaborRequestStatus.OPEN  # the page alone cancels nothing
    assert client.post(cancel, {"reason": ""}).status_code == 400
    client.post(cancel, {"reason": "Postponed"})
    made.refresh_from_db()
    assert (made.status, made.cancel_reason) == (LaborRequestStatus.CANCELLED, "Postponed")
    assert client.post(cancel, {"reason": "Again"}).status_code == 400
    client.force_login(user_with_role(roles.STAFF, username="staff2"))
    assert client.get(cancel).status_code == 403
