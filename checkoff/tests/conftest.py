from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from dues.services import dues_charges_generate
from dues.tests.factories import DuesRateFactory, periods
from members.tests.factories import ClassificationFactory, UserFactory

from .factories import EmployerFactory


@pytest.fixture(autouse=True)
def _ledgers_agree_after_each_test(ledgers_agree):
    pass


@pytest.fixture
def journeyman():
    classification = ClassificationFactory(code="JW", name="Journeyman Wireman")
    DuesRateFactory(classification=classification, monthly_amount=Decimal("45.00"))
    return classification


@pytest.fixture
def acme():
    return EmployerFactory(code="ACME", name="Acme Electric", due_day=15)


@pytest.fixture
def officer():
    return UserFactory(username="officer", role="Officer")


@pytest.fixture
def charged_2026(journeyman):
    """Periods January to October 2026 (due at month end), charged to whoever is active."""

    def charge():
        for period in periods(2026, range(1, 11)):
            dues_charges_generate(period=period, actor="tests")

    return charge


RECEIVED = datetime.date(2026, 10, 10)
