"""Periods, rates and charges: what members owe."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from simple_history.utils import bulk_create_with_history

from members.models import Classification, Member, MemberStatus

from ..models import (
    DuesCharge,
    DuesPeriod,
    DuesRate,
)
from ..selectors import dues_rates_on
from .ledgers import member_ledgers_refresh
from .money import positive_amount

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    User = AbstractBaseUser | None


# --- Periods and charges ------------------------------------------------------------------


@transaction.atomic
def dues_period_create(
    *, year: int, month: int, due_date: datetime.date | None = None, actor: User = None
) -> DuesPeriod:
    """A month's dues period; due on its last day unless said otherwise."""
    if not 1 <= month <= 12:
        raise ValidationError({"month": "A month is 1 to 12."})
    if not 1900 <= year <= 2200:
        raise ValidationError({"year": "A year from 1900 to 2200."})
    period = DuesPeriod(year=year, month=month, due_date=datetime.date(year, month, 1))
    period.due_date = due_date or period.last_day
    period._history_user = actor
    period.full_clean()
    period.save()
    return period


@transaction.atomic
def dues_period_due_date_change(
    *, period: DuesPeriod, due_date: datetime.date, actor: User = None
) -> DuesPeriod:
    """Move a period's due date: its charges fall due then, so the ledgers of the members
    charged for it are worked out again (their order and months in arrears may change)."""
    # Lock the period: a generation run and this change take turns.
    period = DuesPeriod.objects.select_for_update().get(pk=period.pk)
    period.due_date = due_date
    period.full_clean()
    period._history_user = actor
    period.save()
    member_ledgers_refresh(period.charges.values_list("member_id", flat=True))
    return period


@transaction.atomic
def dues_rate_create(
    *,
    classification: Classification,
    monthly_amount: object,
    effective_date: datetime.date,
    end_date: datetime.date | None = None,
    actor: User = None,
) -> DuesRate:
    """A classification's monthly dues from `effective_date` (to `end_date`, if given)."""
    rate = DuesRate(
        classification=classification,
        monthly_amount=positive_amount(monthly_amount, field_name="monthly_amount"),
        effective_date=effective_date,
        end_date=end_date,
    )
    rate.full_clean()
    rate._history_user = actor
    rate.save()
    return rate


@dataclass
class ChargeGeneration:
    period: DuesPeriod
    created: int = 0
    already_charged: int = 0
    # Active members left uncharged because their classification has no rate.
    skipped_no_rate: list[Member] = field(default_factory=list)

    def __str__(self) -> str:
        text = f"{self.period}: {self.created} charges created"
        if self.already_charged:
            text += f", {self.already_charged} members already charged"
        if self.skipped_no_rate:
            codes = sorted({m.classification.code for m in self.skipped_no_rate})
            text += (
                f"; {len(self.skipped_no_rate)} members skipped: no dues rate for "
                f"{', '.join(codes)} on {self.period.first_day}"
            )
        return text + "."


@transaction.atomic
def dues_charges_generate(*, period: DuesPeriod, actor: User = None) -> ChargeGeneration:
    """Charge every active member (who had joined by the period's end) at their rate on
    the period's first day. Running it again creates nothing new."""
    # Two runs for one period take turns on the period's row; the second then sees the
    # first one's charges and creates none.
    period = DuesPeriod.objects.select_for_update().get(pk=period.pk)
    rates = dues_rates_on(period.first_day)
    eligible = Member.objects.filter(status=MemberStatus.ACTIVE, join_date__lte=period.last_day)
    result = ChargeGeneration(period=period)
    result.already_charged = eligible.filter(dues_charges__period=period).count()

    charges = []
    for member in eligible.exclude(dues_charges__period=period).select_related("classification"):
        rate = rates.get(member.classification_id)
        if rate is None:
            result.skipped_no_rate.append(member)
            continue
        charges.append(
            DuesCharge(member=member, period=period, amount=rate.monthly_amount, rate=rate)
        )
    bulk_create_with_history(charges, DuesCharge, batch_size=5000, default_user=actor)
    member_ledgers_refresh(charge.member_id for charge in charges)
    result.created = len(charges)
    return result
