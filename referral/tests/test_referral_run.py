"""The morning referral run (referral/services/runs.py, referral/offers.py)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from checkoff.tests.factories import EmployerFactory
from members.tests.factories import MemberFactory
from referral.models import (
    Dispatch,
    ReferralRunStatus,
    SkipReason,
)
from referral.offers import list_hash, offers_and_skips
from referral.services import (
    exemption_start,
    labor_request_receive,
    referral_run_confirm,
    referral_run_propose,
    registration_register,
)

pytestmark = pytest.mark.django_db

WEDNESDAY = datetime.date(2026, 12, 9)


@pytest.fixture
def employer(db):
    return EmployerFactory(code="ACME")


def test_a_run_offers_the_first_eligible_and_records_skips(book, employer, clock):
    clock.set(2026, 12, 1, 9, 0)
    registrations = [
        registration_register(
            member=MemberFactory(classification=book.classification), book=book, actor="tests"
        )
        for _ in range(4)
    ]
    exemption_start(
        registration=registrations[0],
        kind="medical",
        starts_on=datetime.date(2026, 12, 1),
        actor="tests",
    )
    clock.set(2026, 12, 8, 9, 0)
    labor_request_receive(
        employer=employer,
        book=book,
        positions=2,
        start_on=WEDNESDAY,
        start_at=datetime.time(7, 0),
        worksite="x",
        report_to="y",
        wage=Decimal("50.00"),
        requirements=[],
        short_call=False,
        agreement_type="standard",
        actor="tests",
    )
    clock.set(2026, 12, 9, 6, 0)
    run = referral_run_propose(actor="tests")
    lines = list(run.lines.order_by("order"))
    assert [(line.outcome, line.reason) for line in lines] == [
        ("skip", SkipReason.EXEMPT),
        ("offer", ""),
        ("offer", ""),
    ]
    assert run.list_hash == list_hash(run.consulted)
    replayed = offers_and_skips(run.consulted)
    assert [(x.registration, x.outcome, x.reason) for x in replayed] == [
        (line.registration_id, line.outcome, line.reason) for line in lines
    ]
    referral_run_confirm(run=run, actor="tests")
    run.refresh_from_db()
    assert run.status == ReferralRunStatus.CONFIRMED
    assert Dispatch.objects.count() == 2
