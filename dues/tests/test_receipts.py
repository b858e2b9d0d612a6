"""A receipt names the local (name and address), what the payment paid (the periods it
covered, oldest first) and the paid-through after it, and who received it; it downloads as
a PDF from the payment's admin page and the receipt page, for the member it belongs to
and the office by its role, nobody else."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from accounts import roles
from appkit.tests.helpers import pdf_text
from dues.ledger import amounts_covered
from dues.models import PaymentMethod
from dues.receipts import receipt_facts
from dues.selectors import payment_application
from dues.services import adjustment_record, payment_online_record, payment_record
from members.tests.factories import MemberFactory, UserFactory

pytestmark = pytest.mark.django_db

LOCAL = {"LOCAL_NAME": "IBEW Local 000", "LOCAL_ADDRESS": ["1234 Main Street", "Chicago, IL 60601"]}


@pytest.fixture(autouse=True)
def _local(settings):
    for name, value in LOCAL.items():
        setattr(settings, name, value)


def _pay(member, amount: str, day: int = 20, actor="tests", **fields):
    return payment_record(
        member=member,
        amount=amount,
        method=fields.pop("method", PaymentMethod.CHECK),
        received_date=datetime.date(2026, 6, day),
        actor=actor,
        **fields,
    )


def test_a_payment_covers_what_earlier_money_left_open_oldest_first():
    charges = [Decimal("45.00")] * 3
    assert amounts_covered(Decimal("0"), Decimal("60.00"), charges) == [
        Decimal("45.00"),
        Decimal("15.00"),
        Decimal("0.00"),
    ]
    assert amounts_covered(Decimal("60.00"), Decimal("100.00"), charges) == [
        Decimal("0.00"),
        Decimal("30.00"),
        Decimal("45.00"),
    ]


def test_the_receipt_says_which_periods_it_paid_and_the_paid_through_after_it(member):
    """The member owes 45.00 for each of January to June 2026."""
    first = _pay(member, "60.00")
    applied = payment_application(first)
    assert [(str(c.period), c.covered, c.paid_off) for c in applied.covered] == [
        ("2026-01", Decimal("45.00"), True),
        ("2026-02", Decimal("15.00"), False),
    ]
    assert str(applied.paid_through) == "2026-01"

    second = _pay(member, "100.00", day=21)
    applied = payment_application(second)
    assert [(str(c.period), c.covered) for c in applied.covered] == [
        ("2026-02", Decimal("30.00")),
        ("2026-03", Decimal("45.00")),
        ("2026-04", Decimal("25.00")),
    ]
    assert str(applied.paid_through) == "2026-03"
    # A later waiver does not change what the payment paid then.
    adjustment_record(member=member, amount="-45.00", reason="Hardship", actor="tests")
    assert str(payment_application(second).paid_through) == "2026-03"

    facts = dict(receipt_facts(second))
    assert facts["Paid for"] == "February 2026 dues: $30.00 of $45.00 (paid in full)"
    assert facts["Paid through"] == "March 2026"


def test_an_overpayment_is_kept_as_credit_on_the_receipt(member):
    payment = _pay(member, "300.00")
    facts = receipt_facts(payment)
    assert ("Kept as credit", "$30.00, for the next dues") in facts
    assert ("Paid through", "June 2026") in facts


def test_the_receipt_names_who_received_it_the_recorder_or_online(member, user_with_role):
    clerk = user_with_role(roles.STAFF, first_name="Mary", last_name="Harris")
    at_the_desk = _pay(member, "45.00", actor=clerk)
    assert ("Received by", "Mary Harris") in receipt_facts(at_the_desk)

    online = payment_online_record(
        member=member,
        amount=Decimal("45.00"),
        method=PaymentMethod.STRIPE_CARD,
        status="succeeded",
        checkout_session_id="cs_test_receipt",
        actor="stripe-webhook",
    ).payment
    assert ("Received by", "Online") in receipt_facts(online)


def test_the_pdf_names_the_local_the_periods_and_the_paid_through(client, member, user_with_role):
    payment = _pay(member, "90.00", reference="Check 1042")
    client.force_login(user_with_role(roles.STAFF))
    response = client.get(reverse("dues:receipt_pdf", args=[payment.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f'filename="receipt-{payment.receipt}.pdf"' in response["Content-Disposition"]
    assert response.content.startswith(b"%PDF")
    text = pdf_text(response.content)
    for said in (
        "IBEW Local 000",
        "1234 Main Street",
        "Chicago, IL 60601",
        f"Receipt {payment.receipt}",
        "January 2026 dues: $45.00 (paid in full)",
        "February 2026 dues: $45.00 (paid in full)",
        "Paid through",
        "February 2026",
    ):
        assert said in text, said

    page = client.get(reverse("dues:receipt", args=[payment.pk])).content.decode()
    assert "IBEW Local 000" in page and "1234 Main Street" in page
    assert f'href="{reverse("dues:receipt_pdf", args=[payment.pk])}"' in page


def test_the_payments_admin_page_downloads_the_receipt_as_pdf(client, member, user_with_role):
    payment = _pay(member, "45.00")
    client.force_login(user_with_role(roles.OFFICER))
    page = client.get(reverse("admin:dues_payment_change", args=[payment.pk])).content.decode()
    url = reverse("dues:receipt_pdf", args=[payment.pk])
    assert f'<a href="{url}" download>Download receipt (PDF)</a>' in page


def test_only_the_member_and_the_office_by_role_download_a_receipt(client, member, user_with_role):
    payment = _pay(member, "45.00")
    url = reverse("dues:receipt_pdf", args=[payment.pk])
    assert client.get(url)["Location"].startswith(reverse("login"))

    owner = UserFactory(role=roles.MEMBER)
    member.user = owner
    member.save(update_fields=["user"])
    client.force_login(owner)
    assert client.get(url).content.startswith(b"%PDF")

    someone_else = UserFactory(role=roles.MEMBER)
    MemberFactory(user=someone_else)
    client.force_login(someone_else)
    assert client.get(url).status_code == 404
    assert client.get(reverse("dues:receipt", args=[payment.pk])).status_code == 404

    # An organizer sees standing, not payments; a member given the permission by mistake
    # is still not the office.
    client.force_login(user_with_role(roles.ORGANIZER))
    assert client.get(url).status_code == 404
    mistaken = UserFactory(role=roles.MEMBER)
    mistaken.user_permissions.add(Permission.objects.get(codename="view_payment"))
    client.force_login(mistaken)
    assert client.get(url).status_code == 404

    for role in (roles.STAFF, roles.OFFICER, roles.ADMIN):
        client.force_login(user_with_role(role))
        assert client.get(url).status_code == 200, role
