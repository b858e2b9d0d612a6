"""29 CFR 452.87: a member on check-off keeps good standing for work months the employer
has not remitted yet, or remitted late; a direct payer as far behind does not. Both ledger
selectors (one member in Python, many in SQL) and the kept ledger say the same."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checkoff.models import BatchStatus
from checkoff.services import authorization_save, remittance_check, remittance_post
from dues.ledger import Standing
from dues.models import MemberLedger
from dues.selectors import dues_standings, member_dues_summary
from dues.services import dues_charges_generate, member_ledgers_refresh, payment_record
from dues.tests.factories import DuesPeriodFactory
from members.models import Member
from members.tests.factories import MemberFactory

from .factories import AuthorizationFactory, EmployerFactory, remittance_csv

pytestmark = pytest.mark.django_db

NOV_28 = datetime.date(2026, 11, 28)


def standing(member, as_of=NOV_28):
    one = member_dues_summary(member, as_of)
    many = dues_standings(Member.objects.filter(pk=member.pk), as_of)[member.pk]
    assert (many.months_in_arrears, many.balance) == (one.months_in_arrears, one.balance)
    return one


def test_an_employer_60_days_late_leaves_its_members_in_good_standing(
    acme, journeyman, charged_2026
):
    # Paid through July by the employer; August, September and October not remitted yet:
    # October's remittance was due November 15th, August's (60+ days ago) October 15th.
    on_checkoff = MemberFactory(classification=journeyman, join_date=datetime.date(2020, 1, 1))
    direct = MemberFactory(classification=journeyman, join_date=datetime.date(2020, 1, 1))
    AuthorizationFactory(member=on_checkoff, employer=acme, signed_on=datetime.date(2025, 6, 1))
    charged_2026()
    for member in (on_checkoff, direct):
        payment_record(
            member=member,
            amount=Decimal("315.00"),  # January to July
            method="check",
            received_date=datetime.date(2026, 7, 20),
            actor="tests",
        )
    checkoff = standing(on_checkoff)
    assert (checkoff.months_in_arrears, checkoff.standing) == (0, Standing.GOOD)
    assert checkoff.balance == Decimal("135.00")  # still owed: the money is the employer's to send
    behind = standing(direct)
    assert (behind.months_in_arrears, behind.standing) == (3, Standing.DELINQUENT)
    assert MemberLedger.objects.get(member=on_checkoff).standing == Standing.GOOD

    # The employer remits August late: it covers August like any payment.
    batch = remittance_check(
        employer=acme,
        content=remittance_csv(f"{on_checkoff.member_number},,,,,2026-08,,,45.00"),
        file_name="late.csv",
        received_on=NOV_28,
        actor="tests",
    ).batch
    remittance_post(batch=batch, actor="tests")
    assert standing(on_checkoff).months_in_arrears == 0
    assert standing(on_checkoff).balance == Decimal("90.00")


def test_a_month_remitted_short_is_no_longer_protected(acme, journeyman, charged_2026):
    member = MemberFactory(classification=journeyman, join_date=datetime.date(2020, 1, 1))
    AuthorizationFactory(member=member, employer=acme, signed_on=datetime.date(2026, 1, 1))
    charged_2026()
    payment_record(
        member=member,
        amount=Decimal("360.00"),
        method="check",
        received_date=datetime.date(2026, 9, 1),
        actor="tests",
    )  # January to August
    batch = remittance_check(
        employer=acme,
        content=remittance_csv(f"{member.member_number},,,,,2026-09,,,40.00"),
        file_name="short.csv",
        received_on=datetime.date(2026, 10, 10),
        actor="tests",
    ).batch
    remittance_post(batch=batch, actor="tests")
    # September: remitted 5.00 short, so owed by the member; October: not remitted yet.
    assert standing(member).months_in_arrears == 1


def test_months_before_the_authorization_or_after_its_revocation_count(
    acme, journeyman, charged_2026
):
    member = MemberFactory(classification=journeyman, join_date=datetime.date(2020, 1, 1))
    authorization = AuthorizationFactory(
        member=member, employer=acme, signed_on=datetime.date(2026, 3, 20)
    )
    charged_2026()
    assert standing(member).months_in_arrears == 2  # January and February
    authorization.revoked_on = datetime.date(2026, 8, 1)  # covers March to July
    authorization_save(authorization=authorization, actor="tests")
    assert standing(member).months_in_arrears == 5  # and August to October


cents = st.integers(min_value=100, max_value=9_000).map(lambda c: Decimal(c) / 100)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    signed=st.integers(min_value=0, max_value=9),
    revoked=st.one_of(st.none(), st.integers(min_value=0, max_value=10)),
    remitted=st.lists(st.tuples(st.integers(min_value=1, max_value=8), cents), max_size=4),
    paid=st.lists(cents, max_size=3),
    posted=st.booleans(),
    as_of_month=st.integers(min_value=2, max_value=12),
    recorded_month=st.integers(min_value=1, max_value=12),
)
def test_both_selectors_agree_with_authorizations_and_remittances(
    journeyman, signed, revoked, remitted, paid, posted, as_of_month, recorded_month
):
    employer = EmployerFactory(code="PROP")
    member = MemberFactory(classification=journeyman, join_date=datetime.date(2020, 1, 1))
    for month in range(1, 9):
        dues_charges_generate(period=DuesPeriodFactory(year=2025, month=month), actor="tests")
    start = datetime.date(2025, 1, 1) + datetime.timedelta(days=31 * signed)
    end = (
        None
        if revoked is None
        else max(start, datetime.date(2025, 1, 1) + datetime.timedelta(days=31 * revoked))
    )
    AuthorizationFactory(member=member, employer=employer, signed_on=start, revoked_on=end)
    for amount in paid:
        payment_record(
            member=member,
            amount=amount,
            method="cash",
            received_date=datetime.date(2025, 6, 1),
            actor="tests",
        )
    if remitted:
        rows = [f"{member.member_number},,,,,2025-{m:02d},,,{a}" for m, a in remitted]
        batch = remittance_check(
            employer=employer,
            content=remittance_csv(*rows),
            file_name="p.csv",
            received_on=datetime.date(2025, 9, 1),
            actor="tests",
        ).batch
        if posted:
            remittance_post(batch=batch, actor="tests")
            assert batch.__class__.objects.get(pk=batch.pk).status == BatchStatus.POSTED
    as_of = datetime.date(2025, as_of_month, 1)
    summary = standing(member, as_of)
    # As the records stood on a day: the remittance received on September 1st had not
    # arrived before it.
    recorded_by = datetime.date(2025, recorded_month, 15)
    then = member_dues_summary(member, as_of, recorded_by=recorded_by)
    many = dues_standings(Member.objects.filter(pk=member.pk), as_of, recorded_by=recorded_by)
    assert (many[member.pk].months_in_arrears, many[member.pk].balance) == (
        then.months_in_arrears,
        then.balance,
    )
    member_ledgers_refresh([member.pk], as_of=as_of)
    assert MemberLedger.objects.get(member=member).months_in_arrears == summary.months_in_arrears
    member_ledgers_refresh([member.pk])
