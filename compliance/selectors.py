"""What governance reads (docs/design.md §10): standing on a day by the arrears policy in force
then, eligibility, per-capita counts and the LM figures. The ledger's rules stay in dues;
this module asks them about a day and names what follows."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Count, Max, QuerySet, Sum
from django.db.models.functions import ExtractMonth
from django.utils import timezone

from checkoff.models import BatchStatus, RemittanceLine, SuspenseStatus
from checkoff.selectors import employers_month
from dues.ledger import ZERO
from dues.models import RECEIVED_STATUSES, Payment, Refund
from dues.selectors import dues_standings, member_dues_summary, members_deducted_at_source
from members.models import Classification, Member, MemberStatus

from .models import (
    ArrearsPolicy,
    ChangeKind,
    CountRule,
    FiscalYear,
    Ineligible,
    PerCapitaRate,
    PerCapitaReport,
    ReportStatus,
    StandingChange,
    StandingHold,
)

# --- The policy in force ------------------------------------------------------------------


def arrears_policy_on(day: datetime.date) -> ArrearsPolicy:
    """The version in force on `day`: the latest that took effect on or before it."""
    policy = (
        ArrearsPolicy.objects.filter(effective_date__lte=day).order_by("-effective_date").first()
    )
    if policy is None:
        raise ValidationError(
            f"No arrears policy was in force on {day}: add one in the admin (Arrears policies)."
        )
    return policy


# --- Standing on a day --------------------------------------------------------------------


@dataclass(frozen=True)
class StandingOn:
    """A member's standing on a day by the policy in force then, from the records as they
    stood at the end of that day."""

    member_id: int
    day: datetime.date
    policy: ArrearsPolicy
    status: str
    joined: bool
    months_owed: int
    balance: Decimal
    paid_through: str | None
    first_uncovered_due: datetime.date | None
    checkoff_protected: bool

    @property
    def in_good_standing(self) -> bool:
        return self.joined and self.status == MemberStatus.ACTIVE and self.months_owed == 0

    @property
    def reason_code(self) -> str:
        if not self.joined:
            return Ineligible.NOT_YET_MEMBER
        if self.status != MemberStatus.ACTIVE:
            return Ineligible.STATUS
        if self.months_owed:
            return Ineligible.MONTHS_OWED
        return ""

    @property
    def reason(self) -> str:
        code = self.reason_code
        if code == Ineligible.NOT_YET_MEMBER:
            return f"Not yet a member on {self.day}."
        if code == Ineligible.STATUS:
            return f"{MemberStatus(self.status).label} on {self.day}."
        if code == Ineligible.MONTHS_OWED:
            return (
                f"Owed {self.months_owed} month(s) of dues (${self.balance:,}) on {self.day}, "
                f"by arrears policy {self.policy.version}."
            )
        if self.checkoff_protected:
            return "In good standing: dues deducted by an employer that has not remitted yet."
        return "In good standing."


def statuses_on(day: datetime.date, member_ids: Iterable[int] | None = None) -> dict[int, str]:
    """Member id → status at the end of `day`, for the members whose status the arrears
    policy or an officer changed (the others: their status now). The decisions say it:
    the last one by that day gives its new status; else the first after it, its old."""
    changes = StandingChange.objects.exclude(kind=ChangeKind.NOTICE)
    if member_ids is not None:
        changes = changes.filter(member_id__in=list(member_ids))
    found: dict[int, str] = {}
    for member_id, effective_on, before, after in changes.order_by(
        "member_id", "effective_on", "id"
    ).values_list("member_id", "effective_on", "from_status", "to_status"):
        if effective_on <= day:
            found[member_id] = after
        else:
            found.setdefault(member_id, before)
    return found


def standings_on(
    day: datetime.date, members: QuerySet[Member] | None = None
) -> dict[int, StandingOn]:
    """Every member's (of `members`, default all) standing on `day`, set-based: one
    statement for the ledger, one for status changes, one for check-off."""
    policy = arrears_policy_on(day)
    counting, asked = policy.counting_on(day)
    members = members if members is not None else Member.objects.all()
    ledgers = dues_standings(members, asked, recorded_by=day, counting=counting)
    rows = list(members.values_list("id", "status", "join_date"))
    # Many members: read everyone's changes and authorizations rather than send a list of
    # ids longer than a statement may carry (the ones not asked about are not looked up).
    ids = None if len(rows) > 5000 else [row[0] for row in rows]
    statuses = statuses_on(day, ids)
    on_checkoff = members_deducted_at_source(day, ids)
    return {
        member_id: _standing(
            member_id,
            day,
            policy,
            statuses.get(member_id, status),
            join_date,
            ledgers.get(member_id),
            member_id in on_checkoff,
        )
        for member_id, status, join_date in rows
    }


def standing_on(member: Member, day: datetime.date) -> StandingOn:
    """One member's standing on `day`: the same answer as standings_on(), by the ledger's
    one-member rules."""
    policy = arrears_policy_on(day)
    counting, asked = policy.counting_on(day)
    dues = member_dues_summary(member, asked, recorded_by=day, counting=counting)
    ledger = _Ledger(
        balance=dues.balance,
        months_in_arrears=dues.months_in_arrears,
        paid_through=str(dues.paid_through) if dues.paid_through else None,
        first_uncovered_due=dues.open_charges[0].period.due_date if dues.open_charges else None,
    )
    status = statuses_on(day, [member.pk]).get(member.pk, member.status)
    on_checkoff = member.pk in members_deducted_at_source(day, [member.pk])
    return _standing(member.pk, day, policy, status, member.join_date, ledger, on_checkoff)


@dataclass(frozen=True)
class _Ledger:
    balance: Decimal = ZERO
    months_in_arrears: int = 0
    paid_through: str | None = None
    first_uncovered_due: datetime.date | None = None


def _standing(member_id, day, policy, status, join_date, ledger, on_checkoff) -> StandingOn:
    ledger = ledger or _Ledger()
    # Protection mattered when a month the member has not paid was due and not counted.
    unpaid_due = ledger.first_uncovered_due is not None and ledger.first_uncovered_due <= day
    return StandingOn(
        member_id=member_id,
        day=day,
        policy=policy,
        status=status,
        joined=join_date <= day,
        months_owed=ledger.months_in_arrears,
        balance=ledger.balance,
        paid_through=ledger.paid_through,
        first_uncovered_due=ledger.first_uncovered_due,
        checkoff_protected=on_checkoff and unpaid_due and ledger.months_in_arrears == 0,
    )


@dataclass(frozen=True)
class ContinuousStanding:
    ok: bool
    breaks: list[datetime.date]


def continuous_standing(
    member: Member, start: datetime.date, end: datetime.date
) -> ContinuousStanding:
    """Whether the member stood in good standing at every month end from `start` to
    `end` (candidacy rules ask for months of it), by the records as they stood at each:
    a payment made late does not mend a month that was owed."""
    breaks = []
    day = _month_end(start)
    while day <= end:
        if not standing_on(member, day).in_good_standing:
            breaks.append(day)
        day = _month_end(day + datetime.timedelta(days=1))
    return ContinuousStanding(ok=not breaks, breaks=breaks)


def _month_end(day: datetime.date) -> datetime.date:
    following = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return following - datetime.timedelta(days=1)


def month_end(year: int, month: int) -> datetime.date:
    return _month_end(datetime.date(year, month, 1))


def holds_open(member_ids: Iterable[int] | None = None) -> dict[int, StandingHold]:
    holds = StandingHold.objects.filter(released_at__isnull=True)
    if member_ids is not None:
        holds = holds.filter(member_id__in=list(member_ids))
    return {hold.member_id: hold for hold in holds}


# --- Per capita ---------------------------------------------------------------------------


def per_capita_counted(affiliate, year: int, month: int) -> dict[int, int]:
    """Member id → classification id of every member the affiliate's rule counts for the
    month, by the records as they stood at its end."""
    day = month_end(year, month)
    members = Member.objects.filter(join_date__lte=day)
    classes = dict(members.values_list("id", "classification_id"))
    statuses = statuses_on(day)
    now = dict(members.values_list("id", "status"))
    active = {mid for mid in classes if statuses.get(mid, now[mid]) == MemberStatus.ACTIVE}
    if affiliate.count_rule == CountRule.ON_ROLL:
        counted = active
    elif affiliate.count_rule == CountRule.DUES_RECEIVED:
        paid = dues_standings(members, day, recorded_by=day)
        key = f"{year}-{month:02d}"
        counted = {mid for mid in active if paid.get(mid) and (paid[mid].paid_through or "") >= key}
    else:
        standing = standings_on(day, members)
        counted = {mid for mid in active if standing[mid].in_good_standing}
    return {mid: classes[mid] for mid in counted}


def per_capita_rates(affiliate, year: int, month: int) -> dict[int | None, Decimal]:
    """Classification id (None: every other) → the rate in force on the month's first day."""
    first = datetime.date(year, month, 1)
    rates = (
        PerCapitaRate.objects.filter(affiliate=affiliate, effective_date__lte=first)
        .exclude(end_date__lt=first)
        .order_by("effective_date", "id")
    )
    return {rate.classification_id: rate.amount for rate in rates}


def per_capita_previous(report: PerCapitaReport) -> PerCapitaReport | None:
    year, month = (report.year, report.month - 1) if report.month > 1 else (report.year - 1, 12)
    return PerCapitaReport.objects.filter(
        affiliate=report.affiliate, year=year, month=month
    ).first()


# --- LM figures ---------------------------------------------------------------------------

LM3_FROM = Decimal("10000.00")
# Members the Schedule 13 counts: on the roll, not suspended, dropped or dead.
ON_THE_ROLL = (MemberStatus.ACTIVE, MemberStatus.RETIRED)
LM2_FROM = Decimal("250000.00")
SCHEDULE_1_FROM = Decimal("5000.00")


def lm_form(total_receipts: Decimal, *, in_trusteeship: bool) -> str:
    """The annual report a local files (OLMS): LM-2 in trusteeship or from $250,000 of
    receipts, LM-3 from $10,000, else LM-4."""
    if in_trusteeship or total_receipts >= LM2_FROM:
        return "LM-2"
    if total_receipts >= LM3_FROM:
        return "LM-3"
    return "LM-4"


@dataclass
class CategoryCount:
    classification: Classification
    count: int


@dataclass
class Receivable:
    employer: object
    year: int
    month: int
    due: datetime.date
    owed: Decimal
    days_past_due: int


@dataclass
class LmFigures:
    year: int
    start: datetime.date
    end: datetime.date
    facts: FiscalYear
    dues_by_month: list[tuple[int, Decimal]]
    dues_receipts: Decimal
    refunds: Decimal
    suspense_receipts: Decimal
    per_capita_paid: Decimal
    categories: list[CategoryCount]
    receivables: list[Receivable] = field(default_factory=list)

    @property
    def total_receipts(self) -> Decimal:
        return self.dues_receipts + self.suspense_receipts + self.facts.other_receipts

    @property
    def form(self) -> str:
        return lm_form(self.total_receipts, in_trusteeship=self.facts.in_trusteeship)

    @property
    def members(self) -> int:
        return sum(c.count for c in self.categories)

    @property
    def schedule_1(self) -> list[Receivable]:
        """Employers owing $5,000 or more 90 days or more past due (LM-2 Schedule 1)."""
        owed: dict[int, Decimal] = defaultdict(Decimal)
        for row in self.receivables:
            owed[row.employer.pk] += row.owed
        return [row for row in self.receivables if owed[row.employer.pk] >= SCHEDULE_1_FROM]


def lm_latest_year(today: datetime.date | None = None) -> int:
    """The fiscal year the LM page opens on: the latest, to this one, with money received
    (dues, check-off, or other receipts entered); last year when there is none yet."""
    year = (today or timezone.localdate()).year
    end = datetime.date(year, 12, 31)
    found = [
        day.year
        for day in (
            Payment.objects.filter(status__in=RECEIVED_STATUSES, received_date__lte=end).aggregate(
                last=Max("received_date")
            )["last"],
            RemittanceLine.objects.filter(
                batch__status=BatchStatus.POSTED, batch__received_on__lte=end
            ).aggregate(last=Max("batch__received_on"))["last"],
        )
        if day is not None
    ]
    found += FiscalYear.objects.filter(year__lte=year).values_list("year", flat=True)[:1]
    return max(found, default=year - 1)


def lm_figures(year: int) -> LmFigures:
    """The figures of the annual report for the fiscal year ending in `year` (calendar
    year): receipts by the date received, to the cent."""
    start, end = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    facts = FiscalYear.objects.filter(year=year).first() or FiscalYear(year=year)
    received = Payment.objects.filter(
        status__in=RECEIVED_STATUSES, received_date__gte=start, received_date__lte=end
    )
    by_month = dict(
        received.annotate(m=ExtractMonth("received_date"))
        .values("m")
        .annotate(total=Sum("amount"))
        .values_list("m", "total")
    )
    dues_by_month = [(m, by_month.get(m) or ZERO) for m in range(1, 13)]
    refunds = (
        Refund.objects.filter(refunded_date__gte=start, refunded_date__lte=end).aggregate(
            total=Sum("amount")
        )["total"]
        or ZERO
    )
    # Check-off money in suspense was received too, though no member's yet.
    suspense = (
        RemittanceLine.objects.filter(
            suspense__in=[SuspenseStatus.OPEN, SuspenseStatus.RETURNED],
            batch__status=BatchStatus.POSTED,
            batch__received_on__gte=start,
            batch__received_on__lte=end,
        ).aggregate(total=Sum("amount"))["total"]
        or ZERO
    )
    per_capita = (
        PerCapitaReport.objects.filter(
            status=ReportStatus.PAID, paid_on__gte=start, paid_on__lte=end
        ).aggregate(total=Sum("amount"))["total"]
        or ZERO
    )
    counts = dict(
        Member.objects.filter(join_date__lte=end, status__in=ON_THE_ROLL)
        .values("classification")
        .annotate(n=Count("id"))
        .values_list("classification", "n")
    )
    categories = [
        CategoryCount(c, counts.get(c.pk, 0)) for c in Classification.objects.order_by("code")
    ]
    return LmFigures(
        year=year,
        start=start,
        end=end,
        facts=facts,
        dues_by_month=[(m, total) for m, total in dues_by_month],
        dues_receipts=sum((t for _, t in dues_by_month), ZERO),
        refunds=refunds,
        suspense_receipts=suspense,
        per_capita_paid=per_capita,
        categories=categories,
        receivables=_receivables(end),
    )


def _receivables(end: datetime.date) -> list[Receivable]:
    """Employers' remittances 90 days or more past due at `end`: what their authorized
    members owed for a work month, less what they remitted."""
    found = []
    for back in range(1, 25):
        year, month = end.year, end.month - back
        while month < 1:
            year, month = year - 1, month + 12
        for row in employers_month(year, month, today=end):
            days = (end - row.due).days
            if row.difference < 0 and days >= 90:
                found.append(Receivable(row.employer, year, month, row.due, -row.difference, days))
    return sorted(found, key=lambda r: (r.employer.code, r.year, r.month))
