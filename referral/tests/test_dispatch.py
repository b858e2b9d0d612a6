"""Dispatch through its services (referral/services/dispatching.py)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from checkoff.tests.factories import EmployerFactory
from members.tests.factories import MemberFactory
from referral.models import (
    Blackout,
    Dispatch,
    DispatchMethod,
    DispatchStatus,
    EventKind,
    LaborRequestStatus,
    RegistrationStatus,
    RollOffReason,
)
from referral.services import (
    dispatch_check_in,
    dispatch_make,
    dispatch_terminate,
    labor_request_receive,
    registration_register,
)

pytestmark = pytest.mark.django_db

TUESDAY = datetime.date(2026, 12, 8)
WEDNESDAY = datetime.date(2026, 12, 9)


@pytest.fixture
def employer(db):
    return EmployerFactory(code="ACME")


@pytest.fixture
def registered(book, clock):
    clock.set(2026, 12, 1, 9, 0)

    def go(on=book):
        member = MemberFactory(classification=on.classification)
        return registration_register(member=member, book=on, actor="tests")

    return go


@pytest.fixture
def request_for(book, employer, clock):
    def go(**changes):
        clock.set(2026, 12, 8, 9, 0)
        values = {
            "employer": employer,
            "book": book,
            "positions": 1,
            "start_on": WEDNESDAY,
            "start_at": datetime.time(7, 0),
            "worksite": "1 Main St",
            "report_to": "Gate 3",
            "wage": Decimal("52.10"),
            "requirements": [],
            "short_call": False,
            "agreement_type": "standard",
            "actor": "tests",
            **changes,
        }
        return labor_request_receive(**values)

    return go


def test_a_dispatch_holds_the_registration_and_fills_the_request(registered, request_for):
    registration = registered()
    labor_request = request_for()
    dispatch = dispatch_make(
        labor_request=labor_request,
        registration=registration,
        method=DispatchMethod.IN_PERSON,
        actor="tests",
    )
    registration.refresh_from_db()
    labor_request.refresh_from_db()
    assert dispatch.status == DispatchStatus.DISPATCHED
    assert registration.status == RegistrationStatus.DISPATCHED
    assert labor_request.status == LaborRequestStatus.FILLED
    assert registration.events.filter(kind=EventKind.DISPATCHED).count() == 1


def test_quit_rolls_off_every_book_and_blacks_out(registered, request_for, clock, book):
    registration = registered()
    labor_request = request_for()
    dispatch = dispatch_make(
        labor_request=labor_request,
        registration=registration,
        method=DispatchMethod.IN_PERSON,
        actor="tests",
    )
    clock.set(2026, 12, 9, 6, 0)
    dispatch_check_in(dispatch=dispatch, actor="tests")
    clock.set(2026, 12, 10, 12, 0)
    dispatch_terminate(
        dispatch=dispatch, reason="quit", on=datetime.date(2026, 12, 10), actor="tests"
    )
    registration.refresh_from_db()
    assert registration.roll_off_reason == RollOffReason.QUIT
    blackout = Blackout.objects.get()
    assert blackout.ends_on == datetime.date(2026, 12, 24)
    assert Dispatch.objects.get().status == DispatchStatus.TERMINATED
    with pytest.raises(ValidationError):
        dispatch_terminate(
            dispatch=dispatch, reason="quit", on=datetime.date(2026, 12, 10), actor="tests"
        )
