from __future__ import annotations

import datetime
import zoneinfo

import pytest
from django.utils import timezone

from members.tests.factories import ClassificationFactory

from .factories import BookFactory, rules_in_force


class Clock:
    """The time the services see (django.utils.timezone.now), set by a test in the local's
    wall-clock time: clock.set(2026, 3, 8, 23, 30)."""

    def __init__(self, start: datetime.datetime):
        self.now = start

    def set(self, *parts: int) -> datetime.datetime:
        local = datetime.datetime(
            *parts, tzinfo=zoneinfo.ZoneInfo(timezone.get_current_timezone_name())
        )
        self.now = local
        return local

    def advance(self, **delta: float) -> datetime.datetime:
        self.now = self.now + datetime.timedelta(**delta)
        return self.now


@pytest.fixture
def clock(monkeypatch, settings):
    settings.TIME_ZONE = "America/Los_Angeles"
    timezone.activate(zoneinfo.ZoneInfo("America/Los_Angeles"))
    the_clock = Clock(timezone.now())
    monkeypatch.setattr(timezone, "now", lambda: the_clock.now)
    yield the_clock
    timezone.deactivate()


@pytest.fixture
def wireman(db):
    return ClassificationFactory(code="JW", name="Journeyman Wireman")


@pytest.fixture
def rules(db):
    return rules_in_force()


@pytest.fixture
def book(rules, wireman):
    return BookFactory(code="WIRE-N", classification=wireman, tiers=2)


@pytest.fixture
def employer(db):
    from checkoff.tests.factories import EmployerFactory

    return EmployerFactory(code="ACME")


@pytest.fixture
def registered(book, clock):
    """Register a new member (of the book's classification) on a book (`book` unless
    given), a second after the clock's time (set to Dec 1, 2026, 09:00 to begin with)."""
    from members.tests.factories import MemberFactory
    from referral.services import registration_register

    clock.set(2026, 12, 1, 9, 0)

    def go(on=None, member=None):
        on = on or book
        member = member or MemberFactory(classification=on.classification)
        clock.advance(seconds=1)
        return registration_register(member=member, book=on, actor="tests")

    return go


@pytest.fixture
def requested(book, employer, clock):
    """Receive a labor request on Tuesday Dec 8, 2026, 09:00 (referral day: Wednesday Dec 9,
    work at 07:00), one position on `book` unless `changes` say otherwise."""
    from decimal import Decimal

    from referral.services import labor_request_receive

    received = []

    def go(**changes):
        # A second apart, in the order asked: the run takes a book's requests oldest first.
        clock.set(2026, 12, 8, 9, 0)
        clock.advance(seconds=len(received))
        values = {
            "employer": employer,
            "book": book,
            "positions": 1,
            "start_on": datetime.date(2026, 12, 9),
            "start_at": datetime.time(7, 0),
            "worksite": "1 Main St, Bellevue",
            "report_to": "Gate 3",
            "wage": Decimal("52.10"),
            "requirements": [],
            "short_call": False,
            "agreement_type": "standard",
            "actor": "tests",
            **changes,
        }
        received.append(labor_request_receive(**values))
        return received[-1]

    return go
