"""Who may do what with dues in the admin (docs/design.md §3), and what the member page shows."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import roles
from dues.models import Adjustment, Payment, Refund
from dues.services import dues_charges_generate, payment_record
from dues.tests.factories import DuesRateFactory, periods
from members.tests.factories import MemberFactory

pytestmark = pytest.mark.django_db


def _payment_data(member) -> dict:
    return {
        "member": member.pk,
        "amount": "45.00",
        "method": "cash",
        "received_date": datetime.date(2026, 11, 2).isoformat(),
        "idempotency_key": "k",
    }


def test_an_organizer_cannot_record_a_payment(client, user_with_role):
    member = MemberFactory()
    client.force_login(user_with_role(roles.ORGANIZER))
    assert client.get(reverse("admin:dues_payment_add")).status_code == 403
    assert client.post(reverse("admin:dues_payment_add"), _payment_data(member)).status_code == 403
    assert not Payment.objects.exists()


def test_staff_cannot_record_an_adjustment_or_a_refund(client, user_with_role):
    member = MemberFactory()
    payment = payment_record(
        member=member,
        amount="45.00",
        method="cash",
        received_date=datetime.date(2026, 11, 2),
        actor="tests",
    )
    client.force_login(user_with_role(roles.STAFF))
    adjustment = {"member": member.pk, "amount": "-45.00", "reason": "x", "idempotency_key": "a"}
    assert client.post(reverse("admin:dues_adjustment_add"), adjustment).status_code == 403
    refund = {"payment": payment.pk, "amount": "5.00", "reason": "x", "idempotency_key": "r"}
    assert client.post(reverse("admin:dues_refund_add"), refund).status_code == 403
    assert not Adjustment.objects.exists() and not Refund.objects.exists()
    page = client.get(reverse("admin:dues_payment_change", args=[payment.pk]))
    assert b"Record a refund" not in page.content


def test_staff_cannot_change_rates_or_periods(client, user_with_role, journeyman):
    rate = DuesRateFactory(classification=journeyman)
    client.force_login(user_with_role(roles.STAFF))
    url = reverse("admin:dues_duesrate_change", args=[rate.pk])
    assert client.get(url).status_code == 200  # view only
    response = client.post(url, {"classification": journeyman.pk, "monthly_amount": "1.00"})
    assert response.status_code == 403
    assert client.get(reverse("admin:dues_duesperiod_add")).status_code == 403


@pytest.fixture
def behind(journeyman):
    DuesRateFactory(classification=journeyman)
    member = MemberFactory(classification=journeyman, last_name="Behind")
    for period in periods(2026, [1, 2, 3, 4]):
        dues_charges_generate(period=period, actor="tests")
    return member


def test_an_organizer_sees_standing_only(client, user_with_role, behind):
    client.force_login(user_with_role(roles.ORGANIZER))
    listing = client.get(reverse("admin:members_member_changelist")).content.decode()
    assert "Delinquent" in listing
    page = client.get(reverse("admin:members_member_change", args=[behind.pk])).content.decode()
    assert "Delinquent" in page
    assert "180.00" not in page  # no balance
    assert "Paid through" not in page
    assert "dues_charges-TOTAL_FORMS" not in page  # no charges or payments


def test_staff_see_balance_charges_and_payments_on_the_member_page(client, user_with_role, behind):
    payment_record(
        member=behind,
        amount="45.00",
        method="check",
        received_date=datetime.date(2026, 2, 1),
        actor="tests",
    )
    client.force_login(user_with_role(roles.STAFF))
    page = client.get(reverse("admin:members_member_change", args=[behind.pk])).content.decode()
    assert "135.00" in page
    assert "2026-01" in page  # paid through
    assert "In arrears" not in page and "Delinquent" in page
    assert "R-0" in page  # the payment inline shows its receipt
    assert reverse("dues:member", args=[behind.pk]) in page


def test_the_period_list_costs_the_same_queries_for_2_and_12_periods(
    client, user_with_role, journeyman
):
    DuesRateFactory(classification=journeyman, monthly_amount=Decimal("45.00"))
    MemberFactory.create_batch(3, classification=journeyman)
    client.force_login(user_with_role(roles.OFFICER))

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("admin:dues_duesperiod_changelist")).status_code == 200
        return len(captured)

    for period in periods(2026, [1, 2]):
        dues_charges_generate(period=period, actor="tests")
    few = queries()
    for period in periods(2025, range(1, 11)):
        dues_charges_generate(period=period, actor="tests")
    assert queries() == few
