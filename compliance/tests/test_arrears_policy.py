"""The arrears policy applied (docs/design.md §10): audited decisions naming the policy version,
notices before suspension, the reinstatement fee, reinstatement that leaves continuity
broken, an officer's hold and override, versions that never rewrite what was decided."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from audit.models import AuditEvent
from compliance.forms import ArrearsPolicyForm
from compliance.models import ChangeKind, StandingChange
from compliance.selectors import standing_on
from compliance.services import (
    arrears_policy_apply,
    arrears_policy_proposals,
    standing_hold,
    standing_hold_release,
    standing_override,
)
from dues.models import Adjustment, PaymentMethod
from dues.selectors import member_ledger
from dues.services import dues_charges_generate, member_ledgers_bring_up_to_date, payment_record

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


@pytest.fixture
def behind(policy, member, in_advance_2026):
    """January paid; February, March and April not (suspended on April 1st)."""
    in_advance_2026()
    pay(member, "45.00", D(2026, 1, 1))
    return member


def test_suspension_is_an_audited_decision_naming_the_policy_and_charging_the_fee(
    behind, policy, officer
):
    run = arrears_policy_apply(day=D(2026, 4, 1), actor=officer)
    assert run.applied == 1
    behind.refresh_from_db()
    assert behind.status == "suspended"
    change = StandingChange.objects.get(member=behind)
    assert (change.kind, change.policy, change.months_owed, change.decided_by) == (
        ChangeKind.SUSPEND,
        policy,
        3,
        officer,
    )
    fee = Adjustment.objects.get(member=behind)
    assert fee.amount == Decimal("30.00")
    assert policy.version in fee.reason
    # The decision and the member's new status are both in the trail.
    assert AuditEvent.objects.filter(
        model_label="compliance.standingchange", member_id=behind.pk
    ).exists()
    status_events = [
        e.changes
        for e in AuditEvent.objects.filter(model_label="members.member", object_id=str(behind.pk))
    ]
    assert any(
        "status" in str(changes) and "suspended" in str(changes) for changes in status_events
    )


def test_running_it_twice_changes_nothing_more(behind, officer):
    arrears_policy_apply(day=D(2026, 4, 1), actor=officer)
    again = arrears_policy_apply(day=D(2026, 4, 1), actor=officer)
    assert again.applied == 0
    assert StandingChange.objects.count() == 1
    assert Adjustment.objects.count() == 1


def test_a_dry_run_lists_and_changes_nothing(behind):
    run = arrears_policy_apply(day=D(2026, 4, 1), dry_run=True, actor="tests")
    assert [p.kind for p in run.proposals] == [ChangeKind.SUSPEND]
    behind.refresh_from_db()
    assert behind.status == "active"
    assert not StandingChange.objects.exists()


def test_a_notice_before_suspension_is_mailed_once_in_the_locals_words(
    behind, policy, officer, django_capture_on_commit_callbacks
):
    behind.email = "m@example.com"
    behind.save()
    with django_capture_on_commit_callbacks(execute=True):
        arrears_policy_apply(day=D(2026, 2, 1), actor=officer)
    with django_capture_on_commit_callbacks(execute=True):
        arrears_policy_apply(day=D(2026, 2, 15), actor=officer)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["m@example.com"]
    assert f"Dear {behind.full_name}, you owe 1 months ($45.00)" in mail.outbox[0].body
    behind.refresh_from_db()
    assert behind.status == "active"
    with django_capture_on_commit_callbacks(execute=True):
        arrears_policy_apply(day=D(2026, 3, 1), actor=officer)
    assert len(mail.outbox) == 2  # two months owed: a second notice


def test_reinstatement_once_arrears_and_fee_are_paid_leaves_continuity_broken(behind, officer):
    arrears_policy_apply(day=D(2026, 4, 1), actor=officer)
    # Suspended members are not charged further periods: February to April, and the fee.
    pay(behind, "134.99", D(2026, 4, 20))
    assert arrears_policy_apply(day=D(2026, 4, 20), actor=officer).applied == 0
    pay(behind, "0.01", D(2026, 4, 21))
    arrears_policy_apply(day=D(2026, 4, 21), actor=officer)
    behind.refresh_from_db()
    assert behind.status == "active"
    reinstated = StandingChange.objects.get(member=behind, kind=ChangeKind.REINSTATE)
    assert reinstated.continuity_broken_from == D(2026, 4, 1)
    assert "continuous good standing broken" in reinstated.reason
    # What the ledger said on the days of the suspension is unchanged by the payment.
    assert not standing_on(behind, D(2026, 4, 10)).in_good_standing
    assert standing_on(behind, D(2026, 4, 10)).status == "suspended"


def test_a_suspended_member_unpaid_for_six_months_is_dropped(behind, officer):
    arrears_policy_apply(day=D(2026, 4, 1), actor=officer)
    assert arrears_policy_apply(day=D(2026, 6, 30), actor=officer).applied == 0
    arrears_policy_apply(day=D(2026, 7, 1), actor=officer)
    behind.refresh_from_db()
    assert behind.status == "dropped"
    assert "Unpaid for 6 months" in StandingChange.objects.get(kind=ChangeKind.DROP).reason


def test_a_held_member_is_proposed_but_not_changed(behind, officer):
    hold = standing_hold(member=behind, reason="Laid off; arranging to pay (452.86)", actor=officer)
    run = arrears_policy_apply(day=D(2026, 4, 1), actor=officer)
    assert run.applied == 0
    assert run.proposals[0].held == "Laid off; arranging to pay (452.86)"
    behind.refresh_from_db()
    assert behind.status == "active"
    standing_hold_release(hold=hold, actor=officer)
    assert arrears_policy_apply(day=D(2026, 4, 1), actor=officer).applied == 1


def test_an_officer_overrides_with_a_reason(behind, officer):
    with pytest.raises(ValidationError):
        standing_override(member=behind, status="suspended", reason="  ", actor=officer)
    change = standing_override(
        member=behind, status="retired", reason="Retired at 65, per letter", actor=officer
    )
    behind.refresh_from_db()
    assert behind.status == "retired"
    assert (change.kind, change.policy, change.reason) == (
        ChangeKind.OVERRIDE,
        None,
        "Retired at 65, per letter",
    )


def test_a_policy_change_does_not_rewrite_earlier_decisions(behind, policy, officer):
    arrears_policy_apply(day=D(2026, 4, 1), actor=officer)
    # A stricter version cannot take effect on a day already decided...
    form = ArrearsPolicyForm(
        data={
            "effective_date": "2026-03-01",
            "convention": "in_advance",
            "grace_days": 0,
            "delinquent_after": 1,
            "suspend_after": 2,
            "drop_after": 4,
            "reinstatement_fee": "50.00",
            "notice_subject": "Arrears",
            "notice_text": "Pay.",
        }
    )
    assert not form.is_valid()
    assert "takes effect after 2026-04-01" in str(form.errors)
    # ...but after it; the decision made keeps naming the version it was made by.
    stricter = ArrearsPolicyFactory(effective_date=D(2026, 5, 1), suspend_after=2, drop_after=4)
    decision = StandingChange.objects.get(member=behind)
    assert decision.policy == policy
    assert standing_on(behind, D(2026, 4, 1)).policy == policy
    assert standing_on(behind, D(2026, 5, 1)).policy == stricter


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_change_a_member_once(behind, race):
    results, errors = race(lambda: arrears_policy_apply(day=D(2026, 4, 1), actor="tests").applied)
    assert errors == []
    assert sorted(results) == [0, 1]
    assert StandingChange.objects.filter(member=behind).count() == 1
    assert Adjustment.objects.filter(member=behind).count() == 1


def test_a_reason_names_the_policys_months_and_the_ledgers_where_they_differ(behind, policy):
    # Dues in advance: April, due on the 1st, is owed by the policy that day; the ledger
    # counts a month from the day after it is due. Both numbers are named, each by its rule.
    [on_the_first] = arrears_policy_proposals(D(2026, 4, 1)).proposals
    assert on_the_first.months_owed == 3
    assert "Owes 3 month(s)" in on_the_first.reason
    assert "(the dues ledger: 2 month(s) behind on 2026-04-01" in on_the_first.reason

    [a_day_later] = arrears_policy_proposals(D(2026, 4, 2)).proposals
    assert a_day_later.months_owed == 3 and "dues ledger" not in a_day_later.reason


def _notice_on(day, member, officer, capture) -> str:
    member.email = "m@example.com"
    member.save()
    with capture(execute=True):
        arrears_policy_apply(day=day, actor=officer)
    [notice] = mail.outbox
    return notice.body


def test_a_notice_names_the_ledgers_months_and_the_policys_where_they_differ(
    behind, policy, officer, django_capture_on_commit_callbacks
):
    # Dues in advance: February, due on the 1st, is owed by the policy that day; the dues
    # page counts it behind from the 2nd, and nothing is past due yet.
    body = _notice_on(D(2026, 2, 1), behind, officer, django_capture_on_commit_callbacks)
    assert "you owe 1 months ($45.00)" in body  # the local's own words, the policy's count
    assert (
        "Your dues on 2026-02-01, as your dues page shows them:\n"
        "Past due: $0.00\n"
        "Balance: $45.00\n"
        "Months behind: 0 (a month counts from the day after its due date)\n"
        f"Months owed by arrears policy {policy.version}: 1 (a month is owed from its due "
        "date). This notice goes by the policy's count.\n"
    ) in body


def test_a_notice_names_a_grace_periods_months_beside_the_ledgers(
    behind, officer, django_capture_on_commit_callbacks
):
    graced = ArrearsPolicyFactory(effective_date=D(2021, 1, 1), grace_days=30)
    # On March 15th, 30 days' grace leaves February owed; the dues page counts February
    # and March behind.
    body = _notice_on(D(2026, 3, 15), behind, officer, django_capture_on_commit_callbacks)
    assert "you owe 1 months" in body
    assert "Past due: $90.00\nBalance: $90.00\n" in body
    assert "Months behind: 2 (a month counts from the day after its due date)\n" in body
    assert (
        f"Months owed by arrears policy {graced.version}: 1 (a month is owed from its due "
        "date, after 30 days' grace)."
    ) in body


def test_a_notice_today_names_what_the_dues_page_shows(
    member, policy, officer, django_capture_on_commit_callbacks
):
    """Where both count the same, one count; the amounts are the dues page's, the charge
    made ahead of its due date in the balance, not in what is past due."""
    today = timezone.localdate()
    last = (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    ahead = (today.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)
    for month in (last, ahead):
        for period in month_periods(month.year, [month.month]):
            dues_charges_generate(period=period, actor="tests")

    body = _notice_on(today, member, officer, django_capture_on_commit_callbacks)
    member_ledgers_bring_up_to_date(member_ids=[member.pk])
    page = member_ledger(member)
    assert (page.past_due, page.balance, page.months_in_arrears) == (
        Decimal("45.00"),
        Decimal("90.00"),
        1,
    )
    assert (
        f"Your dues on {today}, as your dues page shows them:\n"
        "Past due: $45.00\nBalance: $90.00\nMonths behind: 1\n"
    ) in body
    assert "Months owed by arrears policy" not in body
