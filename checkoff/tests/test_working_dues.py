"""Working dues: a percent of gross or base wages, or an amount per hour, within a floor
and a cap, at the rate in force for the line's work month; SHORT and OVER compare to it."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from checkoff.models import LineException
from checkoff.services import remittance_check, remittance_post
from dues.ledger import working_dues
from dues.models import DuesRate
from dues.selectors import member_dues_summary
from dues.services import dues_charges_generate, dues_rate_create
from dues.tests.factories import periods
from members.tests.factories import ClassificationFactory, MemberFactory

from .conftest import RECEIVED
from .factories import AuthorizationFactory, EmployerFactory, remittance_csv

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("basis", "rate", "floor", "cap", "earned", "expected"),
    [
        ("gross_wages", "1.25", None, None, {"gross_wages": "4000.00"}, "50.00"),
        ("gross_wages", "1.45", None, "60.00", {"gross_wages": "5000.00"}, "60.00"),  # capped
        ("hours", "0.75", "20.00", None, {"hours": "10"}, "20.00"),  # the floor
        ("hours", "0.75", "20.00", None, {"hours": "160"}, "120.00"),
        ("base_wages", "2", None, None, {"base_wages": "1234.56"}, "24.69"),  # half-up
        ("base_wages", "2", None, None, {"gross_wages": "1234.56"}, None),  # not reported
        ("", None, None, None, {}, "0.00"),
    ],
)
def test_working_dues_rules(basis, rate, floor, cap, earned, expected):
    money = lambda v: None if v is None else Decimal(v)  # noqa: E731
    got = working_dues(
        basis,
        money(rate),
        floor=money(floor),
        cap=money(cap),
        **{k: Decimal(v) for k, v in earned.items()},
    )
    assert got == money(expected)


@pytest.mark.parametrize(
    ("basis", "rate", "earned", "expected"),
    [
        ("base_wages", "2", {"base_wages": "1234.25"}, "24.69"),  # 24.685
        ("gross_wages", "1.25", {"gross_wages": "4000.40"}, "50.01"),  # 50.005
        ("hours", "0.75", {"hours": "10.38"}, "7.79"),  # 7.785
    ],
)
def test_a_cent_exactly_half_way_rounds_up(basis, rate, earned, expected):
    """A true tie rounds up, as the contract says, not to the even cent (banker's rounding,
    Python's default, would charge 24.68, 50.00 and 7.78)."""
    got = working_dues(basis, Decimal(rate), **{k: Decimal(v) for k, v in earned.items()})
    assert str(got) == expected


@pytest.fixture
def inside():
    """Inside wiremen: 24.00 a month plus 1.25% of gross wages, 1.50% from July 2026,
    within 10.00 and 100.00 a month."""
    classification = ClassificationFactory(code="IW", name="Inside Wireman")
    common = {
        "working_basis": "gross_wages",
        "working_floor": "10.00",
        "working_cap": "100.00",
        "actor": "tests",
    }
    dues_rate_create(
        classification=classification,
        monthly_amount="24.00",
        working_rate="1.25",
        effective_date=datetime.date(2026, 1, 1),
        end_date=datetime.date(2026, 6, 30),
        **common,
    )
    dues_rate_create(
        classification=classification,
        monthly_amount="24.00",
        working_rate="1.50",
        effective_date=datetime.date(2026, 7, 1),
        **common,
    )
    return classification


def test_the_expected_amount_uses_the_rate_of_the_work_month(inside):
    acme = EmployerFactory(code="ACME")
    member = MemberFactory(member_number="7001", classification=inside)
    AuthorizationFactory(member=member, employer=acme)
    result = remittance_check(
        employer=acme,
        content=remittance_csv(
            "7001,,,,,2026-06,,4000.00,74.00",  # 24 + 1.25% of 4000 = 74.00
            "7001,,,,,2026-07,,4000.00,74.00",  # 24 + 1.50% of 4000 = 84.00: short
            "7001,,,,,2026-08,,9000.00,124.00",  # 24 + min(135, cap 100)
            "7001,,,,,2026-09,,200.00,34.00",  # 24 + max(3, floor 10)
        ),
        file_name="iw.csv",
        received_on=RECEIVED,
        actor="tests",
    )
    assert [(line.expected, line.exception) for line in result.lines] == [
        (Decimal("74.00"), ""),
        (Decimal("84.00"), LineException.SHORT),
        (Decimal("124.00"), ""),
        (Decimal("34.00"), ""),
    ]


def test_posting_charges_the_working_dues_so_they_are_not_taken_as_credit(inside):
    acme = EmployerFactory(code="ACME")
    member = MemberFactory(
        member_number="7001", classification=inside, join_date=datetime.date(2020, 1, 1)
    )
    AuthorizationFactory(member=member, employer=acme)
    for period in periods(2026, [9]):
        dues_charges_generate(period=period, actor="tests")
    batch = remittance_check(
        employer=acme,
        content=remittance_csv("7001,,,,,2026-09,,4000.00,84.00"),
        file_name="iw.csv",
        received_on=RECEIVED,
        actor="tests",
    ).batch
    remittance_post(batch=batch, actor="tests")
    summary = member_dues_summary(member)
    assert summary.balance == Decimal("0.00")
    assert [a.amount for a in summary.adjustments] == [Decimal("60.00")]


def test_a_member_at_two_employers_in_one_month_owes_the_flat_dues_once(inside):
    acme, bolt = EmployerFactory(code="ACME"), EmployerFactory(code="BOLT", name="Bolt")
    member = MemberFactory(
        member_number="7001", classification=inside, join_date=datetime.date(2020, 1, 1)
    )
    AuthorizationFactory(member=member, employer=acme)
    AuthorizationFactory(member=member, employer=bolt)
    for period in periods(2026, [9]):
        dues_charges_generate(period=period, actor="tests")
    first = remittance_check(
        employer=acme,
        content=remittance_csv("7001,,,,,2026-09,,2000.00,54.00"),  # 24 + 30
        file_name="acme.csv",
        received_on=RECEIVED,
        actor="tests",
    )
    remittance_post(batch=first.batch, actor="tests")
    second = remittance_check(
        employer=bolt,
        content=remittance_csv("7001,,,,,2026-09,,1000.00,15.00"),  # 15 working, no flat
        file_name="bolt.csv",
        received_on=RECEIVED,
        actor="tests",
    )
    assert [(line.expected, line.exception) for line in second.lines] == [(Decimal("15.00"), "")]
    remittance_post(batch=second.batch, actor="tests")
    summary = member_dues_summary(member)
    assert summary.balance == Decimal("0.00")
    assert summary.months_in_arrears == 0
    assert member.payments.count() == 2


def test_a_rate_of_working_dues_only_charges_no_flat_amount(journeyman):
    percent_only = ClassificationFactory(code="BM", name="Boilermaker")
    dues_rate_create(
        classification=percent_only,
        monthly_amount="0",
        working_basis="gross_wages",
        working_rate="3.75",
        effective_date=datetime.date(2026, 1, 1),
        actor="tests",
    )
    member = MemberFactory(classification=percent_only, join_date=datetime.date(2020, 1, 1))
    MemberFactory(classification=journeyman, join_date=datetime.date(2020, 1, 1))
    generation = dues_charges_generate(period=periods(2026, [9])[0], actor="tests")
    assert (generation.created, generation.skipped_no_rate) == (1, [])  # the journeyman
    assert not member.dues_charges.exists()
    assert str(DuesRate.objects.get(classification=percent_only)).startswith("0.00/month + 3.75%")
