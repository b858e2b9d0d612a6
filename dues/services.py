"""Everything that changes what members owe or have paid. Admin, commands and API call these."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from apikit.errors import ConflictError
from members.models import Member, MemberStatus

from .ledger import money
from .models import (
    MANUAL_METHODS,
    MONEY_LIMIT,
    RECEIVED_STATUSES,
    Adjustment,
    DuesCharge,
    DuesPeriod,
    Payment,
    PaymentMethod,
    PaymentStatus,
    ReceiptCounter,
    Refund,
)
from .selectors import dues_rates_on

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    User = AbstractBaseUser | None


# --- Periods and charges ------------------------------------------------------------------


@transaction.atomic
def dues_period_create(
    *, year: int, month: int, due_date: datetime.date | None = None, actor: User = None
) -> DuesPeriod:
    """A month's dues period; due on its last day unless said otherwise."""
    if not 1 <= month <= 12:
        raise ValidationError({"month": "A month is 1 to 12."})
    if not 1900 <= year <= 2200:
        raise ValidationError({"year": "A year from 1900 to 2200."})
    period = DuesPeriod(year=year, month=month, due_date=datetime.date(year, month, 1))
    period.due_date = due_date or period.last_day
    period._history_user = actor
    period.full_clean()
    period.save()
    return period


def dues_period_get(label: str) -> DuesPeriod:
    """The period of a month written YYYY-MM (as on the command line)."""
    try:
        year, month = (int(part) for part in label.split("-"))
    except ValueError:
        raise ValidationError(f"{label!r} is not a month: write it as YYYY-MM.") from None
    try:
        return DuesPeriod.objects.get(year=year, month=month)
    except DuesPeriod.DoesNotExist:
        raise ValidationError(
            f"There is no dues period for {year}-{month:02d}: create it first."
        ) from None


@dataclass
class ChargeGeneration:
    period: DuesPeriod
    created: int = 0
    already_charged: int = 0
    # Active members left uncharged because their classification has no rate.
    skipped_no_rate: list[Member] = field(default_factory=list)

    def __str__(self) -> str:
        text = f"{self.period}: {self.created} charges created"
        if self.already_charged:
            text += f", {self.already_charged} members already charged"
        if self.skipped_no_rate:
            codes = sorted({m.classification.code for m in self.skipped_no_rate})
            text += (
                f"; {len(self.skipped_no_rate)} members skipped: no dues rate for "
                f"{', '.join(codes)} on {self.period.first_day}"
            )
        return text + "."


@transaction.atomic
def dues_charges_generate(*, period: DuesPeriod, actor: User = None) -> ChargeGeneration:
    """Charge every active member (who had joined by the period's end) at their rate on
    the period's first day. Running it again creates nothing new."""
    # Two runs for one period take turns on the period's row; the second then sees the
    # first one's charges and creates none.
    period = DuesPeriod.objects.select_for_update().get(pk=period.pk)
    rates = dues_rates_on(period.first_day)
    eligible = Member.objects.filter(status=MemberStatus.ACTIVE, join_date__lte=period.last_day)
    result = ChargeGeneration(period=period)
    result.already_charged = eligible.filter(dues_charges__period=period).count()

    charges = []
    for member in eligible.exclude(dues_charges__period=period).select_related("classification"):
        rate = rates.get(member.classification_id)
        if rate is None:
            result.skipped_no_rate.append(member)
            continue
        charges.append(
            DuesCharge(member=member, period=period, amount=rate.monthly_amount, rate=rate)
        )
    bulk_create_with_history(charges, DuesCharge, batch_size=5000, default_user=actor)
    result.created = len(charges)
    return result


# --- Money ------------------------------------------------------------------------------


def _amount(value: object, *, field_name: str = "amount") -> Decimal:
    """A positive or negative amount with at most two decimals, or a clear error."""
    if isinstance(value, float):
        raise TypeError("Money must be a Decimal, an int or a string, never a float.")
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation:
        raise ValidationError(
            {field_name: f"{value!r} is not an amount: write it like 45.00."}
        ) from None
    if not amount.is_finite() or amount.as_tuple().exponent < -2:
        raise ValidationError({field_name: "An amount has at most two decimals (cents)."})
    if abs(amount) >= MONEY_LIMIT:
        raise ValidationError({field_name: f"An amount must be less than {MONEY_LIMIT:,}."})
    return money(amount)


def _positive_amount(value: object) -> Decimal:
    amount = _amount(value)
    if amount <= 0:
        raise ValidationError({"amount": "The amount must be more than zero."})
    return amount


def _within_manual_limit(amount: Decimal) -> Decimal:
    """Money keyed in by hand is held to a ceiling (MANUAL_PAYMENT_MAX): a slip of the
    finger (9,999,999,999.99 for 99.99) must not become a member's ledger."""
    ceiling = settings.MANUAL_PAYMENT_MAX
    if abs(amount) > ceiling:
        raise ValidationError(
            {
                "amount": f"{abs(amount):,} is more than one entry by hand may be "
                f"({ceiling:,}). Check the amount; a larger sum is entered in parts, or an "
                "Admin raises MANUAL_PAYMENT_MAX."
            }
        )
    return amount


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why: a reason is required."})
    return reason


def receipt_number_next() -> int:
    """The next receipt number: sequential and without gaps, since it is taken in the
    payment's own transaction under the counter row's lock."""
    table = ReceiptCounter._meta.db_table
    take_next = (
        f"UPDATE {table} SET last_number = last_number + 1 WHERE id = 1 RETURNING last_number"
    )
    with connection.cursor() as cursor:
        cursor.execute(take_next)
        row = cursor.fetchone()
        if row is not None:
            return row[0]
    try:
        with transaction.atomic():
            ReceiptCounter.objects.create(pk=1, last_number=1)
            return 1
    except IntegrityError:  # another payment made the counter first
        with connection.cursor() as cursor:
            cursor.execute(take_next)
            return cursor.fetchone()[0]


IDEMPOTENCY_KEY_MAX = 100


def _existing(model, idempotency_key: str | None, **asked):
    """The record an earlier request with the same key made, if any. The same key with
    other parameters is a mistake (two different payments under one key): refused, as
    Stripe refuses it, rather than answered with the first record."""
    if not idempotency_key:
        return None
    if len(idempotency_key) > IDEMPOTENCY_KEY_MAX:
        raise ValidationError(
            {"idempotency_key": f"An idempotency key has at most {IDEMPOTENCY_KEY_MAX} characters."}
        )
    found = model.objects.filter(idempotency_key=idempotency_key).first()
    if found is None:
        return None
    differ = sorted(name for name, value in asked.items() if getattr(found, name) != value)
    if differ:
        raise ConflictError(
            f"This idempotency key was already used with other values ({', '.join(differ)}); "
            "nothing was written. Use a new key for a new payment."
        )
    return found


@transaction.atomic
def payment_record(
    *,
    member: Member,
    amount: object,
    method: str,
    received_date: datetime.date,
    reference: str = "",
    note: str = "",
    actor: User = None,
    idempotency_key: str | None = None,
) -> Payment:
    """Record money received at the office (cash, check, money order, payroll, ACH)."""
    amount = _within_manual_limit(_positive_amount(amount))
    if method not in MANUAL_METHODS:
        labels = ", ".join(str(PaymentMethod(m).label).lower() for m in MANUAL_METHODS)
        raise ValidationError({"method": f"Record one of: {labels}."})
    if received_date > timezone.localdate():
        raise ValidationError({"received_date": "The received date cannot be in the future."})
    # Lock the member: their balance changes, and a retried request must find the payment
    # its first attempt made rather than race it.
    Member.objects.select_for_update().get(pk=member.pk)
    reference, note = reference.strip(), note.strip()
    existing = _existing(
        Payment,
        idempotency_key,
        member_id=member.pk,
        amount=amount,
        method=method,
        received_date=received_date,
        reference=reference,
        note=note,
    )
    if existing:
        return existing
    payment = Payment(
        member=member,
        amount=amount,
        method=method,
        status=PaymentStatus.SUCCEEDED,
        received_date=received_date,
        reference=reference,
        note=note,
        recorded_by=actor,
        idempotency_key=idempotency_key or None,
        receipt_number=receipt_number_next(),
    )
    payment._history_user = actor
    payment.save()
    return payment


@transaction.atomic
def refund_record(
    *,
    payment: Payment,
    amount: object,
    reason: str,
    actor: User = None,
    refunded_date: datetime.date | None = None,
    stripe_refund_id: str | None = None,
    idempotency_key: str | None = None,
) -> Refund:
    """Give money back on a payment. The payment keeps its amount; its status says
    refunded or partially refunded, and the ledger reopens what it no longer covers."""
    amount = _positive_amount(amount)
    reason = _reason(reason)
    # Lock the payment: what is left to refund must not change between check and write.
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    existing = _existing(
        Refund, idempotency_key, payment_id=payment.pk, amount=amount, reason=reason
    )
    if existing:
        return existing
    if payment.status not in RECEIVED_STATUSES:
        raise ValidationError(
            f"Only received payments can be refunded; this one is {payment.get_status_display()}."
        )
    if amount > payment.refundable:
        raise ValidationError(
            {"amount": f"At most {payment.refundable} is left to refund on this payment."}
        )
    refund = Refund(
        payment=payment,
        amount=amount,
        reason=reason,
        refunded_date=refunded_date or timezone.localdate(),
        recorded_by=actor,
        stripe_refund_id=stripe_refund_id,
        idempotency_key=idempotency_key or None,
    )
    refund._history_user = actor
    refund.save()
    payment.refunded_amount += amount
    payment.status = (
        PaymentStatus.REFUNDED
        if payment.refunded_amount == payment.amount
        else PaymentStatus.PARTIALLY_REFUNDED
    )
    payment._history_user = actor
    payment.save(update_fields=["refunded_amount", "status"])
    return refund


@transaction.atomic
def adjustment_record(
    *,
    member: Member,
    amount: object,
    reason: str,
    actor: User = None,
    idempotency_key: str | None = None,
) -> Adjustment:
    """A signed correction: negative credits the member (a waiver), positive charges them."""
    amount = _within_manual_limit(_amount(amount))
    if amount == 0:
        raise ValidationError({"amount": "An adjustment cannot be zero."})
    reason = _reason(reason)
    Member.objects.select_for_update().get(pk=member.pk)  # their balance changes
    existing = _existing(
        Adjustment, idempotency_key, member_id=member.pk, amount=amount, reason=reason
    )
    if existing:
        return existing
    adjustment = Adjustment(
        member=member,
        amount=amount,
        reason=reason,
        recorded_by=actor,
        idempotency_key=idempotency_key or None,
    )
    adjustment._history_user = actor
    adjustment.save()
    return adjustment


# Online payments arrive in steps (pending, then succeeded or failed) and may be reported
# twice or out of order: a payment's status only ever moves forward along this order.
_ONLINE_PROGRESS = {
    PaymentStatus.PENDING: 0,
    PaymentStatus.FAILED: 1,
    PaymentStatus.SUCCEEDED: 1,
    PaymentStatus.PARTIALLY_REFUNDED: 2,
    PaymentStatus.REFUNDED: 2,
}


@dataclass
class OnlinePaymentChange:
    payment: Payment
    created: bool = False
    changed: bool = False
    # Reported as failed after it had succeeded (or the reverse): left as it was.
    conflict: str = ""


@transaction.atomic
def payment_online_record(
    *,
    member: Member,
    amount: Decimal,
    method: str,
    status: str,
    checkout_session_id: str,
    payment_intent_id: str | None = None,
    received_date: datetime.date | None = None,
) -> OnlinePaymentChange:
    """Create or move forward the one payment of an online checkout (idempotent).

    Pending covers nothing; succeeded takes a receipt number and counts; failed never
    counts. A report that would move the payment backwards changes nothing."""
    if status not in (PaymentStatus.PENDING, PaymentStatus.SUCCEEDED, PaymentStatus.FAILED):
        raise ValueError(f"An online payment is reported pending, succeeded or failed: {status}")
    if not checkout_session_id:
        # An empty id would find every payment without one: all those taken at the office.
        raise ValueError("An online payment is identified by its checkout session id.")
    # Lock the member, as every payment does: their balance may change.
    Member.objects.select_for_update().get(pk=member.pk)
    payment = (
        Payment.objects.select_for_update()
        .filter(stripe_checkout_session_id=checkout_session_id)
        .first()
    )
    result = OnlinePaymentChange(payment=payment)
    if payment is None:
        payment = Payment(
            member=member,
            amount=amount,
            method=method,
            status=PaymentStatus.PENDING,
            stripe_checkout_session_id=checkout_session_id,
        )
        result = OnlinePaymentChange(payment=payment, created=True)
    elif payment.member_id != member.pk or payment.amount != amount:
        raise ValidationError("This checkout's payment was recorded for another member or amount.")

    current, wanted = _ONLINE_PROGRESS[payment.status], _ONLINE_PROGRESS[status]
    if payment.pk and wanted < current:
        return result  # an older report, delivered late
    if payment.pk and wanted == current and payment.status != status:
        result.conflict = f"Reported {status}, but the payment is {payment.status}."
        return result
    if payment.pk and payment.status == status:
        return result
    payment.status = status
    payment.method = method
    payment.stripe_payment_intent_id = payment_intent_id or payment.stripe_payment_intent_id
    if status == PaymentStatus.SUCCEEDED:
        payment.received_date = received_date or timezone.localdate()
        payment.receipt_number = receipt_number_next()
    payment.save()
    result.payment, result.changed = payment, True
    return result


@transaction.atomic
def payment_flag(*, payment: Payment, reason: str) -> Payment:
    """Mark a payment as in question (a dispute); it keeps counting until resolved."""
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if payment.flagged_at is None:
        payment.flagged_at = timezone.now()
        payment.flag_reason = reason[:200]
        payment.save(update_fields=["flagged_at", "flag_reason"])
    return payment
