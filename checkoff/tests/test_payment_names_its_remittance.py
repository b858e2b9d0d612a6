"""A payroll (check-off) payment names its remittance and its work month wherever it is
shown: the payments list, the payment's page, the member's dues page and the receipt."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts import roles
from checkoff.services import remittance_check, remittance_post, suspense_apply
from members.tests.factories import MemberFactory

from .conftest import RECEIVED
from .factories import AuthorizationFactory, remittance_csv

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid(acme, journeyman, charged_2026):
    ana = MemberFactory(member_number="1001", classification=journeyman)
    AuthorizationFactory(member=ana, employer=acme)
    charged_2026()
    batch = remittance_check(
        employer=acme,
        content=remittance_csv("1001,,,,,2026-08,,,45.00", "7777,X,Y,,,2026-09,,,45.00"),
        file_name="acme.csv",
        received_on=RECEIVED,
        actor="tests",
    ).batch
    remittance_post(batch=batch, actor="tests")
    return batch, ana


def test_the_payment_names_its_remittance_and_work_month_where_the_office_and_member_look(
    client, user_with_role, paid
):
    batch, ana = paid
    payment = ana.payments.get()
    named = f"Check-off ACME remittance #{batch.pk}, work month 2026-08"
    client.force_login(user_with_role(roles.OFFICER))
    payments = client.get(reverse("admin:dues_payment_changelist")).content.decode()
    assert named in payments
    page = client.get(reverse("admin:dues_payment_change", args=[payment.pk])).content.decode()
    assert named in page
    dues = client.get(reverse("dues:member", args=[ana.pk])).content.decode()
    assert named in dues
    receipt = client.get(reverse("dues:receipt", args=[payment.pk])).content.decode()
    assert named in receipt


def test_money_applied_from_suspense_names_its_remittance_and_work_month(paid, journeyman):
    batch, _ = paid
    sam = MemberFactory(member_number="2002", classification=journeyman)
    line = batch.lines.get(member_number="7777")
    payment = suspense_apply(line=line, member=sam, note="New hire", actor="tests").payment
    assert payment.reference == f"Check-off ACME remittance #{batch.pk}, work month 2026-09"
