from __future__ import annotations

import datetime
from decimal import Decimal

import factory

from dues.models import DuesPeriod, DuesRate
from members.tests.factories import ClassificationFactory


class DuesRateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DuesRate

    classification = factory.SubFactory(ClassificationFactory)
    monthly_amount = Decimal("45.00")
    effective_date = datetime.date(2020, 1, 1)


class DuesPeriodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DuesPeriod
        django_get_or_create = ["year", "month"]

    year = 2026
    month = 1
    due_date = factory.LazyAttribute(lambda p: DuesPeriod(year=p.year, month=p.month).last_day)


def periods(year: int, months) -> list[DuesPeriod]:
    return [DuesPeriodFactory(year=year, month=m) for m in months]
