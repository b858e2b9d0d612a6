"""Reading the trail: the filters the admin's log and the API share."""

from __future__ import annotations

import datetime

from django.db.models import QuerySet
from django.utils import timezone

from .models import AuditEvent


def audit_events_between(
    events: QuerySet[AuditEvent], start: datetime.date | None, end: datetime.date | None
) -> QuerySet[AuditEvent]:
    """The events from the start of day `start` to the end of day `end` (both inclusive,
    in the local time zone). Either may be missing; the calendar's first and last days are
    accepted (the day after 9999-12-31 does not exist: no upper bound then)."""
    if start is not None:
        events = events.filter(occurred_at__gte=start_of_day(start))
    if end is not None and end < datetime.date.max:
        events = events.filter(occurred_at__lt=start_of_day(end + datetime.timedelta(days=1)))
    return events


def start_of_day(day: datetime.date) -> datetime.datetime:
    try:
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
    except OverflowError:  # the first day of the calendar, east of UTC
        return datetime.datetime.min.replace(tzinfo=datetime.UTC)
