"""A labor request's referral day (referral.rules.referral_day_for and the service that
applies it): in before the cutoff (15:00, the local's wall clock) on a working day, the next
working day's morning referral; at or after it, or on a weekend or holiday, the one after.
The edge is exact to the millisecond and daylight-saving days change nothing."""

from __future__ import annotations

import datetime
import zoneinfo
from decimal import Decimal

import pytest

from checkoff.tests.factories import EmployerFactory
from referral.models import Holiday
from referral.rules import referral_day_for
from referral.services import labor_request_receive

LA = zoneinfo.ZoneInfo("America/Los_Angeles")
CUTOFF = datetime.time(15, 0)
THANKSGIVING = datetime.date(2026, 11, 26)


def at(*parts: int) -> datetime.datetime:
    return datetime.datetime(*parts, tzinfo=LA)


def day(month: int, d: int) -> datetime.date:
    return datetime.date(2026, month, d)


@pytest.mark.parametrize(
    ("received", "expected"),
    [
        # Tuesday: in by 14:59:59.999 → Wednesday; from 15:00:00.000 → Thursday.
        (at(2026, 12, 8, 14, 59, 59, 999000), day(12, 9)),
        (at(2026, 12, 8, 15, 0, 0, 0), day(12, 10)),
        (at(2026, 12, 8, 0, 0), day(12, 9)),
        (at(2026, 12, 8, 23, 59, 59, 999999), day(12, 10)),
        # Friday before the cutoff → Monday; after it → Tuesday (Monday's list is made Friday).
        (at(2026, 12, 11, 14, 59, 59, 999000), day(12, 14)),
        (at(2026, 12, 11, 15, 0), day(12, 15)),
        # A weekend is in on Monday: Tuesday's referral.
        (at(2026, 12, 12, 9, 0), day(12, 15)),
        (at(2026, 12, 13, 14, 0), day(12, 15)),
        # Thanksgiving: the day before it goes to Friday, or after the cutoff to Monday; on
        # the holiday itself, in on Friday: Monday.
        (at(2026, 11, 25, 14, 59, 59, 999000), day(11, 27)),
        (at(2026, 11, 25, 15, 0), day(11, 30)),
        (at(2026, 11, 26, 10, 0), day(11, 30)),
    ],
)
def test_referral_day_by_the_cutoff(received, expected):
    assert referral_day_for(received, CUTOFF, {THANKSGIVING}) == expected


@pytest.mark.parametrize(
    ("received", "expected"),
    [
        # Spring forward (Sunday March 8): a Sunday is in on Monday either side of 15:00.
        (at(2026, 3, 8, 14, 59, 59, 999000), day(3, 10)),
        (at(2026, 3, 8, 15, 0), day(3, 10)),
        # The first working day of summer time: its 15:00 is 22:00 UTC, not 23:00.
        (at(2026, 3, 9, 14, 59, 59, 999000), day(3, 10)),
        (at(2026, 3, 9, 15, 0), day(3, 11)),
        # Fall back (Sunday November 1) and the first working day of standard time.
        (at(2026, 11, 1, 14, 59, 59, 999000), day(11, 3)),
        (at(2026, 11, 1, 15, 0), day(11, 3)),
        (at(2026, 11, 2, 14, 59, 59, 999000), day(11, 3)),
        (at(2026, 11, 2, 15, 0), day(11, 4)),
    ],
)
def test_referral_day_on_daylight_saving_changes(received, expected):
    assert referral_day_for(received, CUTOFF, set()) == expected


def test_a_cutoff_of_the_rules_own_decides():
    noon = datetime.time(12, 0)
    assert referral_day_for(at(2026, 12, 8, 11, 59), noon, set()) == day(12, 9)
    assert referral_day_for(at(2026, 12, 8, 12, 0), noon, set()) == day(12, 10)


# --- The service: the server's clock, read on the local's wall clock -----------------------


@pytest.fixture
def receive(book):
    employer = EmployerFactory(code="ACME")

    def go():
        return labor_request_receive(
            employer=employer,
            book=book,
            positions=1,
            start_on=datetime.date(2026, 12, 31),
            start_at=datetime.time(7, 0),
            worksite="1 Main St",
            report_to="Gate 3",
            wage=Decimal("52.10"),
            requirements=[],
            short_call=False,
            agreement_type="standard",
            actor="tests",
        )

    return go


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        # The first working days of summer and of standard time, at the edge.
        ((2026, 3, 9, 14, 59, 59, 999000), day(3, 10)),
        ((2026, 3, 9, 15, 0, 0, 0), day(3, 11)),
        ((2026, 11, 2, 14, 59, 59, 999000), day(11, 3)),
        ((2026, 11, 2, 15, 0, 0, 0), day(11, 4)),
    ],
)
def test_the_service_reads_the_servers_clock_as_the_locals_wall_clock(
    receive, clock, parts, expected
):
    clock.set(*parts)
    clock.now = clock.now.astimezone(datetime.UTC)  # the server's clock runs in UTC
    assert receive().referral_day == expected


def test_the_service_reads_the_books_regions_holidays(receive, book, clock):
    Holiday.objects.create(region=book.region, day=THANKSGIVING, name="Thanksgiving")
    clock.set(2026, 11, 25, 15, 0)
    assert receive().referral_day == day(11, 30)
