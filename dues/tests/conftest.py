from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from dues.services import dues_charges_generate, payment_record
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


@pytest.fixture
def owing(member):
    """The member above, also charged January 2099 (not yet due), paid 45.00 on January 31,
    2026: a balance of 270.00, of which 225.00 past due, 5 months behind, paid through
    2026-01."""
    for period in periods(2099, [1]):
        dues_charges_generate(period=period, actor="tests")
    payment_record(
        member=member,
        amount=Decimal("45.00"),
        method="check",
        received_date=datetime.date(2026, 1, 31),
        actor="tests",
    )
    return member


@pytest.fixture(autouse=True)
def _ledgers_agree_after_each_test(ledgers_agree):
    pass
