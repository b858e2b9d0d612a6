"""Reads of what the database keeps: each member's ledger (MemberLedger, kept by
dues/services/ledgers.py) and the totals of the whole local (KeptTotal, kept by trigger:
dues/kept_totals.py). Pages about many members read these, not the tables.

Only reads: a kept ledger is worked out as of a day, and months in arrears grow when a
charge falls due. A caller that needs them up to today first calls the service
member_ledgers_bring_up_to_date() (none to redo, most days; the nightly job does it
first)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import (
    DecimalField,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from members.models import Member, MemberStatus

from ..ledger import (
    STATUSES_OUT_OF_STANDING,
    ZERO,
    Standing,
    money,
    months_for,
    standing_label,
)
from ..models import DuesCharge, DuesPeriod, KeptTotal, MemberLedger
from ..words import balance_words

if TYPE_CHECKING:
    from django.db.models import Field

# --- Members, from their kept ledgers (MemberLedger) --------------------------------------


def member_ledger(member: Member) -> MemberLedger:
    """One member's kept ledger, with its `past_due` (one query); a member with none owes
    nothing. Up to today once member_ledgers_bring_up_to_date(member_ids=[member.pk]) has
    run."""
    ledger = MemberLedger.objects.filter(member=member).annotate(past_due=_past_due_sql()).first()
    if ledger is None:
        ledger = MemberLedger(member=member, as_of=timezone.localdate())
        ledger.past_due = ZERO
    return ledger


def members_in_standing(members: QuerySet[Member], standing: str) -> QuerySet[Member]:
    """The `standing` filter of the member list (dues.ledger.in_standing, in SQL): a range
    of months in arrears, read from the kept ledgers (a member with none owes nothing);
    good standing only for a member in the union."""
    low, high = months_for(standing)
    if low == 0:
        members = members.exclude(status__in=STATUSES_OUT_OF_STANDING)
        return members.exclude(ledger__months_in_arrears__gte=high)
    members = members.filter(ledger__months_in_arrears__gte=low)
    return members.filter(ledger__months_in_arrears__lt=high) if high else members


def members_in_standing_count(standing: str, status: str | None = None) -> int:
    """How many members (of a status, or any) members_in_standing lets through, from the
    kept totals: one query, whatever the size of the local."""
    statuses = [status] if status else None
    low, high = months_for(standing)
    if low == 0:
        # Good standing: the members of the statuses in the union, less those behind.
        asked = statuses or MemberStatus.values
        statuses = [s for s in asked if s not in STATUSES_OUT_OF_STANDING]
        if not statuses:
            return 0
        members = _kept_totals("members", statuses).aggregate(n=Sum("count"))["n"] or 0
        return members - _behind_count(statuses, high, None)
    return _behind_count(statuses, low, high)


def _behind_count(statuses: list[str] | None, low: int, high: int | None) -> int:
    behind = _kept_totals("standing", statuses).filter(key__gte=low)
    if high is not None:
        behind = behind.filter(key__lt=high)
    return behind.aggregate(n=Sum("count"))["n"] or 0


def member_standing_labels(member_ids: Iterable[int]) -> dict[int, str]:
    """Member id → standing as the office words it (dues.ledger.standing_label: a dropped
    member reads "Dropped"), for a page of members (one query)."""
    found = Member.objects.filter(pk__in=list(member_ids)).values_list(
        "pk", "status", "ledger__months_in_arrears"
    )
    return {pk: standing_label(status, months or 0) for pk, status, months in found}


def member_balances(member_ids: Iterable[int]) -> dict[int, str]:
    """Member id → balance in the office's words ("$92.00", "$5.00 credit"), from the kept
    ledgers, for a page of members (one query); a member never charged owes nothing."""
    ids = list(member_ids)
    kept = dict(MemberLedger.objects.filter(member_id__in=ids).values_list("member_id", "balance"))
    return {pk: balance_words(kept.get(pk, ZERO)) for pk in ids}


def arrears_list(
    *, min_months: int, statuses: Iterable[str] | None = None
) -> QuerySet[MemberLedger]:
    """The ledgers of members at least `min_months` behind, most behind first, then who
    owes most, then by member number (one index walks it, for any status or one): a query,
    to page or to stream."""
    ledgers = MemberLedger.objects.filter(months_in_arrears__gte=max(min_months, 1))
    if statuses:
        ledgers = ledgers.filter(member_status__in=list(statuses))
    return (
        ledgers.select_related("member__classification")
        .annotate(past_due=_past_due_sql())
        .order_by("-months_in_arrears", "-balance", "member_number")
    )


def _past_due_sql() -> Greatest:
    """dues.ledger.past_due in SQL, for each kept ledger of a query: its balance less the
    member's charges not yet past their due date, never below zero."""
    not_yet = (
        DuesCharge.objects.filter(
            member_id=OuterRef("member_id"), period__due_date__gte=timezone.localdate()
        )
        .values("member_id")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    money_field = DecimalField(max_digits=16, decimal_places=2)
    return Greatest(
        F("balance") - Coalesce(Subquery(not_yet, output_field=money_field), Value(ZERO)),
        Value(ZERO),
        output_field=money_field,
    )


def arrears_totals(
    *, min_months: int, statuses: Iterable[str] | None = None
) -> tuple[int, Decimal]:
    """How many members arrears_list holds and what they owe, from the kept totals."""
    totals = _kept_totals("standing", statuses).filter(key__gte=max(min_months, 1))
    summed = totals.aggregate(count=Sum("count"), owed=Sum("amount"))
    return summed["count"] or 0, money(summed["owed"] or ZERO)


def standing_counts(statuses: Iterable[str]) -> dict[Standing, int]:
    """How many members of these statuses stand in each standing, from the kept totals
    (one query, whatever the size of the local)."""
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


# --- Periods, from the kept totals (KeptTotal) ---------------------------------------------

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
