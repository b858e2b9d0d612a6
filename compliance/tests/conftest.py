from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from dues.services import dues_charges_generate
from dues.tests.factories import DuesPeriodFactory, DuesRateFactory
from members.tests.factories import ClassificationFactory, MemberFactory, UserFactory

from .factories import ArrearsPolicyFactory


@pytest.fixture(autouse=True)
def _ledgers_agree_after_each_test(ledgers_agree):
    pass


@pytest.fixture
def journeyman():
    classification = ClassificationFactory(code="JW", name="Journeyman Wireman")
    DuesRateFactory(classification=classification, monthly_amount=Decimal("45.00"))
    return classification


@pytest.fixture
def officer():
    return UserFactory(username="officer", role="Officer")


@pytest.fixture
def policy():
    """Dues in advance (due the 1st), no grace: notice at 1 month, suspended at 3, dropped
    at 6, a $30.00 reinstatement fee."""
    return ArrearsPolicyFactory(reinstatement_fee=Decimal("30.00"))


def month_periods(year: int, months) -> list:
    """Periods due on the first of their month (dues in advance)."""
    return [
        DuesPeriodFactory(year=year, month=m, due_date=datetime.date(year, m, 1)) for m in months
    ]


@pytest.fixture
def in_advance_2026(journeyman):
    """January to June 2026, due on the 1st, charged to every active member."""

    def charge(*members):
        for period in month_periods(2026, range(1, 7)):
            dues_charges_generate(period=period, actor="tests")

    return charge


@pytest.fixture
def member(journeyman):
    return MemberFactory(classification=journeyman, join_date=datetime.date(2015, 1, 1))
