"""Money received at the office, refunds and adjustments: every write recorded once,
whatever retries or races."""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from apikit.errors import ConflictError
from appkit.sql import bulk_insert
from audit.actors import Actor, person, saved_by
from audit.history import history_of_created
from members.models import Member

from ..ledger import decimal_of, money
from ..models import (
    MANUAL_METHODS,
    MONEY_LIMIT,
    RECEIVED_STATUSES,
    Adjustment,
    Payment,
    PaymentMethod,
    PaymentStatus,
    ReceiptCounter,
    RecordedByStaff,
    Refund,
)
from .ledgers import member_ledgers_refresh

if TYPE_CHECKING:
    pass


# --- Money ------------------------------------------------------------------------------


def signed_amount(value: object, *, field_name: str = "amount") -> Decimal:
    """A positive or negative amount with at most two decimals, or a clear error."""
    try:
        amount = decimal_of(value)
    except InvalidOperation:
        raise ValidationError(
            {field_name: f"{value!r} is not an amount: write it like 45.00."}
        ) from None
    if not amount.is_finite() or amount.as_tuple().exponent < -2:
        raise ValidationError({field_name: "An amount has at most two decimals (cents)."})
    if abs(amount) >= MONEY_LIMIT:
        raise ValidationError({field_name: f"An amount must be less than {MONEY_LIMIT:,}."})
    return money(amount)


def positive_amount(value: object, *, field_name: str = "amount") -> Decimal:
    amount = signed_amount(value, field_name=field_name)
    if amount <= 0:
        raise ValidationError({field_name: "The amount must be more than zero."})
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


def receipt_numbers_next(count: int) -> range:
    """The next `count` receipt numbers at once (for money recorded in bulk), under the
    same counter lock as receipt_number_next: gapless and in order."""
    last = receipt_number_next()
    if count > 1:
        table = ReceiptCounter._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET last_number = last_number + %s WHERE id = 1", [count - 1]
            )
    return range(last, last + count)


@transaction.atomic
def payments_record_many(
    *,
    payments: list[Payment],
    adjustments: list[Adjustment] = (),
    actor: Actor,
    reason: str = "",
) -> None:
    """Record many received payments (and adjustments) at once, as payment_record and
    adjustment_record would one by one: receipt numbers, history rows, audit events and
    the members' ledgers, a few statements for the lot. Each payment carries its own
    idempotency key; the caller makes sure none was recorded before (a retry of the same
    work finds its keys taken and the unique index refuses the whole lot)."""
    if not payments and not adjustments:
        return
    today = timezone.localdate()
    for payment, number in zip(payments, receipt_numbers_next(len(payments)), strict=True):
        if payment.amount <= 0 or payment.received_date is None or payment.received_date > today:
            raise ValidationError(
                f"Cannot record {payment.amount} received {payment.received_date}."
            )
        payment.status = PaymentStatus.SUCCEEDED
        payment.receipt_number = number
        payment.recorded_by = person(actor)
        payment.created_at = timezone.now()
    for adjustment in adjustments:
        adjustment.recorded_by = person(actor)
        adjustment.created_at = timezone.now()
    for objs in (payments, list(adjustments)):
        if objs:
            bulk_insert(objs)
            history_of_created(objs, actor=actor, reason=reason or None)
    member_ledgers_refresh({p.member_id for p in payments} | {a.member_id for a in adjustments})


IDEMPOTENCY_KEY_MAX = 100


def _existing(
    model: type[RecordedByStaff], idempotency_key: str | None, **asked: object
) -> RecordedByStaff | None:
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
    actor: Actor,
    idempotency_key: str | None = None,
) -> Payment:
    """Record money received at the office (cash, check, money order, payroll, ACH)."""
    amount = _within_manual_limit(positive_amount(amount))
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
        recorded_by=person(actor),
        idempotency_key=idempotency_key or None,
        receipt_number=receipt_number_next(),
    )
    saved_by(payment, actor=actor)
    member_ledgers_refresh([member.pk])
    return payment


@transaction.atomic
def refund_record(
    *,
    payment: Payment,
    amount: object,
    reason: str,
    actor: Actor,
    refunded_date: datetime.date | None = None,
    stripe_refund_id: str | None = None,
    idempotency_key: str | None = None,
) -> Refund:
    """Give money back on a payment. The payment keeps its amount; its status says
    refunded or partially refunded, and the ledger reopens what it no longer covers."""
    amount = positive_amount(amount)
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
        recorded_by=person(actor),
        stripe_refund_id=stripe_refund_id,
        idempotency_key=idempotency_key or None,
    )
    saved_by(refund, actor=actor)
    payment.refunded_amount += amount
    payment.status = (
        PaymentStatus.REFUNDED
        if payment.refunded_amount == payment.amount
        else PaymentStatus.PARTIALLY_REFUNDED
    )
    saved_by(payment, actor=actor, update_fields=["refunded_amount", "status"])
    member_ledgers_refresh([payment.member_id])
    return refund


@transaction.atomic
def adjustment_record(
    *,
    member: Member,
    amount: object,
    reason: str,
    actor: Actor,
    idempotency_key: str | None = None,
) -> Adjustment:
    """A signed correction: negative credits the member (a waiver), positive charges them."""
    amount = _within_manual_limit(signed_amount(amount))
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
        recorded_by=person(actor),
        idempotency_key=idempotency_key or None,
    )
    saved_by(adjustment, actor=actor)
    member_ledgers_refresh([member.pk])
    return adjustment
