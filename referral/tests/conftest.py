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
