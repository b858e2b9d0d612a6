"""Standing on a day by the arrears policy in force then (docs/design.md §10, docs/domain.md
§3-4), on the worked examples: the McDermott boundary, a quarterly payer, check-off
protection, a late payment, and the one-member and set-based answers held equal."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from checkoff.tests.factories import AuthorizationFactory, EmployerFactory
from compliance.models import ArrearsPolicy, Convention, Ineligible
from compliance.selectors import continuous_standing, standing_on, standings_on
from compliance.services import arrears_policy_proposals
from dues.models import PaymentMethod
from dues.services import dues_charges_generate, payment_record
from members.models import Member
from members.tests.factories import MemberFactory

from .conftest import month_periods
from .factories import ArrearsPolicyFactory

pytestmark = pytest.mark.django_db
D = datetime.date


def pay(member, amount, day):
    return payment_record(
        member=member,
        amount=Decimal(amount),
        method=PaymentMethod.CHECK,
        received_date=day,
        actor="tests",
    )


def both(member, day):
    """The member's standing on `day`, after checking both selectors give it."""
    one = standing_on(member, day)
    many = standings_on(day, Member.objects.filter(pk=member.pk))[member.pk]
    assert (many.months_owed, many.balance, many.status, many.in_good_standing) == (
        one.months_owed,
        one.balance,
        one.status,
        one.in_good_standing,
    )
    return one


def test_mcdermott_suspended_at_midnight_of_the_first_day_of_the_third_unpaid_month(
    policy, member, in_advance_2026
):
    """Dues in advance, "indebted for three months' dues … stand suspended": January paid,
    February to April not. On March 31st two months are owed; at the first moment of April
    1st, three, and the policy suspends."""
    in_advance_2026()
    pay(member, "45.00", D(2026, 1, 1))
    assert both(member, D(2026, 3, 31)).months_owed == 2
    assert both(member, D(2026, 4, 1)).months_owed == 3

    on_march_31 = [p.kind for p in arrears_policy_proposals(D(2026, 3, 31)).proposals]
    on_april_1 = arrears_policy_proposals(D(2026, 4, 1)).proposals
    assert on_march_31 == ["notice"]
    assert [(p.kind, p.to_status, p.months_owed) for p in on_april_1] == [
        ("suspend", "suspended", 3)
    ]
    assert "suspended at 3" in on_april_1[0].reason
    assert policy.version in on_april_1[0].reason


def test_grace_days_push_the_boundary_back(member, in_advance_2026):
    ArrearsPolicyFactory(grace_days=10)
    in_advance_2026()
    pay(member, "45.00", D(2026, 1, 1))
    assert both(member, D(2026, 4, 10)).months_owed == 2
    assert both(member, D(2026, 4, 11)).months_owed == 3


def test_a_month_owed_at_month_end_under_that_convention(member, in_advance_2026):
    ArrearsPolicyFactory(convention=Convention.MONTH_END)
    in_advance_2026()
    pay(member, "45.00", D(2026, 1, 1))
    assert both(member, D(2026, 3, 31)).months_owed == 1  # February is over; March not yet
    assert both(member, D(2026, 4, 1)).months_owed == 2


def test_a_quarterly_payer_in_advance_is_never_behind_within_the_quarter(member, in_advance_2026):
    """Dues quarterly in advance: paying a quarter on its first day keeps the member in
    good standing at every day of it; not paying the next quarter owes all three months
    from its first day."""
    ArrearsPolicyFactory(convention=Convention.QUARTERLY, grace_days=14)
    in_advance_2026()
    pay(member, "135.00", D(2026, 1, 5))
    for day in (D(2026, 1, 1), D(2026, 2, 15), D(2026, 3, 31), D(2026, 4, 14)):
        assert both(member, day).in_good_standing, day
    assert both(member, D(2026, 4, 15)).months_owed == 3


def test_an_employer_60_days_late_leaves_its_members_eligible(policy, journeyman):
    on_checkoff = MemberFactory(classification=journeyman, join_date=D(2015, 1, 1))
    direct = MemberFactory(classification=journeyman, join_date=D(2015, 1, 1))
    AuthorizationFactory(member=on_checkoff, employer=EmployerFactory(), signed_on=D(2025, 6, 1))
    for period in month_periods(2026, range(1, 5)):
        dues_charges_generate(period=period, actor="tests")
    pay(on_checkoff, "45.00", D(2026, 1, 1))
    pay(direct, "45.00", D(2026, 1, 1))

    # February's and March's deductions were due from the employer 60 days and more ago.
    checkoff = both(on_checkoff, D(2026, 4, 1))
    assert checkoff.in_good_standing
    assert checkoff.checkoff_protected
    assert "employer" in checkoff.reason

    behind = both(direct, D(2026, 4, 1))
    assert not behind.in_good_standing
    assert behind.months_owed == 3
    assert behind.reason_code == Ineligible.MONTHS_OWED
    assert "Owed 3 month(s)" in behind.reason


def test_a_late_payment_does_not_repair_past_continuity(policy, member, in_advance_2026):
    in_advance_2026()
    pay(member, "45.00", D(2026, 1, 1))
    pay(member, "45.00", D(2026, 2, 1))
    # March unpaid on March 31st; paid on April 10th with April.
    pay(member, "90.00", D(2026, 4, 10))
    assert not both(member, D(2026, 3, 31)).in_good_standing
    assert both(member, D(2026, 4, 30)).in_good_standing
    continuity = continuous_standing(member, D(2026, 1, 1), D(2026, 4, 30))
    assert not continuity.ok
    assert continuity.breaks == [D(2026, 3, 31)]


def test_not_yet_a_member_and_status_are_reasons(policy, journeyman, in_advance_2026):
    newcomer = MemberFactory(classification=journeyman, join_date=D(2026, 5, 1))
    retired = MemberFactory(classification=journeyman, join_date=D(2010, 1, 1), status="retired")
    assert both(newcomer, D(2026, 4, 30)).reason_code == Ineligible.NOT_YET_MEMBER
    assert both(retired, D(2026, 4, 30)).reason_code == Ineligible.STATUS
    assert "Retired" in both(retired, D(2026, 4, 30)).reason


def test_no_policy_in_force_is_a_clear_error(member):
    from django.core.exceptions import ValidationError

    ArrearsPolicy.objects.all().delete()  # the first, default version too
    ArrearsPolicyFactory(effective_date=D(2027, 1, 1))
    with pytest.raises(ValidationError, match="No arrears policy was in force on 2026-04-01"):
        standing_on(member, D(2026, 4, 1))
