"""Per-capita reports (docs/design.md §10, docs/domain.md §2): counts per category by the
affiliate's rule, the rate in force, the amount to the cent, the roll-forward with the
members behind each add and drop, and no submission while it does not hold."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from compliance.models import CountRule, PerCapitaRate, ReportStatus
from compliance.services import (
    per_capita_report_paid,
    per_capita_report_submit,
    per_capita_report_work_out,
)
from dues.models import PaymentMethod
from dues.services import payment_record
from members.tests.factories import ClassificationFactory, MemberFactory

from .factories import AffiliateFactory

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def members(policy, journeyman, in_advance_2026):
    apprentice = ClassificationFactory(code="AP", name="Apprentice")
    from dues.tests.factories import DuesRateFactory

    DuesRateFactory(classification=apprentice, monthly_amount=Decimal("30.00"))
    made = {
        "jw_paid": MemberFactory(classification=journeyman, join_date=D(2010, 1, 1)),
        "jw_behind": MemberFactory(classification=journeyman, join_date=D(2010, 1, 1)),
        "ap_paid": MemberFactory(classification=apprentice, join_date=D(2020, 1, 1)),
    }
    in_advance_2026()
    for key, amount in (("jw_paid", "270.00"), ("jw_behind", "45.00"), ("ap_paid", "180.00")):
        payment_record(
            member=made[key],
            amount=Decimal(amount),
            method=PaymentMethod.CASH,
            received_date=D(2026, 1, 1),
            actor="tests",
        )
    return made


@pytest.fixture
def international(journeyman):
    affiliate = AffiliateFactory(code="IO", csv_columns="category,count,rate,amount,month")
    PerCapitaRate.objects.create(
        affiliate=affiliate,
        amount=Decimal("19.00"),
        effective_date=D(2020, 1, 1),
        end_date=D(2026, 1, 31),
    )
    PerCapitaRate.objects.create(
        affiliate=affiliate, amount=Decimal("20.33"), effective_date=D(2026, 2, 1)
    )
    PerCapitaRate.objects.create(
        affiliate=affiliate,
        classification=journeyman,
        amount=Decimal("24.50"),
        effective_date=D(2026, 2, 1),
    )
    return affiliate


def test_counts_by_category_at_the_rate_in_force(members, international, officer):
    january = per_capita_report_work_out(affiliate=international, year=2026, month=1, actor=officer)
    assert {(line.classification.code, line.count, line.rate) for line in january.lines.all()} == {
        ("JW", 2, Decimal("19.00")),
        ("AP", 1, Decimal("19.00")),
    }
    march = per_capita_report_work_out(affiliate=international, year=2026, month=3, actor=officer)
    # The journeyman behind since February is not in good standing at March's end.
    assert {(line.classification.code, line.count, line.amount) for line in march.lines.all()} == {
        ("JW", 1, Decimal("24.50")),
        ("AP", 1, Decimal("20.33")),
    }
    assert march.amount == Decimal("44.83")


def test_the_count_rule_is_the_affiliates(members, international, officer):
    international.count_rule = CountRule.ON_ROLL
    international.save()
    report = per_capita_report_work_out(affiliate=international, year=2026, month=3, actor=officer)
    assert report.count == 3
    international.count_rule = CountRule.DUES_RECEIVED
    international.save()
    report = per_capita_report_work_out(affiliate=international, year=2026, month=3, actor=officer)
    assert report.count == 2


def test_the_roll_forward_names_the_members_added_and_dropped(members, international, officer):
    january = per_capita_report_work_out(affiliate=international, year=2026, month=1, actor=officer)
    per_capita_report_submit(report=january, actor=officer)
    february = per_capita_report_work_out(
        affiliate=international, year=2026, month=2, actor=officer
    )
    assert (february.previous_count, february.added, february.dropped, february.count) == (
        3,
        0,
        1,
        2,
    )
    assert february.rolls_forward
    dropped = february.changes.get()
    assert dropped.member == members["jw_behind"]
    assert "arrears" in dropped.reason
    submitted = per_capita_report_submit(report=february, actor=officer)
    assert submitted.status == ReportStatus.SUBMITTED
    with pytest.raises(ValidationError, match="it no longer changes"):
        per_capita_report_work_out(affiliate=international, year=2026, month=2, actor=officer)
    paid = per_capita_report_paid(report=submitted, paid_on=D(2026, 3, 14), actor=officer)
    assert paid.status == ReportStatus.PAID


def test_a_roll_forward_that_does_not_hold_blocks_submission(
    members, international, journeyman, officer
):
    january = per_capita_report_work_out(affiliate=international, year=2026, month=1, actor=officer)
    per_capita_report_submit(report=january, actor=officer)
    # A member entered later with a January join date: January's records no longer give
    # the count reported for January.
    late = MemberFactory(classification=journeyman, join_date=D(2026, 1, 5))
    payment_record(
        member=late,
        amount=Decimal("90.00"),
        method=PaymentMethod.CASH,
        received_date=D(2026, 1, 5),
        actor="tests",
    )
    from dues.models import DuesPeriod
    from dues.services import dues_charges_generate

    for period in DuesPeriod.objects.filter(year=2026, month__lte=2):
        dues_charges_generate(period=period, actor="tests")
    february = per_capita_report_work_out(
        affiliate=international, year=2026, month=2, actor=officer
    )
    assert not february.rolls_forward
    assert (february.previous_count, february.count) == (3, 3)
    with pytest.raises(ValidationError, match="roll-forward does not hold"):
        per_capita_report_submit(report=february, actor=officer)
    february.refresh_from_db()
    assert february.status == ReportStatus.DRAFT
