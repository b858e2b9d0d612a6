"""The ledger rules of docs/design.md §4, as plain functions on amounts (no database here).

- balance = charges + adjustments - (received payments - their refunds): everything
  charged and not paid, charges not yet due included (negative: a credit).
- past due: the part of the balance owed by today (on charges past their due date).
- Payments apply to the oldest open charges first: the member's *credit* (received
  payments net of refunds, less adjustments: a waiver adds to it, a correction takes from
  it) covers charges in due-date order, each fully before the next.
- paid through: the last period whose charge, and every earlier one, is fully covered.
- months in arrears: periods past their due date whose charge is not fully covered.
- standing: good (0 months), in arrears (1 to ARREARS_DELINQUENT_MONTHS - 1),
  delinquent (ARREARS_DELINQUENT_MONTHS or more).
- when a month is owed (`Counting`): the day after its due date (the ledger's own rule);
  governance (compliance/) may count by month end or by quarter instead, as a local's
  arrears policy says.

selectors.member_dues_summary() applies these to one member in Python;
selectors.dues_standings() applies the same rules to thousands of members in one SQL
statement. A test holds the two to the same answers.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import models

from members.models import MemberStatus

ZERO = Decimal("0.00")
CENT = Decimal("0.01")


class Standing(models.TextChoices):
    GOOD = "good", "Good standing"
    IN_ARREARS = "in_arrears", "In arrears"
    DELINQUENT = "delinquent", "Delinquent"


# A member out of the union reads as such, never "good standing", whatever their dues.
STATUSES_OUT_OF_STANDING = frozenset(
    {MemberStatus.SUSPENDED, MemberStatus.DROPPED, MemberStatus.DECEASED}
)


def standing_label(status: str, months_in_arrears: int) -> str:
    """A member's standing as every office page words it: their status when it puts them
    out of standing (suspended, dropped, deceased), otherwise their dues standing."""
    if status in STATUSES_OUT_OF_STANDING:
        return MemberStatus(status).label
    return standing_for(months_in_arrears).label


def standing_tone(status: str, months_in_arrears: int) -> str:
    """The colour a standing is shown in (admin.css .standing-*): out of the union reads as
    delinquent."""
    if status in STATUSES_OUT_OF_STANDING:
        return Standing.DELINQUENT.value
    return standing_for(months_in_arrears).value


def past_due(balance: Decimal, charged_not_yet_owed: Decimal) -> Decimal:
    """What was owed by today and is not paid: the balance less the charges not yet past
    their due date. Credit covers the oldest charges first, so what is unpaid sits on the
    newest: the ones not yet due take it first."""
    return max(balance - charged_not_yet_owed, ZERO)


def standing_for(months_in_arrears: int) -> Standing:
    if months_in_arrears <= 0:
        return Standing.GOOD
    if months_in_arrears < settings.ARREARS_DELINQUENT_MONTHS:
        return Standing.IN_ARREARS
    return Standing.DELINQUENT


def months_for(standing: str) -> tuple[int, int | None]:
    """The months in arrears a standing covers: [low, high), high None for no bound."""
    delinquent = settings.ARREARS_DELINQUENT_MONTHS
    return {
        Standing.GOOD: (0, 1),
        Standing.IN_ARREARS: (1, delinquent),
        Standing.DELINQUENT: (delinquent, None),
    }[Standing(standing)]


def in_standing(standing: str, status: str, months_in_arrears: int) -> bool:
    """Whether a member of `status`, `months_in_arrears` behind, is listed under `standing`
    (the member list's filter and its counts; their SQL: dues.selectors.members_in_standing).
    Good standing is only ever a member's in the union, as standing_label words it: a
    suspended, dropped or deceased member who owes nothing is not in good standing. In
    arrears and delinquent go by the months behind alone: such a member who owes is behind
    all the same."""
    low, high = months_for(standing)
    behind = low <= months_in_arrears and (high is None or months_in_arrears < high)
    return behind and not (standing == Standing.GOOD and status in STATUSES_OUT_OF_STANDING)


class Counting(models.TextChoices):
    """When an unpaid month becomes a month owed, on the day `as_of`."""

    DUE_DATE = "due_date", "once its due date has passed"
    MONTH_END = "month_end", "once the month is over"
    QUARTER_START = "quarter_start", "from the first day of its quarter (dues quarterly in advance)"


def month_key(year: int, month: int) -> int:
    return year * 100 + month


def is_owed(
    counting: str, *, due_date: datetime.date, year: int, month: int, as_of: datetime.date
) -> bool:
    """Whether the charge of (year, month), unpaid, is a month owed on `as_of`."""
    if counting == Counting.DUE_DATE:
        return due_date < as_of
    today = month_key(as_of.year, as_of.month)
    if counting == Counting.MONTH_END:
        return month_key(year, month) < today
    return month_key(year, (month - 1) // 3 * 3 + 1) <= today


def outstanding_amounts(credit: Decimal, charges_oldest_first: Sequence[Decimal]) -> list[Decimal]:
    """What is still owed on each charge once `credit` has covered the oldest first."""
    left = credit
    owed = []
    for amount in charges_oldest_first:
        covered = min(amount, max(left, ZERO))
        owed.append(amount - covered)
        left -= covered
    return owed


def amounts_covered(
    credit_before: Decimal, amount: Decimal, charges_oldest_first: Sequence[Decimal]
) -> list[Decimal]:
    """What `amount`, received on top of `credit_before`, covers of each charge: the
    charges the credit before it left open, oldest first (a receipt's "what it paid")."""
    before = outstanding_amounts(credit_before, charges_oldest_first)
    after = outstanding_amounts(credit_before + amount, charges_oldest_first)
    return [owed - left for owed, left in zip(before, after, strict=True)]


def decimal_of(value: object) -> Decimal:
    """A Decimal exactly as given. A float is refused: it cannot hold cents exactly."""
    if isinstance(value, float):
        raise TypeError("Money must be a Decimal, an int or a string, never a float.")
    return value if isinstance(value, Decimal) else Decimal(str(value).strip())


def money(value: object) -> Decimal:
    """An exact amount of money, to the cent."""
    return decimal_of(value).quantize(CENT)


def working_dues(
    basis: str,
    rate: Decimal | None,
    *,
    floor: Decimal | None = None,
    cap: Decimal | None = None,
    gross_wages: Decimal | None = None,
    base_wages: Decimal | None = None,
    hours: Decimal | None = None,
) -> Decimal | None:
    """A month's working dues on what the member earned: `rate` percent of gross or base
    wages, or `rate` dollars per hour, within `floor` and `cap`, rounded half-up to the
    cent. ZERO without working dues; None when the earnings it needs were not reported."""
    if not basis:
        return ZERO
    earned = {"gross_wages": gross_wages, "base_wages": base_wages, "hours": hours}[basis]
    if earned is None:
        return None
    amount = earned * rate if basis == "hours" else earned * rate / 100
    if floor is not None:
        amount = max(amount, floor)
    if cap is not None:
        amount = min(amount, cap)
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)
