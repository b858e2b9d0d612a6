"""The ledger rules of docs/design.md §4 on worked examples, each checked two ways: the one-member
selector (Python) and the set-based one (one SQL statement) must give the same answer."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dues.ledger import Counting, Standing, is_owed, outstanding_amounts
from dues.models import Adjustment, MemberLedger, Payment, PaymentMethod, PaymentStatus, Refund
from dues.selectors import dues_rates_on, dues_standings, member_dues_summary
from dues.services import (
    adjustment_record,
    dues_charges_generate,
    member_ledgers_refresh,
    payment_record,
    refund_record,
)
from dues.tests.factories import DuesPeriodFactory, DuesRateFactory, periods
from members.models import Member
from members.tests.factories import ClassificationFactory, MemberFactory

pytestmark = pytest.mark.django_db

JULY_15 = datetime.date(2026, 7, 15)  # every period January to June is past due
D = Decimal


def dues(member: Member, as_of: datetime.date = JULY_15):
    """The member's dues, after checking that both selectors agree on them."""
    one = member_dues_summary(member, as_of)
    many = dues_standings(Member.objects.filter(pk=member.pk), as_of)[member.pk]
    assert many.balance == one.balance
    assert many.months_in_arrears == one.months_in_arrears
    assert many.paid_through == (str(one.paid_through) if one.paid_through else None)
    assert many.standing == one.standing
    return one


def pay(member, amount, **kwargs):
    kwargs.setdefault("received_date", datetime.date(2026, 7, 1))
    kwargs.setdefault("actor", "tests")
    return payment_record(member=member, amount=amount, method=PaymentMethod.CHECK, **kwargs)


def owed(summary) -> list[tuple[str, Decimal]]:
    return [(str(line.period), line.outstanding) for line in summary.open_charges]


def test_nothing_paid_owes_every_period(member):
    summary = dues(member)
    assert summary.balance == D("270.00")
    assert summary.paid_through is None
    assert summary.months_in_arrears == 6
    assert summary.standing == Standing.DELINQUENT


def test_partial_payment_covers_part_of_the_oldest_period(member):
    pay(member, "30.00")
    summary = dues(member)
    assert summary.balance == D("240.00")
    assert summary.paid_through is None
    assert owed(summary)[0] == ("2026-01", D("15.00"))
    assert summary.months_in_arrears == 6


def test_one_payment_covers_two_periods_oldest_first(member):
    pay(member, "90.00")
    summary = dues(member)
    assert str(summary.paid_through) == "2026-02"
    assert [period for period, _ in owed(summary)] == ["2026-03", "2026-04", "2026-05", "2026-06"]
    assert summary.months_in_arrears == 4


def test_overpayment_is_a_credit_that_the_next_charge_consumes(member):
    pay(member, "300.00")
    summary = dues(member)
    assert summary.balance == D("-30.00")
    assert summary.credit == D("30.00")
    assert str(summary.paid_through) == "2026-06"
    assert summary.standing == Standing.GOOD

    dues_charges_generate(period=DuesPeriodFactory(year=2026, month=7), actor="tests")
    summary = dues(member, as_of=datetime.date(2026, 8, 15))
    assert summary.balance == D("15.00")
    assert owed(summary) == [("2026-07", D("15.00"))]
    assert str(summary.paid_through) == "2026-06"
    assert summary.months_in_arrears == 1
    assert summary.standing == Standing.IN_ARREARS


def test_a_refund_reopens_what_it_no_longer_covers(member):
    pay(member, "45.00")
    february = pay(member, "45.00")
    pay(member, "45.00")
    assert str(dues(member).paid_through) == "2026-03"

    refund_record(payment=february, amount="45.00", reason="Paid twice by mistake", actor="tests")
    summary = dues(member)
    assert str(summary.paid_through) == "2026-02"
    assert owed(summary)[0] == ("2026-03", D("45.00"))
    assert summary.balance == D("180.00")
    february.refresh_from_db()
    assert february.amount == D("45.00")  # the payment keeps its amount
    assert february.status == PaymentStatus.REFUNDED


def test_a_partial_refund_reopens_part_of_a_period(member):
    payment = pay(member, "90.00")
    refund_record(payment=payment, amount="10.00", reason="Overcharged", actor="tests")
    summary = dues(member)
    assert str(summary.paid_through) == "2026-01"
    assert owed(summary)[0] == ("2026-02", D("10.00"))
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PARTIALLY_REFUNDED


@pytest.mark.parametrize("status", [PaymentStatus.FAILED, PaymentStatus.PENDING])
def test_a_failed_or_pending_payment_covers_nothing(member, status):
    Payment.objects.create(
        member=member, amount=D("270.00"), method=PaymentMethod.STRIPE_ACH, status=status
    )
    summary = dues(member)
    assert summary.balance == D("270.00")
    assert summary.months_in_arrears == 6


def test_a_rate_change_mid_year_charges_each_period_its_own_rate(journeyman):
    DuesRateFactory(classification=journeyman, monthly_amount=D("45.00"))  # open-ended
    DuesRateFactory(
        classification=journeyman,
        monthly_amount=D("48.00"),
        effective_date=datetime.date(2026, 4, 1),
    )
    member = MemberFactory(classification=journeyman)
    for period in periods(2026, range(1, 7)):
        dues_charges_generate(period=period, actor="tests")
    amounts = [line.charge.amount for line in dues(member).charges]
    assert amounts == [D("45.00")] * 3 + [D("48.00")] * 3
    assert dues(member).balance == D("279.00")


def test_a_rate_with_an_end_date_stops_applying_after_it(journeyman):
    DuesRateFactory(
        classification=journeyman,
        monthly_amount=D("45.00"),
        end_date=datetime.date(2026, 1, 31),
    )
    assert dues_rates_on(datetime.date(2026, 1, 31))[journeyman.pk].monthly_amount == D("45.00")
    assert journeyman.pk not in dues_rates_on(datetime.date(2026, 2, 1))


def test_a_member_with_no_rate_is_never_charged_zero_and_is_reported():
    retired = ClassificationFactory(code="RT", name="Retired")
    member = MemberFactory(classification=retired)
    result = dues_charges_generate(period=DuesPeriodFactory(year=2026, month=1), actor="tests")
    assert result.created == 0
    assert result.skipped_no_rate == [member]
    assert "no dues rate for RT" in str(result)
    assert not member.dues_charges.exists()


def test_money_is_exact_ten_cents_and_twenty_cents_make_thirty(journeyman):
    DuesRateFactory(classification=journeyman, monthly_amount=D("0.10"))
    member = MemberFactory(classification=journeyman)
    for period in periods(2026, [1, 2, 3]):
        dues_charges_generate(period=period, actor="tests")
    pay(member, "0.10")
    pay(member, "0.20")
    summary = dues(member, as_of=datetime.date(2026, 4, 15))
    assert summary.balance == D("0.00")
    assert str(summary.paid_through) == "2026-03"
    assert summary.standing == Standing.GOOD


def test_floats_are_refused_as_money(member):
    with pytest.raises(TypeError, match="never a float"):
        pay(member, 45.0)


def test_a_waiver_adjustment_covers_and_a_correction_charges(member):
    adjustment_record(
        member=member, amount="-45.00", reason="Strike hardship waiver", actor="tests"
    )
    summary = dues(member)
    assert str(summary.paid_through) == "2026-01"
    assert summary.balance == D("225.00")

    adjustment_record(member=member, amount="45.00", reason="Waiver entered twice", actor="tests")
    assert dues(member).paid_through is None
    assert dues(member).balance == D("270.00")


def test_periods_not_yet_due_are_not_arrears(member):
    summary = dues(member, as_of=datetime.date(2026, 3, 15))  # Jan and Feb are past due
    assert summary.months_in_arrears == 2


@pytest.mark.parametrize(
    ("months", "standing"),
    [
        (0, Standing.GOOD),
        (1, Standing.IN_ARREARS),
        (2, Standing.IN_ARREARS),
        (3, Standing.DELINQUENT),
    ],
)
def test_standing_follows_months_in_arrears(member, months, standing):
    pay(member, D("45.00") * (6 - months))
    assert dues(member).standing == standing


def test_the_delinquency_threshold_is_a_setting(member, settings):
    settings.ARREARS_DELINQUENT_MONTHS = 2
    pay(member, "180.00")  # two months behind
    assert dues(member).standing == Standing.DELINQUENT


def test_outstanding_amounts_apply_credit_oldest_first():
    charges = [D("45.00"), D("45.00"), D("48.00")]
    assert outstanding_amounts(D("50.00"), charges) == [D("0.00"), D("40.00"), D("48.00")]
    assert outstanding_amounts(D("-5.00"), charges) == charges
    assert outstanding_amounts(D("500.00"), charges) == [D("0.00")] * 3


cents = st.integers(min_value=1, max_value=20_000).map(lambda c: Decimal(c) / 100)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    rates=st.lists(cents, min_size=1, max_size=6),
    payments=st.lists(st.tuples(cents, st.sampled_from(list(PaymentStatus))), max_size=5),
    refunds=st.lists(
        st.floats(min_value=0, max_value=1).map(lambda f: Decimal(str(round(f, 2)))), max_size=3
    ),
    adjustments=st.lists(cents.map(lambda c: -c) | cents, max_size=2),
    as_of_month=st.integers(min_value=1, max_value=8),
)
def test_both_selectors_agree_on_any_ledger(
    journeyman, rates, payments, refunds, adjustments, as_of_month
):
    member = MemberFactory(classification=journeyman)
    for month, rate in enumerate(rates, start=1):
        period = DuesPeriodFactory(year=2030, month=month)
        member.dues_charges.create(period=period, amount=rate)
    made = []
    for amount, status in payments:
        if status == PaymentStatus.SUCCEEDED:
            made.append(pay(member, amount))
        elif status in (PaymentStatus.PENDING, PaymentStatus.FAILED):
            Payment.objects.create(
                member=member, amount=amount, method="stripe_card", status=status
            )
    for share, payment in zip(refunds, made, strict=False):
        amount = (payment.amount * share).quantize(Decimal("0.01"))
        if amount > 0:
            refund_record(payment=payment, amount=amount, reason="test", actor="tests")
    for amount in adjustments:
        adjustment_record(member=member, amount=amount, reason="test", actor="tests")

    as_of = datetime.date(2030, as_of_month, 1)
    summary = dues(member, as_of=as_of)
    # The kept ledger, worked out again (the charges above were made behind the services),
    # gives the same answers.
    member_ledgers_refresh([member.pk], as_of=as_of)
    kept = MemberLedger.objects.get(member=member)
    assert kept.balance == summary.balance
    assert kept.months_in_arrears == summary.months_in_arrears
    assert kept.paid_through == (
        summary.paid_through.year * 100 + summary.paid_through.month
        if summary.paid_through
        else None
    )
    first_open = summary.open_charges[0].period.due_date if summary.open_charges else None
    assert kept.first_uncovered_due == first_open
    member_ledgers_refresh([member.pk])  # as of today again, as the teardown checks it
    received = sum(
        (
            p.amount - p.refunded_amount
            for p in Payment.objects.filter(
                member=member, status__in=["succeeded", "partially_refunded", "refunded"]
            )
        ),
        Decimal(0),
    )
    assert summary.balance == sum(rates, Decimal(0)) + sum(adjustments, Decimal(0)) - received


dates_2025 = st.integers(min_value=0, max_value=240).map(
    lambda days: datetime.date(2025, 1, 1) + datetime.timedelta(days=days)
)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    rates=st.lists(cents, min_size=1, max_size=6),
    payments=st.lists(st.tuples(cents, dates_2025), max_size=4),
    refunds=st.lists(st.tuples(st.integers(min_value=1, max_value=100), dates_2025), max_size=2),
    adjustments=st.lists(st.tuples(cents.map(lambda c: -c) | cents, dates_2025), max_size=2),
    recorded_by=dates_2025,
    as_of=dates_2025,
    counting=st.sampled_from(list(Counting)),
)
def test_both_selectors_agree_on_the_records_as_they_stood(
    journeyman, rates, payments, refunds, adjustments, recorded_by, as_of, counting
):
    """Standing on a past day reads the records as they stood then: charges due by then,
    payments received and refunds made by then, adjustments made by then."""
    member = MemberFactory(classification=journeyman)
    for month, rate in enumerate(rates, start=1):
        period = DuesPeriodFactory(year=2025, month=month, due_date=datetime.date(2025, month, 10))
        member.dues_charges.create(period=period, amount=rate)
    made = [pay(member, amount, received_date=day) for amount, day in payments]
    for (percent, day), payment in zip(refunds, made, strict=False):
        amount = (payment.amount * percent / 100).quantize(Decimal("0.01"))
        if amount > 0:
            refund_record(
                payment=payment,
                amount=amount,
                reason="test",
                refunded_date=max(day, payment.received_date),
                actor="tests",
            )
    for amount, day in adjustments:
        adjustment = adjustment_record(member=member, amount=amount, reason="test", actor="tests")
        # Made on that day (a test may set what the service stamps as now).
        Adjustment.objects.filter(pk=adjustment.pk).update(
            created_at=timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))
        )

    one = member_dues_summary(member, as_of, recorded_by=recorded_by, counting=counting)
    many = dues_standings(
        Member.objects.filter(pk=member.pk), as_of, recorded_by=recorded_by, counting=counting
    )[member.pk]
    assert (many.balance, many.months_in_arrears) == (one.balance, one.months_in_arrears)
    assert many.paid_through == (str(one.paid_through) if one.paid_through else None)
    charged = sum(
        (
            rate
            for m, rate in enumerate(rates, 1)
            if (due := datetime.date(2025, m, 10)) <= recorded_by
            or (
                counting != Counting.DUE_DATE
                and is_owed(counting, due_date=due, year=2025, month=m, as_of=as_of)
            )
        ),
        D(0),
    )
    received = sum((p.amount for p in made if p.received_date <= recorded_by), D(0))
    given_back = sum(
        (
            r.amount
            for r in Refund.objects.filter(payment__member=member, refunded_date__lte=recorded_by)
        ),
        D(0),
    )
    waived = sum((a for a, day in adjustments if day <= recorded_by), D(0))
    assert one.balance == charged + waived - received + given_back
    member_ledgers_refresh([member.pk])


def test_each_period_collects_the_money_received_in_its_own_month(member):
    """Billed and collected per period (the overview and the periods list): payments by
    the day they were received, net of refunds made that month, December into January."""
    from dues.models import DuesPeriod
    from dues.selectors import periods_with_totals

    periods(2025, [11, 12])  # the fixture has January to June 2026
    days = {
        datetime.date(2025, 11, 30): "10.00",
        datetime.date(2025, 12, 1): "20.00",
        datetime.date(2025, 12, 31): "40.00",
        datetime.date(2026, 1, 1): "80.00",
    }
    paid = {
        day: payment_record(
            member=member, amount=amount, method="check", received_date=day, actor="tests"
        )
        for day, amount in days.items()
    }
    refund_record(
        payment=paid[datetime.date(2025, 12, 1)],
        amount="5.00",
        refunded_date=datetime.date(2025, 12, 15),
        reason="overpaid",
        actor="tests",
    )
    totals = {
        str(p): p.collected_total
        for p in periods_with_totals(DuesPeriod.objects.filter(year__in=[2025, 2026]))
    }
    assert totals["2025-11"] == Decimal("10.00")
    assert totals["2025-12"] == Decimal("55.00")
    assert totals["2026-01"] == Decimal("80.00")
    assert totals["2026-02"] == Decimal("0.00")
