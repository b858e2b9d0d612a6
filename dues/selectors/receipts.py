"""What one payment paid, by the ledger rules (dues/ledger.py), as its receipt says it."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone

from ..ledger import ZERO, amounts_covered, outstanding_amounts
from ..models import RECEIVED_STATUSES, DuesCharge, DuesPeriod, Payment, Refund
from .common import exact_decimal


@dataclass(frozen=True)
class CoveredCharge:
    period: DuesPeriod
    charged: Decimal
    covered: Decimal  # by this payment
    still_owed: Decimal  # after it

    @property
    def paid_off(self) -> bool:
        return self.still_owed == 0


@dataclass(frozen=True)
class PaymentApplication:
    """What a received payment paid, the ledger as it stood when it was received: the
    charges it covered (oldest first), what it left as credit, and the paid-through after
    it."""

    covered: list[CoveredCharge]
    credit_left: Decimal
    paid_through: DuesPeriod | None


def payment_application(payment: Payment) -> PaymentApplication:
    """The ledger of the payment's member just after it was received (four queries): the
    charges made by then, in due-date order; the money received before it (lower receipt
    numbers: they are given in the order money arrives) net of the refunds made by then,
    and the adjustments made by then. The payment then covers what that credit left open,
    oldest first. Later refunds, adjustments and charges do not change what it paid then
    (the receipt lists this payment's own refunds beside it)."""
    member_id = payment.member_id
    moment = _received_at(payment)
    charges = list(
        DuesCharge.objects.filter(member_id=member_id, created_at__lte=moment)
        .select_related("period")
        .order_by("period__due_date", "period__year", "period__month", "id")
    )
    earlier = Payment.objects.filter(
        member_id=member_id,
        status__in=RECEIVED_STATUSES,
        receipt_number__lt=payment.receipt_number,
    )
    refunds = Refund.objects.filter(payment__in=earlier, created_at__lte=moment)
    adjustments = payment.member.dues_adjustments.filter(created_at__lte=moment)
    credit_before = (
        _total(earlier.aggregate(total=Sum("amount")))
        - _total(refunds.aggregate(total=Sum("amount")))
        - _total(adjustments.aggregate(total=Sum("amount")))
    )
    amounts = [charge.amount for charge in charges]
    covered = amounts_covered(credit_before, payment.amount, amounts)
    owed_after = outstanding_amounts(credit_before + payment.amount, amounts)
    lines = [
        CoveredCharge(period=charge.period, charged=charge.amount, covered=part, still_owed=owed)
        for charge, part, owed in zip(charges, covered, owed_after, strict=True)
        if part > 0
    ]
    paid_through = None
    for charge, owed in zip(charges, owed_after, strict=True):
        if owed > 0:
            break
        paid_through = charge.period
    return PaymentApplication(
        covered=lines,
        credit_left=payment.amount - sum((line.covered for line in lines), ZERO),
        paid_through=paid_through,
    )


def _total(aggregate: dict) -> Decimal:
    return Decimal(exact_decimal(aggregate["total"]) or ZERO)


def _received_at(payment: Payment) -> datetime.datetime:
    """When the money counted: when it was recorded, or, received on a later day (a bank
    payment recorded pending that cleared days after), from the start of that day."""
    if payment.received_date is None:
        return payment.created_at
    day_start = timezone.make_aware(
        datetime.datetime.combine(payment.received_date, datetime.time.min)
    )
    return max(payment.created_at, day_start)
