"""Periods, rates and charges: what members owe."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from appkit.sql import among
from appkit.text import counted
from audit.actors import Actor, saved_by
from audit.history import history_of_inserted
from jobs.progress import Progress
from members.models import Classification, Member, MemberStatus

from ..extensions import AFTER_CHARGING, ARREARS_PROTECTION
from ..ledger import decimal_of, money
from ..models import DuesCharge, DuesPeriod, DuesRate, MemberLedger
from ..selectors import charge_order, dues_rates_on, exact_decimal
from .ledgers import member_ledgers_refresh
from .money import positive_amount, signed_amount

if TYPE_CHECKING:
    pass


# --- Periods and charges ------------------------------------------------------------------


@transaction.atomic
def dues_period_create(
    *, year: int, month: int, due_date: datetime.date | None = None, actor: Actor
) -> DuesPeriod:
    """A month's dues period; due on its last day unless said otherwise."""
    if not 1 <= month <= 12:
        raise ValidationError({"month": "A month is 1 to 12."})
    if not 1900 <= year <= 2200:
        raise ValidationError({"year": "A year from 1900 to 2200."})
    period = DuesPeriod(year=year, month=month, due_date=datetime.date(year, month, 1))
    period.due_date = due_date or period.last_day
    period.full_clean()
    saved_by(period, actor=actor)
    return period


@transaction.atomic
def dues_period_due_date_change(
    *, period: DuesPeriod, due_date: datetime.date, actor: Actor
) -> DuesPeriod:
    """Move a period's due date: its charges fall due then, so the ledgers of the members
    charged for it are worked out again (their order and months in arrears may change)."""
    # Lock the period: a generation run and this change take turns.
    period = DuesPeriod.objects.select_for_update().get(pk=period.pk)
    period.due_date = due_date
    period.full_clean()
    saved_by(period, actor=actor)
    member_ledgers_refresh(period.charges.values_list("member_id", flat=True))
    return period


@transaction.atomic
def dues_rate_create(
    *,
    classification: Classification,
    monthly_amount: object,
    effective_date: datetime.date,
    end_date: datetime.date | None = None,
    working_basis: str = "",
    working_rate: object | None = None,
    working_floor: object | None = None,
    working_cap: object | None = None,
    actor: Actor,
) -> DuesRate:
    """A classification's dues from `effective_date` (to `end_date`, if given): the flat
    monthly amount, and working dues if `working_basis` is given."""
    if working_basis:
        flat = signed_amount(monthly_amount, field_name="monthly_amount")
        if flat < 0:
            raise ValidationError({"monthly_amount": "The monthly amount cannot be negative."})
    else:
        flat = positive_amount(monthly_amount, field_name="monthly_amount")
    rate = DuesRate(
        classification=classification,
        monthly_amount=flat,
        effective_date=effective_date,
        end_date=end_date,
        working_basis=working_basis or "",
        working_rate=_working_rate(working_rate),
        working_floor=_optional_money(working_floor, "working_floor"),
        working_cap=_optional_money(working_cap, "working_cap"),
    )
    rate.full_clean()
    saved_by(rate, actor=actor)
    return rate


def _working_rate(value: object | None) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        rate = decimal_of(value)
    except InvalidOperation:
        raise ValidationError({"working_rate": f"{value!r} is not a number."}) from None
    if not rate.is_finite() or rate <= 0:
        raise ValidationError({"working_rate": "A working dues rate is more than zero."})
    return rate


def _optional_money(value: object | None, field_name: str) -> Decimal | None:
    return None if value in (None, "") else positive_amount(value, field_name=field_name)


@dataclass
class ChargeGeneration:
    period: DuesPeriod
    created: int = 0
    already_charged: int = 0
    # Active members left uncharged because their classification has no rate.
    skipped_no_rate: list[Member] = field(default_factory=list)

    def __str__(self) -> str:
        text = f"{self.period}: {counted(self.created, 'charge')} created"
        if self.already_charged:
            text += f", {counted(self.already_charged, 'member')} already charged"
        if self.skipped_no_rate:
            codes = sorted({m.classification.code for m in self.skipped_no_rate})
            text += (
                f"; {counted(len(self.skipped_no_rate), 'member')} skipped: no dues rate for "
                f"{', '.join(codes)} on {self.period.first_day}"
            )
        return text + "."


# Members charged per transaction: memory stays flat, the audit trail's head is not held
# for long, and a crash loses one batch at most (a run again finishes the rest).
GENERATION_BATCH = 5000


def dues_charges_generate(
    *, period: DuesPeriod, actor: Actor, progress: Progress | None = None
) -> ChargeGeneration:
    """Charge every active member (who had joined by the period's end) at their rate on
    the period's first day, with each charge's history row and audit event, and their
    ledgers, set-based, a batch of members at a time. Running it again creates nothing new:
    a member has one charge per period whoever runs it, even two runs at once (the unique
    index decides; the second run's INSERT skips what the first wrote)."""
    progress = progress or Progress()
    in_force = dues_rates_on(period.first_day)
    eligible = Member.objects.filter(status=MemberStatus.ACTIVE, join_date__lte=period.last_day)
    result = ChargeGeneration(period=period)
    result.skipped_no_rate = list(
        eligible.exclude(classification_id__in=list(in_force)).select_related("classification")
    )
    # A rate of working dues only (no flat amount) is charged by the employer's remittance.
    rates = {code: rate for code, rate in in_force.items() if rate.monthly_amount > 0}
    chargeable = eligible.filter(classification_id__in=list(rates)).order_by("id")
    total = chargeable.count()
    progress.step(f"Charging members for {period}", total=total)
    charged_before = chargeable.filter(dues_charges__period=period).count()
    if charged_before == total:  # run again: nothing to create, and nothing to scan for
        result.already_charged = charged_before
        progress.advance(total)
        return result
    after = 0
    while True:
        with transaction.atomic():
            ids = list(
                chargeable.filter(id__gt=after).values_list("id", flat=True)[:GENERATION_BATCH]
            )
            if not ids:
                break
            after = ids[-1]
            result.created += _charge_batch(period, rates, ids, actor)
        progress.advance(len(ids))
    if result.created >= GENERATION_BATCH:
        _statistics_renewed()
    if result.created:
        for after_charging in AFTER_CHARGING.declarations():
            transaction.on_commit(lambda run=after_charging.run: run(period.pk))
    result.already_charged = chargeable.filter(dues_charges__period=period).count() - result.created
    return result


def _charge_batch(period: DuesPeriod, rates: dict[int, DuesRate], ids: list[int], actor) -> int:
    """Charge these members (those not charged yet): the charges, their history rows and
    audit events, and their ledgers. Returns how many were charged."""
    now = timezone.now()
    rate_of = " ".join(f"WHEN {int(c)} THEN {int(r.pk)}" for c, r in rates.items())
    charge = DuesCharge._meta.db_table
    ids_sql, ids_params = among("m.id", ids)
    insert = (
        f"INSERT INTO {charge} (member_id, period_id, amount, rate_id, created_at) "
        f"SELECT m.id, %(period)s, r.monthly_amount, r.id, %(now)s FROM {Member._meta.db_table} m "
        f"JOIN {DuesRate._meta.db_table} r ON r.id = CASE m.classification_id {rate_of} END "
        # The unique index alone skips who is charged already: an anti-join here would be
        # planned on statistics that the batches before this one have just made stale.
        f"WHERE {ids_sql} ON CONFLICT (member_id, period_id) DO NOTHING "
        "RETURNING id, member_id, amount, rate_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(insert, {"period": period.pk, "now": now, **ids_params})
        created = cursor.fetchall()
    if not created:
        return 0
    history_of_inserted(DuesCharge, [charge_id for charge_id, *_ in created], actor=actor)
    _ledgers_charged(period, [(row[1], money(exact_decimal(row[2]))) for row in created])
    return len(created)


def _ledgers_charged(period: DuesPeriod, created: list[tuple[int, Decimal]]) -> None:
    """Add the period's new charges (member id, amount) to the members' kept ledgers. A
    charge that sorts after every other charge of the member (the usual: this month's) is
    added in place, set-based, one UPDATE per amount (no join for the planner to misjudge);
    a member with no ledger yet, or whose latest charge sorts later (a past period charged
    late), is worked out again by the rules."""
    order = charge_order(period)
    ids_sql, ids = among("member_id", [member_id for member_id, _ in created])
    table = MemberLedger._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT member_id, last_charge_order FROM {table} WHERE {ids_sql}", ids)
        kept = dict(cursor.fetchall())
    redo = {m for m, _ in created if m not in kept or kept[m] > order}
    if period.due_date < timezone.localdate() and ARREARS_PROTECTION.declarations():
        # A charge already past due counts as a month in arrears unless a rule protects
        # it: worked out by the rules, not in place.
        redo = {m for m, _ in created}
    if redo:
        member_ledgers_refresh(redo)
    by_amount: dict[Decimal, list[int]] = defaultdict(list)
    for member_id, amount in created:
        if member_id not in redo:
            by_amount[amount].append(member_id)
    # Every SET reads the row as it was: "covered" is whether the credit left after the
    # earlier charges covers this one (and nothing before it is open).
    covered = "(first_uncovered_due IS NULL AND ROUND(credit - charged - %(amount)s, 2) >= 0)"
    update = (
        f"UPDATE {table} SET "
        "charged = charged + %(amount)s, balance = balance + %(amount)s, "
        f"paid_through = CASE WHEN {covered} THEN %(key)s ELSE paid_through END, "
        f"months_in_arrears = months_in_arrears + CASE WHEN NOT {covered} "
        "AND %(due)s < as_of THEN 1 ELSE 0 END, "
        f"next_due = CASE WHEN NOT {covered} AND %(due)s >= as_of "
        "AND (next_due IS NULL OR %(due)s < next_due) THEN %(due)s ELSE next_due END, "
        f"first_uncovered_due = CASE WHEN first_uncovered_due IS NULL AND NOT {covered} "
        "THEN %(due)s ELSE first_uncovered_due END, "
        "last_charge_order = %(order)s WHERE "
    )
    params = {"key": period.year * 100 + period.month, "due": period.due_date, "order": order}
    for amount, members in by_amount.items():
        ids_sql, ids_params = among("member_id", members)
        with connection.cursor() as cursor:
            cursor.execute(update + ids_sql, {**params, "amount": amount, **ids_params})


def _statistics_renewed() -> None:
    """After a bulk load, tell PostgreSQL's planner at once what the tables now hold: a
    hundred thousand new rows can stay under autovacuum's threshold on a big table, and a
    run again planned on stale statistics scans where it should look up. (Only the tables'
    owner may; as the least-privilege role this is skipped with a notice, and the run
    again stays quick all the same: it first counts what is missing.)"""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in (DuesCharge, DuesCharge.history.model, MemberLedger):
            cursor.execute(f"ANALYZE {model._meta.db_table}")
