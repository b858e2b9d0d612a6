"""Reads of what members are billed by: the rates in force on a day, a period by its month
(dues/services/billing.py writes them)."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db.models import Q

from ..models import DuesPeriod, DuesRate


def dues_rates_on(day: datetime.date) -> dict[int, DuesRate]:
    """Classification id → the rate in force on `day` (the latest effective date wins)."""
    rates = DuesRate.objects.filter(
        Q(end_date__isnull=True) | Q(end_date__gte=day), effective_date__lte=day
    ).order_by("classification_id", "effective_date", "id")
    return {rate.classification_id: rate for rate in rates}


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
