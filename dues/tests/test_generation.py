"""Generating a period's charges: one per active member, once, even when two runs race."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.urls import reverse

from accounts import roles
from audit.models import AuditEvent
from dues.models import DuesCharge
from dues.services import dues_charges_generate
from dues.tests.factories import DuesPeriodFactory, DuesRateFactory
from members.tests.factories import ClassificationFactory, MemberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup():
    journeyman = ClassificationFactory(code="JW", name="Journeyman Wireman")
    DuesRateFactory(classification=journeyman, monthly_amount=Decimal("45.00"))
    active = MemberFactory.create_batch(3, classification=journeyman)
    MemberFactory(classification=journeyman, status="suspended")
    MemberFactory(classification=journeyman, status="retired")
    MemberFactory(classification=journeyman, join_date=datetime.date(2026, 12, 1))  # not yet
    return DuesPeriodFactory(year=2026, month=11), active


def test_one_charge_per_active_member_at_their_rate(setup):
    period, active = setup
    result = dues_charges_generate(period=period)
    assert result.created == 3
    charges = DuesCharge.objects.filter(period=period)
    assert {c.member_id for c in charges} == {m.pk for m in active}
    assert {c.amount for c in charges} == {Decimal("45.00")}


def test_a_second_run_creates_nothing(setup):
    period, _ = setup
    dues_charges_generate(period=period)
    again = dues_charges_generate(period=period)
    assert again.created == 0
    assert again.already_charged == 3
    assert DuesCharge.objects.filter(period=period).count() == 3


def test_generation_writes_history_and_an_audit_event_per_charge(setup, user_with_role):
    period, _ = setup
    officer = user_with_role(roles.OFFICER)
    dues_charges_generate(period=period, actor=officer)
    assert DuesCharge.history.filter(history_user=officer).count() == 3
    events = AuditEvent.objects.filter(model_label="dues.duescharge", action="create")
    assert events.count() == 3
    assert {e.member_number for e in events} == {m.member_number for m in setup[1]}


def test_the_command_generates_and_reports(setup, capsys):
    call_command("generate_dues_charges", "2026-11")
    assert "2026-11: 3 charges created." in capsys.readouterr().out
    assert (
        AuditEvent.objects.filter(
            model_label="dues.duescharge", actor_label="generate_dues_charges"
        ).count()
        == 3
    )


def test_the_command_reports_members_without_a_rate(setup, capsys):
    MemberFactory(classification=ClassificationFactory(code="RT", name="Retired"))
    call_command("generate_dues_charges", "2026-11")
    captured = capsys.readouterr()
    assert "1 members skipped: no dues rate for RT" in captured.out
    assert "no rate for RT" in captured.err


@pytest.mark.parametrize("label", ["2026-13", "November", "2031-01"])
def test_the_command_refuses_a_period_that_does_not_exist(setup, label):
    with pytest.raises(CommandError, match="Nothing was written"):
        call_command("generate_dues_charges", label)
    assert not DuesCharge.objects.exists()


def test_officers_generate_from_the_admin(client, user_with_role, setup):
    period, _ = setup
    client.force_login(user_with_role(roles.OFFICER))
    response = client.post(
        reverse("admin:dues_duesperiod_changelist"),
        {"action": "generate_charges", "_selected_action": [period.pk]},
    )
    assert response.status_code == 302
    assert DuesCharge.objects.filter(period=period).count() == 3
    page = client.get(reverse("admin:dues_duesperiod_changelist"))
    assert "3 charges created" in next(str(m) for m in get_messages(page.wsgi_request))
    assert b"135.00" in page.content  # billed


def test_staff_cannot_generate(client, user_with_role, setup):
    period, _ = setup
    client.force_login(user_with_role(roles.STAFF))
    page = client.get(reverse("admin:dues_duesperiod_changelist"))
    assert b"generate_charges" not in page.content
    client.post(
        reverse("admin:dues_duesperiod_changelist"),
        {"action": "generate_charges", "_selected_action": [period.pk]},
    )
    assert not DuesCharge.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_runs_racing_on_two_connections_charge_each_member_once(race):
    journeyman = ClassificationFactory(code="JW", name="Journeyman Wireman")
    DuesRateFactory(classification=journeyman)
    MemberFactory.create_batch(40, classification=journeyman)
    period = DuesPeriodFactory(year=2026, month=11)

    results, errors = race(lambda: dues_charges_generate(period=period).created)

    assert errors == []
    assert sorted(results) == [0, 40]
    assert DuesCharge.objects.filter(period=period).count() == 40
    assert DuesCharge.history.count() == 40
    assert connection.vendor == "postgresql"
