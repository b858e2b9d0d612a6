from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from dues.services import dues_charges_generate
from dues.tests.factories import DuesRateFactory, periods
from members.tests.factories import ClassificationFactory, MemberFactory


@pytest.fixture
def journeyman():
    return ClassificationFactory(code="JW", name="Journeyman Wireman")


@pytest.fixture
def member(journeyman):
    """A journeyman at 45.00 a month, charged January to June 2026 (each due month-end)."""
    DuesRateFactory(classification=journeyman, monthly_amount=Decimal("45.00"))
    member = MemberFactory(classification=journeyman, join_date=datetime.date(2015, 1, 1))
    for period in periods(2026, range(1, 7)):
        dues_charges_generate(period=period, actor="tests")
    return member


@pytest.fixture(autouse=True)
def _ledgers_agree_after_each_test(ledgers_agree):
    pass
