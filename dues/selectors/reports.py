"""Reports about money: what was collected each month of a year, the local's dues at a
glance, the latest payments, and a member's statement between two days."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Sum
from django.db.models.functions import ExtractMonth
from django.utils import timezone

from members.models import Member, MemberStatus

from ..ledger import ZERO, Standing, money
from ..models import RECEIVED_STATUSES, DuesPeriod, Payment, PaymentMethod, Refund
from .common import exact_decimal
from .kept import period_money, standing_counts

# --- Collections ----------------------------------------------------------------------------


@dataclass
class CollectionsYear:
    year: int
    methods: list[tuple[str, str]]  # (value, label) of methods that received money
    # month (1-12) → method → amount received
    received: dict[int, dict[str, Decimal]]
    refunded: dict[int, Decimal]

    def month_total(self, month: int) -> Decimal:
        return sum(self.received[month].values(), ZERO)

    def month_net(self, month: int) -> Decimal:
        return self.month_total(month) - self.refunded[month]

    def method_total(self, method: str) -> Decimal:
        return sum((self.received[m].get(method, ZERO) for m in range(1, 13)), ZERO)

    @property
    def total(self) -> Decimal:
        return sum((self.month_total(m) for m in range(1, 13)), ZERO)

    @property
    def refunded_total(self) -> Decimal:
        return sum(self.refunded.values(), ZERO)

    @property
    def net_total(self) -> Decimal:
        return self.total - self.refunded_total


def collections_by_month(year: int) -> CollectionsYear:
    """Money received in `year` by month and method, and refunds made by month: the
    receipts an officer copies into the annual financial report. Two queries."""
    received: dict[int, dict[str, Decimal]] = {m: {} for m in range(1, 13)}
    rows = (
        Payment.objects.filter(status__in=RECEIVED_STATUSES, received_date__year=year)
        .annotate(month=ExtractMonth("received_date"))
        .values("month", "method")
        .annotate(total=Sum("amount"))
    )
    for row in rows:
        received[row["month"]][row["method"]] = money(exact_decimal(row["total"]))
    refunded = dict.fromkeys(range(1, 13), ZERO)
    refund_rows = (
        Refund.objects.filter(refunded_date__year=year)
        .annotate(month=ExtractMonth("refunded_date"))
        .values("month")
        .annotate(total=Sum("amount"))
    )
    for row in refund_rows:
        refunded[row["month"]] = money(exact_decimal(row["total"]))
    used = {method for by_method in received.values() for method in by_method}
    methods = [(value, label) for value, label in PaymentMethod.choices if value in used]
    return CollectionsYear(year=year, methods=methods, received=received, refunded=refunded)


# --- The office's home ----------------------------------------------------------------------


@dataclass(frozen=True)
class DuesOverview:
    """The local's dues at a glance: this month's period, billed against collected, and how
    many active members stand in each standing."""

    period: DuesPeriod | None
    billed: Decimal
    collected: Decimal
    standings: list[tuple[Standing, int]]

    @property
    def uncollected(self) -> Decimal:
        return max(self.billed - self.collected, ZERO)

    @property
    def active_members(self) -> int:
        return sum(count for _, count in self.standings)


def dues_overview() -> DuesOverview:
    """From the kept totals: up to today once member_ledgers_bring_up_to_date() has run."""
    today = timezone.localdate()
    period = (
        DuesPeriod.objects.filter(year=today.year, month=today.month).first()
        or DuesPeriod.objects.order_by("-year", "-month").first()
    )
    billed = collected = ZERO
    if period is not None:
        billed, collected = period_money(period)
    counts = standing_counts([MemberStatus.ACTIVE])
    return DuesOverview(
        period=period,
        billed=billed,
        collected=collected,
        standings=[(standing, counts[standing]) for standing in Standing],
    )


def payments_latest(limit: int) -> list[Payment]:
    """The latest payments recorded, with their members (the office's home)."""
    return list(Payment.objects.select_related("member").order_by("-id")[:limit])


# --- A member's statement -------------------------------------------------------------------


@dataclass(frozen=True)
class StatementLine:
    day: datetime.date
    what: str
    charged: Decimal  # what adds to the balance (a charge, a positive adjustment, a refund)
    paid: Decimal  # what takes from it (a payment, a credit)
    balance: Decimal


@dataclass(frozen=True)
class Statement:
    """A member's account between two days (inclusive): what they owed before, every
    charge, payment, refund and adjustment in order, and what they owe after. Charges
    count from their due date, payments from their received date, by the ledger rules."""

    member: Member
    start: datetime.date
    end: datetime.date
    opening: Decimal
    lines: list[StatementLine]
    # Charged already, due after `end` (next month's dues): not on the statement's lines, but
    # in the balance the member's pages show. Told only for a statement up to today or later.
    not_yet_due: Decimal = ZERO

    @property
    def closing(self) -> Decimal:
        return self.lines[-1].balance if self.lines else self.opening

    @property
    def balance(self) -> Decimal:
        """The balance as the member's pages give it: the closing and the charges not yet due."""
        return self.closing + self.not_yet_due


def member_statement(member: Member, start: datetime.date, end: datetime.date) -> Statement:
    """The member's statement from `start` to `end` (four queries, however long)."""
    entries: list[tuple[datetime.date, int, str, Decimal]] = []  # (day, order, what, +/-)
    for charge in member.dues_charges.select_related("period"):
        entries.append((charge.period.due_date, 0, f"Dues {charge.period}", charge.amount))
    for payment in member.payments.filter(status__in=RECEIVED_STATUSES):
        what = f"Payment {payment.receipt}, {payment.get_method_display().lower()}"
        entries.append((payment.received_date, 1, what, -payment.amount))
    for refund in Refund.objects.filter(
        payment__member=member, payment__status__in=RECEIVED_STATUSES
    ).select_related("payment"):
        entries.append(
            (refund.refunded_date, 2, f"Refund on {refund.payment.receipt}", refund.amount)
        )
    for adjustment in member.dues_adjustments.all():
        day = timezone.localdate(adjustment.created_at)
        entries.append((day, 3, f"Adjustment: {adjustment.reason}", adjustment.amount))
    entries.sort(key=lambda entry: (entry[0], entry[1]))

    opening = sum((amount for day, _, _, amount in entries if day < start), ZERO)
    balance, lines = opening, []
    for day, _, what, amount in entries:
        if start <= day <= end:
            balance += amount
            lines.append(
                StatementLine(
                    day=day,
                    what=what,
                    charged=amount if amount > 0 else ZERO,
                    paid=-amount if amount < 0 else ZERO,
                    balance=balance,
                )
            )
    not_yet_due = ZERO
    if end >= timezone.localdate():
        not_yet_due = sum(
            (amount for day, order, _, amount in entries if day > end and order == 0), ZERO
        )
    return Statement(
        member=member, start=start, end=end, opening=opening, lines=lines, not_yet_due=not_yet_due
    )
