"""The hiring hall's rules as short pure functions, no database (docs/design.md §11): the APN
of a day, the local's business days and re-sign dates, who may register and the tier a
registrant takes, when a capped exemption ends. Times of day are the local's wall clock
(settings.TIME_ZONE)."""

from __future__ import annotations

import datetime
from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal

from dues.ledger import STATUSES_OUT_OF_STANDING
from members.models import MemberStatus

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


def status_refused(status: str, out_of_standing_registered: bool) -> bool:
    """Whether a member's status keeps them off the books: deceased always; suspended or
    dropped (out of good standing) unless the rules in force register such members
    (RuleSet.register_out_of_standing). Registering and the vendor's import both ask it."""
    if status == MemberStatus.DECEASED:
        return True
    return status in STATUSES_OUT_OF_STANDING and not out_of_standing_registered


@dataclass(frozen=True)
class TierCriteria:
    """What Book 1 asks, as a rule set writes it (RuleSet.tier_criteria). A local's Book 1
    asks for years at the trade under its agreements; the hall knows a member's
    classification and the day they joined the local, so those are the criteria: a member
    of the trade (of the book's classification, or anyone when `own_classification` is
    off) with at least `years` in the local goes on Book 1, one of the trade with fewer on
    Book 2, anyone else on the book's last tier."""

    own_classification: bool = True
    years: int = 0


def tier_for(
    criteria: TierCriteria,
    *,
    member_classification_id: int | None,
    joined_on: datetime.date | None,
    book_classification_id: int,
    tiers: int,
    today: datetime.date,
) -> int:
    """The tier a registrant takes by the rule set's criteria (staff may choose another,
    with a reason). With the defaults, Book 1 to a member of the book's classification,
    otherwise the book's last tier."""
    of_the_trade = (
        not criteria.own_classification or member_classification_id == book_classification_id
    )
    if not of_the_trade:
        return tiers
    if criteria.years and (joined_on is None or years_since(joined_on, today) < criteria.years):
        return min(2, tiers)
    return 1


def years_since(day: datetime.date, today: datetime.date) -> int:
    """Whole years from `day` to `today`: a year is complete on its anniversary (one who
    joined on February 29 completes theirs on March 1 in other years)."""
    return today.year - day.year - ((today.month, today.day) < (day.month, day.day))


def capped_exemption_end(starts_on: datetime.date, cap_days: int) -> datetime.date:
    """When a capped exemption (traveling, under scale) ends by itself."""
    return starts_on + datetime.timedelta(days=cap_days)


def referral_day_for(
    received_local: datetime.datetime,
    cutoff: datetime.time,
    holidays: Collection[datetime.date],
) -> datetime.date:
    """The local's working day whose morning referral serves a request received at
    `received_local` (the local's wall clock: settings.TIME_ZONE; the caller converts).

    A morning's referral takes the requests in by the cutoff (15:00) of the business day
    before it. So a request is "in" on the first business day whose cutoff is still ahead of
    it (today if today is one and it is before the cutoff, to the millisecond: 14:59:59.999
    is in, 15:00:00.000 is not), and goes to the next business day's referral after that:
    Tuesday 14:59 → Wednesday; Tuesday 15:00 → Thursday; Friday 14:59 → Monday; Saturday,
    Sunday, a holiday, or Friday 15:00 → Tuesday (Monday's list was made on Friday). The
    wall clock decides, so a daylight-saving day changes nothing."""
    day = received_local.date()
    if not (is_business_day(day, holidays) and received_local.time() < cutoff):
        day = business_day_on_or_after(day + datetime.timedelta(days=1), holidays)
    return business_day_on_or_after(day + datetime.timedelta(days=1), holidays)


def business_days_between(
    first: datetime.date, last: datetime.date, holidays: Collection[datetime.date]
) -> int:
    """The business days from `first` to `last`, both counted (0 when last is before first)."""
    days, day = 0, first
    while day <= last:
        days += is_business_day(day, holidays)
        day += datetime.timedelta(days=1)
    return days


@dataclass(frozen=True)
class ShortCallEnd:
    restores: bool  # the registration goes back to its place (its APN)
    counted: bool  # the restoration is one of the cycle's allowed


def short_call_end(
    *,
    worked_days: int,
    used: int,
    short_call_days: int,
    restorations: int,
    uncounted_days: int,
) -> ShortCallEnd:
    """Whether a short call's end (or a layoff within one) restores the registrant's APN
    (docs/domain.md §6): only a call of at most `short_call_days` business days; one of
    `uncounted_days` working days or fewer is restored without counting; a longer one while
    the cycle's `restorations` are not used up, and counts."""
    if worked_days > short_call_days:
        return ShortCallEnd(restores=False, counted=False)
    if worked_days <= uncounted_days:
        return ShortCallEnd(restores=True, counted=False)
    if used < restorations:
        return ShortCallEnd(restores=True, counted=True)
    return ShortCallEnd(restores=False, counted=False)


def bidding_open(local: datetime.datetime, opens: datetime.time, closes: datetime.time) -> bool:
    """Whether web bids are taken at `local` (the local's wall clock, read off the server's
    clock by the caller): from `opens` to the millisecond (17:30:00.000 is in,
    17:29:59.999 is not) until `closes` (07:00:00.000 is out), over midnight."""
    now = local.time()
    if opens > closes:
        return now >= opens or now < closes
    return opens <= now < closes


def bidding_referral_day(
    local: datetime.datetime, closes: datetime.time, holidays: Collection[datetime.date]
) -> datetime.date:
    """The referral day the bids placed at `local` are for: the morning the window closes
    on, or the business day after it when that morning is a weekend's or a holiday's."""
    day = local.date()
    if local.time() >= closes:
        day += datetime.timedelta(days=1)
    return business_day_on_or_after(day, holidays)


def a_year_before(day: datetime.date) -> datetime.date:
    """The same day a year earlier (February 29 → February 28): "within twelve months"."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)
