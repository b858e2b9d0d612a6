"""Recording money: payments, refunds and adjustments, from the admin and the command line."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts import roles
from audit.models import AuditEvent
from dues.models import (
    Adjustment,
    DuesPeriod,
    MemberLedger,
    Payment,
    PaymentMethod,
    PaymentStatus,
    Refund,
)
from dues.services import (
    adjustment_record,
    dues_charges_generate,
    payment_record,
    payments_record_many,
    refund_record,
)
from members.tests.factories import MemberFactory

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def refused_by(constraint: str):
    """The refusal of this constraint, by its name: not any integrity error."""
    return pytest.raises(IntegrityError, match=re.escape(constraint))


def record_payment(member, amount="45.00", **kwargs):
    kwargs.setdefault("method", PaymentMethod.CASH)
    kwargs.setdefault("received_date", TODAY)
    kwargs.setdefault("actor", "tests")
    return payment_record(member=member, amount=amount, **kwargs)


def nothing_written():
    return not (Payment.objects.exists() or Refund.objects.exists() or Adjustment.objects.exists())


# --- Payments ---------------------------------------------------------------------------


def test_receipt_numbers_are_sequential_and_unique():
    member = MemberFactory()
    numbers = [record_payment(member).receipt_number for _ in range(3)]
    assert numbers == [numbers[0], numbers[0] + 1, numbers[0] + 2]
    assert Payment.objects.get(receipt_number=numbers[1]).receipt == f"R-{numbers[1]:06d}"


@pytest.mark.parametrize(
    ("amount", "field", "says"),
    [
        ("0", "amount", "more than zero"),
        ("-5.00", "amount", "more than zero"),
        ("12.345", "amount", "two decimals"),
        ("twelve", "amount", "is not an amount"),
    ],
)
def test_bad_amounts_are_refused_and_nothing_is_written(amount, field, says):
    with pytest.raises(ValidationError) as refusal:
        record_payment(MemberFactory(), amount=amount)
    assert says in " ".join(refusal.value.message_dict[field])
    assert nothing_written()


def test_online_methods_cannot_be_recorded_by_hand():
    with pytest.raises(ValidationError) as refusal:
        record_payment(MemberFactory(), method=PaymentMethod.STRIPE_CARD)
    assert "method" in refusal.value.message_dict
    assert nothing_written()


def test_a_future_received_date_is_refused():
    with pytest.raises(ValidationError, match="future"):
        record_payment(MemberFactory(), received_date=TODAY + datetime.timedelta(days=1))
    assert nothing_written()


def test_the_same_idempotency_key_records_one_payment():
    member = MemberFactory()
    first = record_payment(member, idempotency_key="counter-7f3a")
    again = record_payment(member, idempotency_key="counter-7f3a")
    assert again.pk == first.pk
    assert Payment.objects.count() == 1
    with pytest.raises(ValidationError, match="already used"):
        record_payment(member, amount="50.00", idempotency_key="counter-7f3a")


def test_the_database_refuses_a_zero_payment_even_past_the_service():
    with refused_by("payment_amount_positive"), transaction.atomic():
        Payment.objects.create(
            member=MemberFactory(), amount=Decimal("0.00"), method="cash", status="pending"
        )


def test_the_database_refuses_a_received_payment_without_a_receipt():
    with refused_by("payment_received_has_receipt"), transaction.atomic():
        Payment.objects.create(
            member=MemberFactory(),
            amount=Decimal("5.00"),
            method="cash",
            status="succeeded",
            received_date=TODAY,
        )


# --- Refunds ----------------------------------------------------------------------------


def test_a_refund_larger_than_what_is_left_is_refused():
    payment = record_payment(MemberFactory(), amount="45.00")
    refund_record(payment=payment, amount="40.00", reason="Overpaid", actor="tests")
    with pytest.raises(ValidationError, match=r"At most 5\.00 is left"):
        refund_record(payment=payment, amount="10.00", reason="Again", actor="tests")
    payment.refresh_from_db()
    assert payment.refunded_amount == Decimal("40.00")
    assert Refund.objects.count() == 1


def test_the_database_refuses_refunds_beyond_the_payment():
    payment = record_payment(MemberFactory(), amount="45.00")
    with refused_by("payment_refunds_within_amount"), transaction.atomic():
        Payment.objects.filter(pk=payment.pk).update(refunded_amount=Decimal("45.01"))


def test_a_refund_needs_a_reason_and_a_received_payment():
    member = MemberFactory()
    with pytest.raises(ValidationError, match="reason"):
        refund_record(payment=record_payment(member), amount="5.00", reason="  ", actor="tests")
    pending = Payment.objects.create(member=member, amount=Decimal("5"), method="stripe_ach")
    with pytest.raises(ValidationError, match="Only received payments"):
        refund_record(payment=pending, amount="5.00", reason="x", actor="tests")
    assert not Refund.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_refunds_racing_cannot_exceed_the_payment(race):
    payment = record_payment(MemberFactory(), amount="45.00")

    results, errors = race(
        lambda: refund_record(payment=payment, amount="30.00", reason="r", actor="tests")
    )

    assert len(results) == 1
    assert [type(e) for e in errors] == [ValidationError]
    payment.refresh_from_db()
    assert payment.refunded_amount == Decimal("30.00")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_double_submitted_payment_racing_records_once(race):
    member = MemberFactory()

    results, errors = race(lambda: record_payment(member, idempotency_key="double-click").pk)

    assert errors == []
    assert len(set(results)) == 1
    assert Payment.objects.count() == 1


# --- Adjustments ------------------------------------------------------------------------


def test_an_adjustment_needs_a_reason_and_a_nonzero_amount():
    member = MemberFactory()
    with pytest.raises(ValidationError, match="reason"):
        adjustment_record(member=member, amount="-10.00", reason="", actor="tests")
    with pytest.raises(ValidationError, match="cannot be zero"):
        adjustment_record(member=member, amount="0.00", reason="nothing", actor="tests")
    assert nothing_written()


def test_recording_money_is_audited_with_the_actor(user_with_role):
    officer = user_with_role(roles.OFFICER)
    member = MemberFactory()
    payment = record_payment(member, actor=officer)
    refund_record(payment=payment, amount="5.00", reason="Overpaid", actor=officer)
    adjustment_record(member=member, amount="-5.00", reason="Waiver", actor=officer)
    events = AuditEvent.objects.filter(model_label__startswith="dues.", actor=officer)
    assert {(e.model_label, e.action) for e in events} == {
        ("dues.payment", "create"),
        ("dues.payment", "update"),
        ("dues.refund", "create"),
        ("dues.adjustment", "create"),
    }
    assert {e.member_id for e in events} == {member.pk}
    update = events.get(model_label="dues.payment", action="update")
    assert update.changes == {
        "refunded_amount": ["0.00", "5.00"],
        "status": ["succeeded", "partially_refunded"],
    }


# --- The command line -------------------------------------------------------------------


def test_commands_record_payments_refunds_and_adjustments(capsys):
    member = MemberFactory(member_number="1886")
    call_command("record_payment", "1886", "45.00", "--method", "check", "--reference", "1042")
    payment = Payment.objects.get()
    assert (payment.amount, payment.method, payment.reference) == (
        Decimal("45.00"),
        "check",
        "1042",
    )
    call_command("record_refund", payment.receipt, "5.00", "--reason", "Overpaid")
    call_command("record_adjustment", "1886", "-10.00", "--reason", "Hardship waiver")
    assert member.dues_adjustments.get().amount == Decimal("-10.00")
    assert AuditEvent.objects.filter(
        actor_label="record_payment", model_label="dues.payment"
    ).exists()
    assert "Recorded" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["record_payment", "9999", "45.00", "--method", "cash"], "No member has number '9999'"),
        (["record_payment", "1886", "0", "--method", "cash"], "amount: The amount must be more"),
        (["record_payment", "1886", "4.5.0", "--method", "cash"], "is not an amount"),
        (
            ["record_payment", "1886", "45", "--method", "cash", "--received", "11/20/2026"],
            "not a date",
        ),
        (["record_refund", "R-999999", "5.00", "--reason", "x"], "No payment has receipt"),
        (["record_adjustment", "1886", "-5.00", "--reason", " "], "reason"),
    ],
)
def test_commands_say_what_is_wrong_and_write_nothing(args, says):
    MemberFactory(member_number="1886")
    with pytest.raises(CommandError, match=says):
        call_command(*args)
    assert nothing_written()


# --- The admin --------------------------------------------------------------------------


def test_staff_record_a_payment_in_the_admin_once_even_if_submitted_twice(client, user_with_role):
    staff = user_with_role(roles.STAFF)
    member = MemberFactory()
    client.force_login(staff)
    form = client.get(reverse("admin:dues_payment_add")).context["form"]
    data = {
        "member": member.pk,
        "amount": "45.00",
        "method": "check",
        "received_date": TODAY.isoformat(),
        "reference": "1042",
        "note": "",
        "idempotency_key": form["idempotency_key"].value(),
    }
    first = client.post(reverse("admin:dues_payment_add"), data)
    second = client.post(reverse("admin:dues_payment_add"), data)
    assert first.status_code == second.status_code == 302
    payment = Payment.objects.get()
    assert payment.recorded_by == staff
    assert payment.status == PaymentStatus.SUCCEEDED


def test_the_admin_form_shows_the_services_refusal(client, user_with_role):
    client.force_login(user_with_role(roles.STAFF))
    response = client.post(
        reverse("admin:dues_payment_add"),
        {
            "member": MemberFactory().pk,
            "amount": "45.00",
            "method": "cash",
            "received_date": (TODAY + datetime.timedelta(days=3)).isoformat(),
            "idempotency_key": "k1",
        },
    )
    assert response.status_code == 200
    assert "cannot be in the future" in response.content.decode()
    assert nothing_written()


def test_officers_record_refunds_and_adjustments_in_the_admin(client, user_with_role):
    officer = user_with_role(roles.OFFICER)
    member = MemberFactory()
    payment = record_payment(member, amount="45.00")
    client.force_login(officer)
    page = client.get(reverse("admin:dues_payment_change", args=[payment.pk]))
    assert f"/admin/dues/refund/add/?payment={payment.pk}".encode() in page.content

    response = client.post(
        reverse("admin:dues_refund_add"),
        {
            "payment": payment.pk,
            "amount": "50.00",
            "reason": "too much",
            "refunded_date": TODAY,
            "idempotency_key": "r1",
        },
    )
    assert "At most 45.00 is left" in response.content.decode()
    response = client.post(
        reverse("admin:dues_refund_add"),
        {
            "payment": payment.pk,
            "amount": "45.00",
            "reason": "Paid twice",
            "refunded_date": TODAY,
            "idempotency_key": "r2",
        },
    )
    assert response.status_code == 302
    response = client.post(
        reverse("admin:dues_adjustment_add"),
        {"member": member.pk, "amount": "-45.00", "reason": "Waiver", "idempotency_key": "a1"},
    )
    assert response.status_code == 302
    assert Refund.objects.get().recorded_by == officer
    assert Adjustment.objects.get().recorded_by == officer


def test_payments_are_never_edited_or_deleted_in_the_admin(admin_client):
    payment = record_payment(MemberFactory(), amount="45.00")
    url = reverse("admin:dues_payment_change", args=[payment.pk])
    page = admin_client.get(url)
    assert b'name="_save"' not in page.content
    assert admin_client.post(url, {"amount": "1.00"}).status_code == 403
    delete = reverse("admin:dues_payment_delete", args=[payment.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    payment.refresh_from_db()
    assert payment.amount == Decimal("45.00")


# --- Many payments at once (a remittance) -------------------------------------------------


def test_money_recorded_in_bulk_keeps_every_ledger_as_the_rules_have_it(member):
    """A current member's payment adds to their credit; a member behind has their months
    covered again; one with an adjustment in the same lot has both counted. The
    ledgers_agree check after the test compares each kept ledger with the rules."""
    current, behind, adjusted = member, MemberFactory(), MemberFactory()
    for other in (behind, adjusted):
        other.classification, other.join_date = member.classification, member.join_date
        other.save()

    for period in DuesPeriod.objects.all():
        dues_charges_generate(period=period, actor="tests")
    record_payment(current, amount="270.00")  # January to June, all six covered
    assert MemberLedger.objects.get(member=current).first_uncovered_due is None

    def paid(who, amount, key):
        return Payment(
            member=who,
            amount=Decimal(amount),
            method=PaymentMethod.PAYROLL_DEDUCTION,
            received_date=TODAY,
            idempotency_key=key,
        )

    payments_record_many(
        payments=[
            paid(current, "45.00", "b1"),
            paid(behind, "90.00", "b2"),
            paid(adjusted, "45.00", "b3"),
        ],
        adjustments=[Adjustment(member=adjusted, amount=Decimal("5.00"), reason="Fee")],
        actor="tests",
    )
    ledgers = {ledger.member_id: ledger for ledger in MemberLedger.objects.all()}
    assert (ledgers[current.pk].credit, ledgers[current.pk].balance) == (
        Decimal("315.00"),
        Decimal("-45.00"),
    )
    assert ledgers[behind.pk].paid_through == 202602  # two of six months covered
    assert ledgers[adjusted.pk].balance == Decimal("230.00")  # 270 + 5 - 45
