"""Payments that arrive from an online source (Stripe Checkout), reported in steps."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from audit.actors import Actor, saved_by
from members.models import Member

from ..models import (
    Payment,
    PaymentStatus,
)
from .ledgers import member_ledgers_refresh
from .money import receipt_number_next

if TYPE_CHECKING:
    pass


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
    checkout_session_id: str | None = None,
    payment_intent_id: str | None = None,
    received_date: datetime.date | None = None,
    actor: Actor,
) -> OnlinePaymentChange:
    """Create or move forward the one payment of an online checkout, or of a PaymentIntent
    made without one (autopay), idempotently.

    Pending covers nothing; succeeded takes a receipt number and counts; failed never
    counts. A report that would move the payment backwards changes nothing."""
    if status not in (PaymentStatus.PENDING, PaymentStatus.SUCCEEDED, PaymentStatus.FAILED):
        raise ValueError(f"An online payment is reported pending, succeeded or failed: {status}")
    if checkout_session_id:
        identity = {"stripe_checkout_session_id": checkout_session_id}
    elif payment_intent_id:
        identity = {"stripe_payment_intent_id": payment_intent_id}
    else:
        # An empty id would find every payment without one: all those taken at the office.
        raise ValueError("An online payment is identified by its checkout or PaymentIntent id.")
    # Lock the member, as every payment does: their balance may change.
    Member.objects.select_for_update().get(pk=member.pk)
    # Lock the payment: the webhook, the success page and reconciliation may report it at
    # once, and its status only ever moves forward.
    payment = Payment.objects.select_for_update().filter(**identity).first()
    result = OnlinePaymentChange(payment=payment)
    if payment is None:
        payment = Payment(
            member=member,
            amount=amount,
            method=method,
            status=PaymentStatus.PENDING,
            **identity,
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
    saved_by(payment, actor=actor)
    member_ledgers_refresh([member.pk])
    result.payment, result.changed = payment, True
    return result


@transaction.atomic
def payment_flag(*, payment: Payment, reason: str, actor: Actor) -> Payment:
    """Mark a payment as in question (a dispute); it keeps counting until resolved."""
    # Lock the payment: two dispute events at once flag it once, with the first reason.
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if payment.flagged_at is None:
        payment.flagged_at = timezone.now()
        payment.flag_reason = reason[:200]
        saved_by(payment, actor=actor, update_fields=["flagged_at", "flag_reason"])
    return payment
