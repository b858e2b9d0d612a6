from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.exceptions import EmptyResultSet, ValidationError
from django.db import connection
from django.db.models import (
    DecimalField,
    ExpressionWrapper,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, ExtractMonth
from django.utils import timezone

from members.models import Member, MemberStatus

from .extensions import ARREARS_PROTECTION, DEDUCTED_AT_SOURCE
from .ledger import (
    ZERO,
    Counting,
    Standing,
    is_owed,
    money,
    months_for,
    outstanding_amounts,
    standing_for,
)
from .models import (
    RECEIVED_STATUSES,
    Adjustment,
    DuesCharge,
    DuesPeriod,
    DuesRate,
    KeptTotal,
    MemberLedger,
    Payment,
    PaymentMethod,
    Refund,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
    from django.db.models import Field

# --- Who sees what -------------------------------------------------------------------

# The office's own notes on a payment: never shown to the member who paid it.
PAYMENT_OFFICE_FIELDS = frozenset({"note", "flagged_at", "flag_reason"})


def payment_fields_hidden_from(user: AbstractBaseUser | AnonymousUser) -> frozenset[str]:
    """The fields of a payment this user may not see: the office reads them all; a member
    reading their own payments does not read the office's note or a dispute's flag."""
    return frozenset() if user.has_perm("dues.view_payment") else PAYMENT_OFFICE_FIELDS


# --- Rates -------------------------------------------------------------------------


def dues_rates_on(day: datetime.date) -> dict[int, DuesRate]:
    """Classification id → the rate in force on `day` (the latest effective date wins)."""
    rates = DuesRate.objects.filter(
        Q(end_date__isnull=True) | Q(end_date__gte=day), effective_date__lte=day
    ).order_by("classification_id", "effective_date", "id")
    return {rate.classification_id: rate for rate in rates}


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
    if _money_moved_since(recorded_by):
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
    return MemberDues(
        member=member,
        balance=sum((c.amount for c in charges), ZERO) - credit,
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


def _money_moved_since(recorded_by: datetime.date | None) -> bool:
    """Whether money may have been recorded after the end of `recorded_by`: not when it is
    today or later (no payment is received, nor refund made, in the future)."""
    return recorded_by is not None and recorded_by < timezone.localdate()


def day_end(day: datetime.date) -> datetime.datetime:
    """The first moment after `day`, in the local's time zone."""
    return timezone.make_aware(
        datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min)
    )


def period_outstanding(member: Member, period: DuesPeriod) -> Decimal:
    """What the member still owes for this period, by the ledger rules (oldest first)."""
    for line in member_dues_summary(member).charges:
        if line.charge.period_id == period.pk:
            return line.outstanding
    return ZERO


# --- Many members at once --------------------------------------------------------------


@dataclass(frozen=True)
class DuesStanding:
    member_id: int
    balance: Decimal
    paid_through: str | None  # "YYYY-MM"
    months_in_arrears: int
    charged: Decimal = ZERO
    credit: Decimal = ZERO
    # The due date of the oldest charge not fully covered, and of the oldest one not yet
    # past due on the date asked about (when months in arrears next grows).
    first_uncovered_due: datetime.date | None = None
    next_due: datetime.date | None = None

    @property
    def standing(self) -> Standing:
        return standing_for(self.months_in_arrears)


# The rules of dues/ledger.py in one statement (PostgreSQL and SQLite): each member's
# credit, a running total of their charges oldest first, and a charge is covered while
# the running total stays within the credit. Sums are rounded to cents before comparing:
# SQLite adds decimals as binary floats.
_STANDINGS_SQL = """
WITH credit AS (
    SELECT m.id AS member_id,
           COALESCE((SELECT SUM(p.amount - ({refunded})) FROM dues_payment p{late_refunds}
                     WHERE p.member_id = m.id AND p.status IN ({received}){payments_by}), 0)
         - COALESCE((SELECT SUM(a.amount) FROM dues_adjustment a
                     WHERE a.member_id = m.id{adjustments_by}), 0) AS credit
    FROM members_member m
    WHERE {member_filter}
),{protected_cte}
ledger AS (
    SELECT c.member_id, c.amount, per.year, per.month, per.due_date,
           {protected_flag} AS protected,
           SUM(c.amount) OVER (
               PARTITION BY c.member_id
               ORDER BY per.due_date, per.year, per.month, c.id
               ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
           ) AS running
    FROM dues_duescharge c
    JOIN dues_duesperiod per ON per.id = c.period_id
    JOIN credit ON credit.member_id = c.member_id{protected_join}{charges_by}
)
SELECT credit.member_id,
       COALESCE(SUM(ledger.amount), 0) - credit.credit AS balance,
       MAX(CASE WHEN ROUND(ledger.running, 2) <= ROUND(credit.credit, 2)
                THEN ledger.year * 100 + ledger.month END) AS paid_through,
       COALESCE(SUM(CASE WHEN {owed}
                          AND ROUND(ledger.running, 2) > ROUND(credit.credit, 2)
                          AND ledger.protected = 0
                     THEN 1 ELSE 0 END), 0) AS months_in_arrears,
       COALESCE(SUM(ledger.amount), 0) AS charged,
       credit.credit AS credit,
       MIN(CASE WHEN ROUND(ledger.running, 2) > ROUND(credit.credit, 2)
                THEN ledger.due_date END) AS first_uncovered_due,
       MIN(CASE WHEN ROUND(ledger.running, 2) > ROUND(credit.credit, 2)
                 AND ledger.due_date >= %(as_of)s
                THEN ledger.due_date END) AS next_due,
       COALESCE(MAX(CAST(ledger.due_date AS TEXT) || '|'
                    || CAST(ledger.year * 100 + ledger.month AS TEXT)), '') AS last_charge_order
FROM credit
LEFT JOIN ledger ON ledger.member_id = credit.member_id
GROUP BY credit.member_id, credit.credit
"""


def dues_standings(
    members: QuerySet[Member] | None = None,
    as_of: datetime.date | None = None,
    *,
    recorded_by: datetime.date | None = None,
    counting: str = Counting.DUE_DATE,
) -> dict[int, DuesStanding]:
    """Member id → balance, paid-through and months in arrears, for every member of
    `members` (default: all), in one query whatever their number; `as_of`, `recorded_by`
    and `counting` as member_dues_summary() reads them."""
    as_of = as_of or timezone.localdate()
    if members is None:
        member_filter, filter_params = "1 = 1", []
    else:
        try:
            inner, filter_params = members.values("id").query.sql_with_params()
        except EmptyResultSet:  # e.g. pk__in=[]
            return {}
        member_filter = f"m.id IN ({inner})"
    sql, as_of_uses = standings_sql(
        member_filter, as_of=as_of, recorded_by=recorded_by, counting=counting
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*RECEIVED_STATUSES, *filter_params, *[as_of] * as_of_uses])
        rows = cursor.fetchall()
    return {
        member_id: DuesStanding(
            member_id=member_id,
            balance=money(exact_decimal(balance)),
            paid_through=f"{paid // 100}-{paid % 100:02d}" if paid else None,
            months_in_arrears=int(months),
            charged=money(exact_decimal(charged)),
            credit=money(exact_decimal(credit)),
            first_uncovered_due=_date(first_due),
            next_due=_date(next_due),
        )
        for member_id, balance, paid, months, charged, credit, first_due, next_due, _ in rows
    }


def charge_order(period: DuesPeriod) -> str:
    """Where a charge for `period` sorts among a member's charges, as the set-based rules
    write it (`last_charge_order` of MemberLedger)."""
    return f"{period.due_date.isoformat()}|{period.year * 100 + period.month}"


# The months owed on `as_of` by each counting (ledger.is_owed), over `ledger`.
_OWED_SQL = {
    Counting.DUE_DATE: "ledger.due_date < %(as_of)s",
    Counting.MONTH_END: "ledger.year * 100 + ledger.month < {month}",
    Counting.QUARTER_START: "ledger.year * 100 + (ledger.month - 1) / 3 * 3 + 1 <= {month}",
}


def standings_sql(
    member_filter: str,
    *,
    as_of: datetime.date,
    recorded_by: datetime.date | None = None,
    counting: str = Counting.DUE_DATE,
) -> tuple[str, int]:
    """The set-based rules, for a member filter (SQL over `m`, members_member), and how
    many times `as_of` is a parameter; the parameters: the received statuses, the
    filter's, then `as_of` that many times. Dates the statement does not take as
    parameters are written into it (they are dates, never text from outside)."""
    recorded = _date_literal(recorded_by or FAR_FUTURE)
    protections = [p.sql.format(recorded_by=recorded) for p in ARREARS_PROTECTION.declarations()]
    parts = {"protected_cte": "", "protected_flag": "0", "protected_join": ""}
    if protections:
        # The protected months as a relation, joined (hashed) rather than a subquery
        # asked again for every charge.
        union = " UNION ".join(
            f"SELECT member_id, year, month FROM ({sql}) p" for sql in protections
        )
        parts = {
            "protected_cte": f"\nprotected AS ({union}),",
            "protected_flag": "CASE WHEN pr.member_id IS NULL THEN 0 ELSE 1 END",
            "protected_join": "\n    LEFT JOIN protected pr ON pr.member_id = c.member_id "
            "AND pr.year = per.year AND pr.month = per.month",
        }
    cutoffs = dict.fromkeys(("late_refunds", "payments_by", "adjustments_by", "charges_by"), "") | {
        "refunded": "p.refunded_amount"
    }
    if recorded_by is not None:
        cutoffs["charges_by"] = f"\n    WHERE per.due_date <= {recorded}"
    if _money_moved_since(recorded_by):
        # Money received, given back or adjusted after that day is taken out again (the
        # few refunds made since, joined, rather than every payment's asked again).
        cutoffs |= {
            "refunded": "p.refunded_amount - COALESCE(late.amount, 0)",
            "late_refunds": "\n                     LEFT JOIN (SELECT r.payment_id, "
            "SUM(r.amount) AS amount FROM dues_refund r "
            f"WHERE r.refunded_date > {recorded} GROUP BY r.payment_id) late "
            "ON late.payment_id = p.id",
            "payments_by": f" AND p.received_date <= {recorded}",
            "adjustments_by": f" AND a.created_at < {_datetime_literal(day_end(recorded_by))}",
        }
    owed = _OWED_SQL[Counting(counting)].format(month=as_of.year * 100 + as_of.month)
    if recorded_by is not None and counting != Counting.DUE_DATE:
        # Dues owed ahead of their due date (a quarter in advance) stood owed then too.
        owed_then = owed.replace("ledger.", "per.")
        cutoffs["charges_by"] = f"\n    WHERE (per.due_date <= {recorded} OR {owed_then})"
    sql = _STANDINGS_SQL.format(
        received=", ".join(["%s"] * len(RECEIVED_STATUSES)),
        member_filter=member_filter,
        owed=owed,
        **parts,
        **cutoffs,
    )
    return sql.replace("%(as_of)s", "%s"), sql.count("%(as_of)s")


# "Now", for a statement that reads the records as they stand.
FAR_FUTURE = datetime.date(9999, 12, 31)


def _date_literal(day: datetime.date) -> str:
    return f"'{datetime.date.isoformat(day)}'"


def _datetime_literal(moment: datetime.datetime) -> str:
    # As the backend stores it (SQLite: UTC text), so that text compares as time.
    return f"'{connection.ops.adapt_datetimefield_value(moment)}'"


def protected_months(
    member_ids: Iterable[int], *, recorded_by: datetime.date | None = None
) -> dict[int, set[tuple[int, int]]]:
    """Member id → the (year, month) whose unpaid charge is not a month in arrears, by
    every rule the apps declare (`dues.arrears_protection`), as they stood at the end of
    `recorded_by` (default: now)."""
    member_ids = list(member_ids)
    found: dict[int, set[tuple[int, int]]] = {}
    for protection in ARREARS_PROTECTION.declarations():
        months = protection.months(member_ids, recorded_by or FAR_FUTURE)
        for member_id, member_months in months.items():
            found.setdefault(member_id, set()).update(member_months)
    return found


def members_deducted_at_source(
    day: datetime.date, member_ids: Iterable[int] | None = None
) -> set[int]:
    """The members (of `member_ids`; None: all) whose employer deducts their dues on `day`,
    by every app that says so (`dues.deducted_at_source`: check-off)."""
    ids = None if member_ids is None else list(member_ids)
    found: set[int] = set()
    for source in DEDUCTED_AT_SOURCE.declarations():
        found |= source.members(ids, day)
    return found


def exact_decimal(value: object) -> object:
    # SQLite hands back sums as floats: round to cents through their shortest decimal form.
    return Decimal(str(round(value, 2))) if isinstance(value, float) else value


def _date(value: object) -> datetime.date | None:
    # SQLite hands back dates as text.
    return datetime.date.fromisoformat(value) if isinstance(value, str) else value


# --- Many members, from their kept ledgers (MemberLedger) -------------------------------


def member_ledgers_current() -> None:
    """Bring the kept ledgers up to today before reading them: the members whose next
    uncovered charge fell due since are worked out again (none, most days; the nightly job
    does it first). A write, but only of the cache, and the same whoever asks."""
    from .services import member_ledgers_bring_up_to_date

    member_ledgers_bring_up_to_date()


def member_ledger(member: Member) -> MemberLedger:
    """One member's kept ledger, up to today: one query (two the day a charge falls due).
    A member with none owes nothing."""
    today = timezone.localdate()
    ledger = MemberLedger.objects.filter(member=member).first()
    if ledger is not None and ledger.next_due is not None and ledger.next_due < today:
        from .services import member_ledgers_refresh

        member_ledgers_refresh([member.pk], as_of=today)
        ledger.refresh_from_db()
    return ledger or MemberLedger(member=member, as_of=today)


def members_in_standing(members: QuerySet[Member], standing: str) -> QuerySet[Member]:
    """The `standing` filter of the member list: a range of months in arrears, read from
    the kept ledgers (a member with none owes nothing)."""
    member_ledgers_current()
    low, high = months_for(standing)
    if low == 0:
        return members.exclude(ledger__months_in_arrears__gte=high)
    members = members.filter(ledger__months_in_arrears__gte=low)
    return members.filter(ledger__months_in_arrears__lt=high) if high else members


def members_in_standing_count(standing: str, status: str | None = None) -> int:
    """How many members (of a status, or any) members_in_standing lets through, from the
    kept totals: one query, whatever the size of the local."""
    member_ledgers_current()
    statuses = [status] if status else None
    low, high = months_for(standing)
    if low == 0:
        members = _kept_totals("members", statuses).aggregate(n=Sum("count"))["n"] or 0
        return members - _behind_count(statuses, high, None)
    return _behind_count(statuses, low, high)


def _behind_count(statuses: list[str] | None, low: int, high: int | None) -> int:
    behind = _kept_totals("standing", statuses).filter(key__gte=low)
    if high is not None:
        behind = behind.filter(key__lt=high)
    return behind.aggregate(n=Sum("count"))["n"] or 0


def member_standing_labels(member_ids: Iterable[int]) -> dict[int, str]:
    """Member id → standing, for a page of members (one query)."""
    months = dict(
        MemberLedger.objects.filter(member_id__in=list(member_ids)).values_list(
            "member_id", "months_in_arrears"
        )
    )
    return {mid: standing_for(months.get(mid, 0)).label for mid in member_ids}


def arrears_list(
    *, min_months: int, statuses: Iterable[str] | None = None
) -> QuerySet[MemberLedger]:
    """The ledgers of members at least `min_months` behind, most behind first, then who
    owes most, then by member number (one index walks it, for any status or one): a query,
    to page or to stream."""
    member_ledgers_current()
    ledgers = MemberLedger.objects.filter(months_in_arrears__gte=max(min_months, 1))
    if statuses:
        ledgers = ledgers.filter(member_status__in=list(statuses))
    return ledgers.select_related("member__classification").order_by(
        "-months_in_arrears", "-balance", "member_number"
    )


def arrears_totals(
    *, min_months: int, statuses: Iterable[str] | None = None
) -> tuple[int, Decimal]:
    """How many members arrears_list holds and what they owe, from the kept totals."""
    member_ledgers_current()
    totals = _kept_totals("standing", statuses).filter(key__gte=max(min_months, 1))
    summed = totals.aggregate(count=Sum("count"), owed=Sum("amount"))
    return summed["count"] or 0, money(summed["owed"] or ZERO)


def standing_counts(statuses: Iterable[str]) -> dict[Standing, int]:
    """How many members of these statuses stand in each standing, from the kept totals
    (one query, whatever the size of the local)."""
    member_ledgers_current()
    statuses = list(statuses)
    delinquent_from = months_for(Standing.DELINQUENT)[0]
    counts = KeptTotal.objects.filter(
        measure__in=["members", "standing"], status__in=statuses
    ).aggregate(
        total=Sum("count", filter=Q(measure="members")),
        in_arrears=Sum("count", filter=Q(measure="standing", key__lt=delinquent_from)),
        delinquent=Sum("count", filter=Q(measure="standing", key__gte=delinquent_from)),
    )
    total, in_arrears, delinquent = (counts[name] or 0 for name in counts)
    return {
        Standing.GOOD: total - in_arrears - delinquent,
        Standing.IN_ARREARS: in_arrears,
        Standing.DELINQUENT: delinquent,
    }


def _kept_totals(measure: str, statuses: Iterable[str] | None = None) -> QuerySet[KeptTotal]:
    totals = KeptTotal.objects.filter(measure=measure)
    return totals.filter(status__in=list(statuses)) if statuses else totals


# --- Periods and collections --------------------------------------------------------------


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


_MONEY = DecimalField(max_digits=18, decimal_places=2)


def _money_of_the_period_month() -> dict:
    """What a period billed (its charges) and collected (received in its month, net of
    refunds made in it), from the kept totals: one subquery each, whatever the size."""
    month = ExpressionWrapper(OuterRef("year") * 100 + OuterRef("month"), IntegerField())
    return {
        "billed_total": _kept_sum("billed", OuterRef("pk"), "amount", _MONEY),
        "collected_total": _kept_sum("received", month, "amount", _MONEY)
        - _kept_sum("refunded", month, "amount", _MONEY),
    }


def _kept_sum(measure: str, key, column: str, output_field: Field) -> Coalesce:
    total = (
        KeptTotal.objects.filter(measure=measure, key=key)
        .values("measure")
        .annotate(v=Sum(column))
        .values("v")
    )
    return Coalesce(Subquery(total, output_field=output_field), Value(0), output_field=output_field)


def periods_with_totals(periods: QuerySet[DuesPeriod]) -> QuerySet[DuesPeriod]:
    """Each period with `charges_total` (how many), `billed_total` and `collected_total`
    (money received in its month, net of refunds made in it): one subquery per column,
    not a query per period."""
    return periods.annotate(
        charges_total=_kept_sum("billed", OuterRef("pk"), "count", IntegerField()),
        **_money_of_the_period_month(),
    )


def period_money(period: DuesPeriod) -> tuple[Decimal, Decimal]:
    """What the period billed and what was collected in its month."""
    totals = DuesPeriod.objects.filter(pk=period.pk).annotate(**_money_of_the_period_month()).get()
    return money(totals.billed_total), money(totals.collected_total)


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

    @property
    def closing(self) -> Decimal:
        return self.lines[-1].balance if self.lines else self.opening


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
    return Statement(member=member, start=start, end=end, opening=opening, lines=lines)
