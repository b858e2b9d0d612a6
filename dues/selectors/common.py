"""What both ledger selectors share (the rules in Python, summary.py, and their SQL twin,
standings_sql.py): where "the records as they stood at the end of a day" ends, and sums
the database hands back, as exact decimals and dates."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

# "Now", for a statement that reads the records as they stand.
FAR_FUTURE = datetime.date(9999, 12, 31)


def money_moved_since(recorded_by: datetime.date | None) -> bool:
    """Whether money may have been recorded after the end of `recorded_by`: not when it is
    today or later (no payment is received, nor refund made, in the future)."""
    return recorded_by is not None and recorded_by < timezone.localdate()


def day_end(day: datetime.date) -> datetime.datetime:
    """The first moment after `day`, in the local's time zone."""
    return timezone.make_aware(
        datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min)
    )


def exact_decimal(value: object) -> object:
    # SQLite hands back sums as floats: round to cents through their shortest decimal form.
    return Decimal(str(round(value, 2))) if isinstance(value, float) else value


def date_from_db(value: object) -> datetime.date | None:
    # SQLite hands back dates as text.
    return datetime.date.fromisoformat(value) if isinstance(value, str) else value
