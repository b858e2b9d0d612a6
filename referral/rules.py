"""The hiring hall's rules as short pure functions, no database (docs/design.md §11): the APN
of a day, the local's business days and re-sign dates, the tier a registrant takes, when a
capped exemption ends. Times of day are the local's wall clock (settings.TIME_ZONE)."""

from __future__ import annotations

import datetime
from collections.abc import Collection
from decimal import Decimal

# The vendor system counts days as spreadsheets do: day 1 is 1899-12-31.
DAY_ZERO = datetime.date(1899, 12, 30)
# Two decimal places: the 100th registration of a day on a book keeps .99 and its sequence.
LAST_FRACTION = 99


def day_number(day: datetime.date) -> int:
    """The APN's whole part for a day."""
    return (day - DAY_ZERO).days


def apn_next(day: datetime.date, last_today: Decimal | None) -> Decimal:
    """The APN of the next registration on a book on `day`, after the book's highest APN of
    that day (None: the first). The order within the day is the fraction: .01, .02, ...;
    past .99 it stays .99 and the sequence orders them."""
    whole = day_number(day)
    if last_today is None or int(last_today) != whole:
        return Decimal(whole) + Decimal("0.01")
    order = min(round((last_today - whole) * 100) + 1, LAST_FRACTION)
    return Decimal(whole) + Decimal(order) / 100


def is_business_day(day: datetime.date, holidays: Collection[datetime.date]) -> bool:
    return day.weekday() < 5 and day not in holidays


def business_day_on_or_after(
    day: datetime.date, holidays: Collection[datetime.date]
) -> datetime.date:
    while not is_business_day(day, holidays):
        day += datetime.timedelta(days=1)
    return day


def resign_due(
    today: datetime.date, resign_days: int, holidays: Collection[datetime.date]
) -> datetime.date:
    """The last day to re-sign: `resign_days` after today, moved to the next day the region's
    office is open when it falls on a weekend or a holiday."""
    return business_day_on_or_after(today + datetime.timedelta(days=resign_days), holidays)


def resign_missed(due: datetime.date, today: datetime.date) -> bool:
    """A registration whose re-sign fell due before today (the local's date) is dropped:
    the whole due day, until midnight local time, is the registrant's."""
    return due < today


def tier_default(
    member_classification_id: int | None, book_classification_id: int, tiers: int
) -> int:
    """The tier a registrant takes: Book 1 to a member of the book's classification,
    otherwise the book's last tier. Staff may choose another, with a reason."""
    return 1 if member_classification_id == book_classification_id else tiers


def capped_exemption_end(starts_on: datetime.date, cap_days: int) -> datetime.date:
    """When a capped exemption (traveling, under scale) ends by itself."""
    return starts_on + datetime.timedelta(days=cap_days)
