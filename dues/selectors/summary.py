"""One member's dues by the ledger rules (dues/ledger.py), worked out in Python: the
summary every member's page shows, and who sees which field of a payment. Its SQL twin,
for many members at once, is standings_sql.py."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import Sum
from django.utils import timezone

from members.models import Member

from ..ledger import (
    ZERO,
    Counting,
    Standing,
    is_owed,
    outstanding_amounts,
    past_due,
    standing_for,
    standing_label,
    standing_tone,
)
from ..models import RECEIVED_STATUSES, Adjustment, DuesCharge, DuesPeriod, Payment, Refund
from .common import day_end, money_moved_since
from .declared import protected_months

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

# --- Who sees what -------------------------------------------------------------------

# The office's own notes on a payment: never shown to the member who paid it.
PAYMENT_OFFICE_FIELDS = frozenset({"note", "flagged_at", "flag_reason"})


def payment_fields_hidden_from(user: AbstractBaseUser | AnonymousUser) -> frozenset[str]:
    """The fields of a payment this user may not see: the office reads them all; a member
    reading their own payments does not read the office's note or a dispute's flag."""
    return frozenset() if user.has_perm("dues.view_payment") else PAYMENT_OFFICE_FIELDS


# --- One member ----------------------------------------------------------------------


@dataclass(frozen=True)
class ChargeLine:
    charge: DuesCharge
    outstanding: Decimal

    @property
    def period(self) -> DuesPeriod:
        return self.charge.period


@dataclass
class MemberDues:
    member: Member
    balance: Decimal
    past_due: Decimal
    paid_through: DuesPeriod | None
    months_in_arrears: int
    standing: Standing
    charges: list[ChargeLine] = field(default_factory=list)
    payments: list[Payment] = field(default_factory=list)
    adjustments: list[Adjustment] = field(default_factory=list)

    @property
    def open_charges(self) -> list[ChargeLine]:
        return [line for line in self.charges if line.outstanding > 0]

    @property
    def credit(self) -> Decimal:
        return -self.balance if self.balance < 0 else ZERO

    @property
    def standing_label(self) -> str:
        """As every page words it: a suspended, dropped or deceased member reads as such."""
        return standing_label(self.member.status, self.months_in_arrears)

    @property
    def standing_tone(self) -> str:
        return standing_tone(self.member.status, self.months_in_arrears)


def member_dues_summary(
    member: Member,
    as_of: datetime.date | None = None,
    *,
    recorded_by: datetime.date | None = None,
    counting: str = Counting.DUE_DATE,
) -> MemberDues:
    """One member's dues, by the ledger rules (dues/ledger.py), in three queries: months
    owed on `as_of` (today) by `counting`; with `recorded_by`, from the records as they
    stood at the end of that day (charges due by then, payments received and refunds made
    by then): a later payment does not change what the ledger said then."""
    as_of = as_of or timezone.localdate()
    charges = member.dues_charges.select_related("period").order_by(
        "period__due_date", "period__year", "period__month", "id"
    )
    payments = member.payments.order_by("-received_date", "-id")
    adjustments = member.dues_adjustments.order_by("-created_at", "-id")
    refunded_since: dict[int, Decimal] = {}
    if money_moved_since(recorded_by):
        payments = payments.filter(received_date__lte=recorded_by)
        adjustments = adjustments.filter(created_at__lt=day_end(recorded_by))
        refunded_since = dict(
            Refund.objects.filter(payment__member=member, refunded_date__gt=recorded_by)
            .values("payment_id")
            .annotate(total=Sum("amount"))
            .values_list("payment_id", "total")
        )
    charges, payments, adjustments = list(charges), list(payments), list(adjustments)
    if recorded_by is not None:
        # Charges due by then, and those owed ahead of their due date (a quarter in advance).
        charges = [
            c
            for c in charges
            if c.period.due_date <= recorded_by
            or (counting != Counting.DUE_DATE and _owed(counting, c.period, as_of))
        ]

    def received(p: Payment) -> Decimal:
        return p.amount - (p.refunded_amount - refunded_since.get(p.pk, ZERO))

    credit = sum((received(p) for p in payments if p.status in RECEIVED_STATUSES), ZERO)
    credit -= sum((a.amount for a in adjustments), ZERO)
    owed = outstanding_amounts(credit, [c.amount for c in charges])
    lines = [ChargeLine(c, o) for c, o in zip(charges, owed, strict=True)]

    paid_through = None
    for line in lines:
        if line.outstanding > 0:
            break
        paid_through = line.period
    protected = protected_months([member.pk], recorded_by=recorded_by).get(member.pk, set())
    months = sum(
        1
        for line in lines
        if line.outstanding > 0
        and (line.period.year, line.period.month) not in protected
        and _owed(counting, line.period, as_of)
    )
    balance = sum((c.amount for c in charges), ZERO) - credit
    not_yet_owed = sum((c.amount for c in charges if not _owed(counting, c.period, as_of)), ZERO)
    return MemberDues(
        member=member,
        balance=balance,
        past_due=past_due(balance, not_yet_owed),
        paid_through=paid_through,
        months_in_arrears=months,
        standing=standing_for(months),
        charges=lines,
        payments=payments,
        adjustments=adjustments,
    )


def _owed(counting: str, period: DuesPeriod, as_of: datetime.date) -> bool:
    return is_owed(
        counting, due_date=period.due_date, year=period.year, month=period.month, as_of=as_of
    )


def period_outstanding(member: Member, period: DuesPeriod) -> Decimal:
    """What the member still owes for this period, by the ledger rules (oldest first)."""
    for line in member_dues_summary(member).charges:
        if line.charge.period_id == period.pk:
            return line.outstanding
    return ZERO
