"""The totals the database keeps for the pages about the whole local (dues/kept_totals.py):
they follow every write, whoever makes it, fold without losing a change, and the check
names any that went wrong. (After each test here, the ledgers_agree fixture also sums every
total afresh and compares.)"""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import roles
from dues.kept_totals import kept_totals_check, kept_totals_compact
from dues.ledger import Standing
from dues.models import DuesPeriod, KeptTotal, MemberLedger, Payment, PaymentMethod
from dues.selectors import arrears_list, arrears_totals, period_money, standing_counts
from dues.services import (
    dues_charges_generate,
    member_ledgers_refresh,
    payment_record,
    refund_record,
)
from dues.tests.factories import DuesRateFactory, periods
from members.models import Member, MemberStatus
from members.services import member_update
from members.tests.factories import MemberFactory

pytestmark = pytest.mark.django_db

ACTIVE = [MemberStatus.ACTIVE]


@pytest.fixture
def local(journeyman):
    """Four members charged 45.00 for January to June 2026: one paid up, one a month
    behind, two four months behind (owing the same)."""
    DuesRateFactory(classification=journeyman, monthly_amount=Decimal("45.00"))
    members = [
        MemberFactory(classification=journeyman, member_number=number, last_name=name)
        for number, name in [("1001", "Paid"), ("1002", "One"), ("1004", "Four"), ("1003", "Too")]
    ]
    for period in periods(2026, range(1, 7)):
        dues_charges_generate(period=period, actor="tests")
    for member, months in zip(members, [6, 5, 2, 2], strict=True):
        payment_record(
            member=member,
            amount=Decimal("45.00") * months,
            method=PaymentMethod.CHECK,
            received_date=datetime.date(2026, 3, 10),
            actor="tests",
        )
    return members


def test_standing_counts_follow_a_member_whose_status_changes(local):
    _, _, four, too = local
    assert standing_counts(ACTIVE) == {
        Standing.GOOD: 1,
        Standing.IN_ARREARS: 1,
        Standing.DELINQUENT: 2,
    }
    member_update(member=four, actor="tests", changes={"status": MemberStatus.SUSPENDED})
    assert standing_counts(ACTIVE)[Standing.DELINQUENT] == 1
    assert standing_counts([MemberStatus.SUSPENDED])[Standing.DELINQUENT] == 1
    assert MemberLedger.objects.get(member=four).member_status == MemberStatus.SUSPENDED
    assert arrears_totals(min_months=3, statuses=ACTIVE) == (1, Decimal("180.00"))
    assert arrears_totals(min_months=3) == (2, Decimal("360.00"))
    assert [row.member for row in arrears_list(min_months=3, statuses=ACTIVE)] == [too]


def test_the_arrears_report_orders_equal_debts_by_member_number_as_numbers_change(
    client, user_with_role, local
):
    too = local[3]
    client.force_login(user_with_role(roles.OFFICER))

    def listed() -> list[str]:
        page = client.get(reverse("dues:arrears"), {"months": 3}).context["page"]
        return [row.member.member_number for row in page.object_list]

    assert listed() == ["1003", "1004"]
    member_update(member=too, actor="tests", changes={"member_number": "1005"})
    assert listed() == ["1004", "1005"]
    response = client.get(reverse("dues:arrears"), {"months": 1})
    assert (response.context["count"], response.context["total"]) == (3, Decimal("405.00"))


def test_a_periods_money_follows_payments_refunds_and_status_changes(local):
    paid = local[0]
    march = DuesPeriod.objects.get(year=2026, month=3)
    assert period_money(march) == (Decimal("180.00"), Decimal("675.00"))  # 4 x 45; 15 x 45

    refund_record(
        payment=paid.payments.get(),
        amount="45.00",
        reason="Overpaid",
        refunded_date=datetime.date(2026, 3, 20),
        actor="tests",
    )
    assert period_money(march)[1] == Decimal("630.00")
    # A payment that turns out to have failed (as an ACH return reports it) stops counting
    # in the month it was received, however the row was changed.
    bounced = Payment.objects.get(member=local[1])
    Payment.objects.filter(pk=bounced.pk).update(status="failed")
    member_ledgers_refresh([bounced.member_id])
    assert period_money(march)[1] == Decimal("405.00")  # 630 - 5 x 45


def test_a_new_member_counts_at_once_and_their_first_charge_in_the_period(local, journeyman):
    before = standing_counts(ACTIVE)[Standing.GOOD]
    late = MemberFactory(classification=journeyman, join_date=datetime.date(2020, 1, 1))
    assert standing_counts(ACTIVE)[Standing.GOOD] == before + 1
    june = DuesPeriod.objects.get(year=2026, month=6)
    dues_charges_generate(period=june, actor="tests")
    assert period_money(june)[0] == Decimal("225.00")  # five members now
    assert MemberLedger.objects.get(member=late).member_number == late.member_number


def test_folding_the_rows_keeps_every_total(local):
    counts = standing_counts(ACTIVE)
    rows = KeptTotal.objects.count()
    folded = kept_totals_compact()
    assert folded == rows
    totals = set(KeptTotal.objects.values_list("measure", "status", "key"))
    assert KeptTotal.objects.count() == len(totals) < rows  # one row per total
    assert standing_counts(ACTIVE) == counts
    assert kept_totals_check() == []


def test_the_check_names_a_total_that_went_wrong_and_repair_sets_it_right(local):
    KeptTotal.objects.create(
        measure="standing", status="active", key=4, count=1, amount=Decimal("180.00")
    )
    Member.objects.filter(pk=local[2].pk).update(member_number="X-1")  # the trigger copies it
    MemberLedger.objects.filter(member=local[2]).update(member_number="stale")
    MemberLedger.objects.filter(member=local[0]).update(balance=Decimal("1.00"))

    out = io.StringIO()
    with pytest.raises(CommandError, match="3 difference"):
        call_command("ledger_check", stdout=out)
    assert f"member #{local[0].pk}: balance is 1.00 in the ledger, 0.00 by the rules" in (
        out.getvalue()
    )
    differences = [str(d) for d in kept_totals_check()]
    assert differences[0] == ("standing (active, 4): kept 3, 540.00; summed afresh 2, 360.00")
    assert differences[1] == (
        f"member #{local[2].pk}: the ledger copies status 'active' and number 'stale', "
        "the member has 'active' and 'X-1'"
    )

    with pytest.raises(CommandError, match="set right"):
        call_command("ledger_check", "--repair")
    call_command("ledger_check")  # no error: everything agrees again
    assert MemberLedger.objects.get(member=local[2]).member_number == "X-1"
    assert MemberLedger.objects.get(member=local[0]).balance == Decimal("0.00")


def test_the_nightly_check_fails_its_job_with_what_it_set_right(local):
    from jobs.models import JobStatus
    from jobs.services import job_kind, job_start

    MemberLedger.objects.filter(member=local[0]).update(balance=Decimal("1.00"))
    job = job_start(
        kind=job_kind("dues.ledger_check"), key="", label="Nightly check", actor="tests"
    )
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.error.startswith("1 difference, now set right: member #")
    assert MemberLedger.objects.get(member=local[0]).balance == Decimal("0.00")


def test_the_overview_reads_the_totals_not_the_tables(client, user_with_role, local):
    """Its cost does not grow with the local: no query of the overview reads charges,
    payments or ledgers row by row."""
    client.force_login(user_with_role(roles.STAFF))
    with CaptureQueriesContext(connection) as captured:
        overview = client.get(reverse("dues:overview")).context["overview"]
    assert [count for _, count in overview.standings] == [1, 1, 2]
    scanned = ("dues_duescharge", "dues_payment", "dues_refund", "members_member")
    summing = [q["sql"] for q in captured if "SUM(" in q["sql"] or "COUNT(" in q["sql"].upper()]
    assert summing and not [sql for sql in summing if any(t in sql for t in scanned)]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_totals_stay_exact_when_payments_race_each_other_and_a_fold(race, journeyman):
    DuesRateFactory(classification=journeyman, monthly_amount=Decimal("45.00"))
    members = MemberFactory.create_batch(6, classification=journeyman)
    dues_charges_generate(period=periods(2026, [1])[0], actor="tests")
    queue = list(members)

    def pay_or_fold():
        member = queue.pop() if queue else None
        if member is None:
            return kept_totals_compact()
        return payment_record(
            member=member,
            amount="45.00",
            method=PaymentMethod.CASH,
            received_date=datetime.date(2026, 1, 5),
            actor="tests",
        ).pk

    _, errors = race(pay_or_fold, times=8)
    assert errors == []
    assert kept_totals_check() == []
    january = DuesPeriod.objects.get(year=2026, month=1)
    assert period_money(january) == (Decimal("270.00"), Decimal("270.00"))


def test_the_apis_standing_filter_counts_from_the_totals_what_it_lists(user_with_role, local):
    from apikit.tests.client import api_client

    member_update(member=local[3], actor="tests", changes={"status": MemberStatus.SUSPENDED})
    client = api_client(user_with_role(roles.OFFICER))
    for standing in Standing.values:
        for status in ["", MemberStatus.ACTIVE, MemberStatus.SUSPENDED]:
            query = {"standing": standing, "status": status, "page_size": 200}
            with CaptureQueriesContext(connection) as captured:
                body = client.get("/api/v1/members/", query).json()
            assert body["count"] == len(body["results"]), query
            assert not [q for q in captured if "COUNT(" in q["sql"].upper()], query
    counted = client.get("/api/v1/members/", {"standing": "delinquent"}).json()
    assert [m["member_number"] for m in counted["results"]] == ["1004", "1003"]  # by name
    # With a search or a classification too, the page counts its matches as before.
    searched = client.get("/api/v1/members/", {"standing": "delinquent", "search": "Too"})
    assert searched.json()["count"] == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_payment_committed_while_the_check_reads_is_no_difference(monkeypatch, journeyman):
    """The check reads the caches, then sums the tables: a payment that commits in between
    (another connection, as a webhook would) must not be reported, nor "repaired"."""
    import threading

    from dues import kept_totals

    DuesRateFactory(classification=journeyman, monthly_amount=Decimal("45.00"))
    member = MemberFactory(classification=journeyman)
    dues_charges_generate(period=periods(2026, [1])[0], actor="tests")
    summed_afresh = kept_totals._worked_out

    def pay_meanwhile():
        payment_record(
            member=member,
            amount="45.00",
            method=PaymentMethod.CASH,
            received_date=datetime.date(2026, 1, 5),
            actor="tests",
        )
        connection.close()

    def worked_out_after_a_payment():
        paying = threading.Thread(target=pay_meanwhile)
        paying.start()
        paying.join()
        return summed_afresh()

    monkeypatch.setattr(kept_totals, "_worked_out", worked_out_after_a_payment)
    call_command("ledger_check")  # no difference found
    monkeypatch.undo()
    assert Payment.objects.filter(member=member).count() == 1
    assert kept_totals_check() == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_ledger_check_repairs_outside_any_transaction(local):
    """As the nightly job and a shell run it: not inside a request's transaction."""
    MemberLedger.objects.filter(member=local[0]).update(balance=Decimal("1.00"))
    with pytest.raises(CommandError, match=r"1 difference.*set right"):
        call_command("ledger_check", "--repair")
    assert MemberLedger.objects.get(member=local[0]).balance == Decimal("0.00")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_first_ledger_made_while_the_members_status_changes_copies_the_new_status(
    journeyman,
):
    """A charge run makes a member's first ledger while an officer suspends them: whichever
    commits first, the ledger ends with the status the member ends with."""
    import threading

    member = MemberFactory(classification=journeyman)
    changing, done = threading.Event(), threading.Event()

    def suspend_slowly():
        from django.db import transaction

        with transaction.atomic():
            Member.objects.filter(pk=member.pk).update(status=MemberStatus.SUSPENDED)
            changing.set()
            done.wait(timeout=0.5)  # still uncommitted while the ledger is made
        connection.close()

    officer = threading.Thread(target=suspend_slowly)
    officer.start()
    changing.wait(timeout=5)
    member_ledgers_refresh([member.pk])  # waits for the officer's commit, then copies
    done.set()
    officer.join()
    assert MemberLedger.objects.get(member=member).member_status == MemberStatus.SUSPENDED
    assert kept_totals_check() == []
