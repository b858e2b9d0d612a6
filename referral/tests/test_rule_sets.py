"""Rule sets are versioned by effective date and activated only after notice; every
decision names the version it applied (docs/design.md §11, docs/domain.md §6)."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from members.tests.factories import MemberFactory
from referral.models import RuleSet
from referral.selectors import rule_set_in_force
from referral.services import (
    registration_register,
    registration_resign,
    rule_set_activate,
    rule_set_save,
)

from .factories import rules_in_force

pytestmark = pytest.mark.django_db


def _version(version: int, effective_on: datetime.date, notice_given_on=None) -> RuleSet:
    return RuleSet.objects.create(
        version=version, effective_on=effective_on, notice_given_on=notice_given_on
    )


def test_a_version_without_notice_cannot_be_activated(db):
    draft = _version(1, datetime.date(2027, 3, 1))
    with pytest.raises(ValidationError, match="Give registrants notice of these rules"):
        rule_set_activate(rule_set=draft, actor="tests")
    draft.refresh_from_db()
    assert not draft.active and rule_set_in_force(datetime.date(2027, 3, 1)) is None


def test_notice_must_come_the_configured_days_before_the_rules_take_effect(settings, clock):
    settings.REFERRAL_NOTICE_DAYS = 30
    clock.set(2026, 12, 7, 9, 0)
    late = _version(1, datetime.date(2026, 12, 20), notice_given_on=datetime.date(2026, 12, 1))
    with pytest.raises(ValidationError, match="less than 30 days before these rules take effect"):
        rule_set_activate(rule_set=late, actor="tests")

    in_time = _version(2, datetime.date(2026, 12, 31), notice_given_on=datetime.date(2026, 12, 1))
    assert rule_set_activate(rule_set=in_time, actor="tests").active


def test_only_officers_and_admin_activate_rules(user_with_role, clock):
    clock.set(2026, 12, 7, 9, 0)
    rule_set = _version(1, datetime.date(2027, 3, 1), notice_given_on=datetime.date(2026, 11, 1))
    for role in ("Dispatcher", "Staff"):
        with pytest.raises(PermissionDenied):
            rule_set_activate(rule_set=rule_set, actor=user_with_role(role))
    activated = rule_set_activate(rule_set=rule_set, actor=user_with_role("Officer"))
    assert activated.activated_by.groups.filter(name="Officer").exists()


def test_the_rules_in_force_change_on_the_effective_date_and_decisions_keep_their_version(
    book, rules, clock
):
    rules_in_force(datetime.date(2027, 1, 4), version=2, resign_days=14)
    assert rule_set_in_force(datetime.date(2027, 1, 3)) == rules
    assert rule_set_in_force(datetime.date(2027, 1, 4)).version == 2

    clock.set(2027, 1, 3, 23, 59)  # the local's wall clock: still January 3
    before = registration_register(member=MemberFactory(), book=book, actor="tests")
    clock.set(2027, 1, 4, 0, 1)
    after = registration_register(member=MemberFactory(), book=book, actor="tests")
    resigned = registration_resign(registration=before, actor="tests")

    assert (before.rule_set.version, after.rule_set.version) == (1, 2)
    assert before.resign_due == datetime.date(2027, 2, 2)  # 30 days, v1
    assert after.resign_due == datetime.date(2027, 1, 18)  # 14 days, v2
    assert resigned.resign_due == datetime.date(2027, 1, 18)
    assert [e.rule_set.version for e in before.events.order_by("at")] == [1, 2]


def test_rules_are_put_in_force_from_today_on_never_from_a_day_gone_by(settings, clock):
    settings.REFERRAL_NOTICE_DAYS = 30
    clock.set(2026, 12, 7, 9, 0)
    past = _version(1, datetime.date(2026, 12, 6), notice_given_on=datetime.date(2026, 10, 1))
    with pytest.raises(ValidationError) as refused:
        rule_set_activate(rule_set=past, actor="tests")
    assert refused.value.message_dict == {
        "effective_on": [
            "These rules would take effect on Dec 06, 2026, a day already gone by: decisions "
            "made since under the rules then in force stand. Set an effective date from today on."
        ]
    }
    past.refresh_from_db()
    assert not past.active and rule_set_in_force(datetime.date(2026, 12, 7)) is None

    today = _version(2, datetime.date(2026, 12, 7), notice_given_on=datetime.date(2026, 10, 1))
    assert rule_set_activate(rule_set=today, actor="tests").active
    assert rule_set_in_force(datetime.date(2026, 12, 7)) == today


def _draft_with_notice() -> RuleSet:
    return _version(2, datetime.date(2027, 3, 1), notice_given_on=datetime.date(2026, 12, 1))


@pytest.mark.parametrize(
    ("change", "cleared"),
    [
        ({"resign_days": 45}, True),
        ({"text": "Re-sign every 45 days."}, True),
        ({"book_one_years": 3}, True),
        ({"bidding_opens": datetime.time(18, 0)}, True),
        ({"effective_on": datetime.date(2027, 2, 1)}, True),  # earlier than they were told
        ({"effective_on": datetime.date(2027, 4, 1)}, False),  # later: the notice still holds
        ({"notice_given_on": datetime.date(2026, 12, 2)}, False),
        # The notice of the rules as changed, entered with the change: kept.
        ({"resign_days": 45, "notice_given_on": datetime.date(2026, 12, 7)}, False),
        ({"version": 3}, False),
        ({}, False),
    ],
)
def test_a_draft_whose_rules_change_after_its_notice_loses_its_notice_date(
    rules, clock, change, cleared
):
    clock.set(2026, 12, 7, 9, 0)
    draft = _draft_with_notice()
    for field, value in change.items():
        setattr(draft, field, value)

    assert rule_set_save(rule_set=draft, actor="tests") is cleared

    draft.refresh_from_db()
    assert draft.notice_given_on == (
        None if cleared else change.get("notice_given_on", datetime.date(2026, 12, 1))
    )
    if cleared:
        with pytest.raises(ValidationError, match="Give registrants notice of these rules"):
            rule_set_activate(rule_set=draft, actor="tests")
        assert draft.history.first().notice_given_on is None  # the trail says so too


def test_a_draft_without_notice_changes_freely_and_an_activated_version_never(rules, clock):
    clock.set(2026, 12, 7, 9, 0)
    draft = _version(2, datetime.date(2027, 3, 1))
    draft.resign_days = 45
    assert rule_set_save(rule_set=draft, actor="tests") is False
    new = RuleSet(version=3, effective_on=datetime.date(2027, 6, 1))
    assert rule_set_save(rule_set=new, actor="tests") is False and new.pk

    rules.resign_days = 10
    with pytest.raises(ValidationError, match="is active: these are the rules registrants"):
        rule_set_save(rule_set=rules, actor="tests")
    rules.refresh_from_db()
    assert rules.resign_days == 30


def test_only_those_who_write_rules_save_them(rules, user_with_role):
    draft = _draft_with_notice()
    with pytest.raises(PermissionDenied):
        rule_set_save(rule_set=draft, actor=user_with_role("Staff"))
    assert rule_set_save(rule_set=draft, actor=user_with_role("Dispatcher")) is False
