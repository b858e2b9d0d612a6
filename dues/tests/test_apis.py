"""The dues part of the REST API: the same services and rules as the admin."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts import roles
from apikit.tests.client import api_client, queries_for_get
from audit.models import AuditEvent
from dues.models import DuesCharge, Payment
from dues.services import dues_charges_generate, payment_record
from dues.tests.factories import DuesRateFactory, periods
from members.tests.factories import MemberFactory, UserFactory

pytestmark = pytest.mark.django_db
PAYMENTS = reverse("api:dues-payments")


@pytest.fixture
def owing(journeyman):
    DuesRateFactory(classification=journeyman, monthly_amount=Decimal("45.00"))
    member = MemberFactory(classification=journeyman, member_number="4501")
    for period in periods(2026, [1, 2, 3]):
        dues_charges_generate(period=period, actor="tests")
    return member


def _pay(client, member, changes=None, **more):
    body = {
        "member": member.pk,
        "amount": "90.00",
        "method": "check",
        "received_date": "2026-03-05",
    }
    return client.post(PAYMENTS, body | (changes or {}) | more, format="json")


def test_recording_a_payment_applies_the_ledger_and_writes_the_same_audit(owing):
    staff = UserFactory(role=roles.STAFF)
    client = api_client(staff)
    response = _pay(client, owing, reference="1042")
    assert response.status_code == 201
    assert response.data["receipt"].startswith("R-")
    dues = client.get(reverse("api:member-dues", args=[owing.pk])).data
    assert (dues["balance"], dues["paid_through"], dues["standing"]) == (
        "45.00",
        "2026-02",
        "in_arrears",
    )
    event = AuditEvent.objects.get(model_label="dues.payment", action="create")
    assert (event.actor, event.member_number) == (staff, "4501")
    assert Payment.objects.get().recorded_by == staff


def test_an_idempotency_key_makes_a_retried_payment_count_once(owing):
    client = api_client(UserFactory(role=roles.STAFF))
    first = client.post(
        PAYMENTS,
        {"member": owing.pk, "amount": "45.00", "method": "cash", "received_date": "2026-03-05"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="till-7-0042",
    )
    again = client.post(
        PAYMENTS,
        {"member": owing.pk, "amount": "45.00", "method": "cash", "received_date": "2026-03-05"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="till-7-0042",
    )
    assert first.data["id"] == again.data["id"]
    assert Payment.objects.count() == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"amount": "0"}, "amount"),
        ({"amount": "-5"}, "amount"),
        ({"amount": "1.234"}, "amount"),
        ({"method": "stripe_card"}, "method"),
        ({"member": 999999}, "member"),
        ({"received_date": "2099-01-01"}, "received_date"),
    ],
)
def test_bad_payments_are_400_with_the_field_and_write_nothing(owing, changes, field):
    response = _pay(api_client(UserFactory(role=roles.OFFICER)), owing, changes)
    assert response.status_code == 400
    assert field in response.data
    assert not Payment.objects.exists()


def test_payments_list_with_a_cursor_and_filters(owing):
    for method in ("cash", "check", "cash"):
        payment_record(
            member=owing,
            amount="5.00",
            method=method,
            received_date=datetime.date(2026, 3, 1),
            actor="tests",
        )
    client = api_client(UserFactory(role=roles.OFFICER))
    page = client.get(PAYMENTS, {"page_size": 2}).data
    assert set(page) == {"next", "previous", "results"}  # no count
    assert len(page["results"]) == 2 and page["next"]
    rest = client.get(page["next"]).data
    assert len(rest["results"]) == 1
    assert len(client.get(PAYMENTS, {"method": "cash"}).data["results"]) == 2
    assert client.get(PAYMENTS, {"status": "bogus"}).status_code == 400


def test_generating_charges_by_api_is_idempotent(owing):
    period = periods(2026, [4])[0]
    client = api_client(UserFactory(role=roles.OFFICER))
    url = reverse("api:dues-generate-charges", args=[period.pk])
    started = client.post(url)
    assert started.status_code == 202
    job = client.get(started.data["url"]).data  # where the job is followed
    assert (job["status"], job["outcome"]["created"]) == ("succeeded", 1)
    again = client.get(client.post(url).data["url"]).data["outcome"]
    assert (again["created"], again["already_charged"]) == (0, 1)
    assert DuesCharge.objects.filter(period=period).count() == 1


def test_periods_and_rates_refuse_bad_input(owing):
    client = api_client(UserFactory(role=roles.OFFICER))
    duplicate = client.post(reverse("api:dues-periods"), {"year": 2026, "month": 1}, format="json")
    assert duplicate.status_code == 400
    assert (
        client.post(
            reverse("api:dues-periods"), {"year": 2026, "month": 13}, format="json"
        ).status_code
        == 400
    )
    made = client.post(reverse("api:dues-periods"), {"year": 2026, "month": 12}, format="json")
    assert made.data["due_date"] == "2026-12-31"
    zero = client.post(
        reverse("api:dues-rates"),
        {"classification": "JW", "monthly_amount": "0", "effective_date": "2027-01-01"},
        format="json",
    )
    assert zero.status_code == 400
    backwards = client.post(
        reverse("api:dues-rates"),
        {
            "classification": "JW",
            "monthly_amount": "50",
            "effective_date": "2027-01-01",
            "end_date": "2026-01-01",
        },
        format="json",
    )
    assert backwards.status_code == 400


def test_me_is_the_members_own_record_and_dues(owing):
    user = UserFactory(role=roles.MEMBER)
    owing.user = user
    owing.save()
    me = api_client(user).get(reverse("api:me")).data
    assert me["member"]["member_number"] == "4501"
    assert me["dues"]["balance"] == "135.00"
    assert [c["period"] for c in me["dues"]["charges"]] == ["2026-01", "2026-02", "2026-03"]
    # It takes no parameters: one asked for is refused, named, not silently ignored.
    asked = api_client(user).get(reverse("api:me"), {"member": "4502"})
    assert asked.status_code == 400 and "member" in asked.json()


def test_the_member_list_filters_by_standing(owing):
    MemberFactory(classification=owing.classification)  # joined, never charged: good
    client = api_client(UserFactory(role=roles.OFFICER))
    delinquent = client.get(reverse("api:members"), {"standing": "delinquent"}).data
    assert [m["member_number"] for m in delinquent["results"]] == ["4501"]
    assert client.get(reverse("api:members"), {"standing": "good"}).data["count"] == 1
    assert client.get(reverse("api:members"), {"standing": "excellent"}).status_code == 400


def test_dues_lists_cost_the_same_queries_for_10_and_200_rows(owing):
    client = api_client(UserFactory(role=roles.OFFICER))
    urls = [
        PAYMENTS + "?page_size=200",
        reverse("api:dues-rates") + "?page_size=200",
        reverse("api:dues-periods") + "?page_size=200",
    ]
    Payment.objects.bulk_create(
        Payment(member=owing, amount=Decimal("1.00"), method="stripe_card", status="pending")
        for _ in range(10)
    )
    few = [queries_for_get(client, url) for url in urls]
    Payment.objects.bulk_create(
        Payment(member=owing, amount=Decimal("1.00"), method="stripe_card", status="pending")
        for _ in range(190)
    )
    periods(2020, range(1, 13))
    for year in range(2000, 2016):
        DuesRateFactory(
            classification=owing.classification, effective_date=datetime.date(year, 1, 1)
        )
    assert [queries_for_get(client, url) for url in urls] == few


@pytest.mark.parametrize(
    "body", [{"year": 0, "month": 1}, {"year": 2026, "month": 0}, {"year": "x", "month": 1}]
)
def test_a_period_outside_the_calendar_is_400_not_500(owing, body):
    response = api_client(UserFactory(role=roles.OFFICER)).post(
        reverse("api:dues-periods"), body, format="json"
    )
    assert response.status_code == 400


def test_a_period_cannot_fall_due_before_its_month(owing):
    client = api_client(UserFactory(role=roles.OFFICER))
    body = {"year": 2026, "month": 5, "due_date": "2026-04-30"}
    response = client.post(reverse("api:dues-periods"), body, format="json")
    assert response.status_code == 400 and "due_date" in response.json()
