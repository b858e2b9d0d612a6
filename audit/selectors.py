"""Reading the trail: the filters the admin's log and the API share."""

from __future__ import annotations

import datetime

from django.apps import apps
from django.db.models import QuerySet
from django.utils import timezone

from .models import AuditAction, AuditEvent


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


def audit_events_matching(
    *,
    actor: str = "",
    action: str = "",
    model: str = "",
    object_id: str = "",
    member_id: int | None = None,
    member_number: str = "",
    occurred_from: datetime.date | None = None,
    occurred_to: datetime.date | None = None,
    without_views: bool = False,
) -> QuerySet[AuditEvent]:
    """The trail filtered as its readers filter it (the API, the admin's export): each
    filter exact, on an indexed column; `without_views` leaves out the views of sensitive
    records (the admin hides them unless asked: they would bury the changes)."""
    events = AuditEvent.objects.all()
    if without_views:
        events = events.exclude(action=AuditAction.VIEW_SENSITIVE)
    exact = {
        "actor_label": actor,
        "action": action,
        "model_label": model,
        "object_id": object_id,
        "member_number": member_number,
    }
    events = events.filter(**{column: value for column, value in exact.items() if value})
    if member_id is not None:
        events = events.filter(member_id=member_id)
    return audit_events_between(events, occurred_from, occurred_to)


def start_of_day(day: datetime.date) -> datetime.datetime:
    try:
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
    except OverflowError:  # the first day of the calendar, east of UTC
        return datetime.datetime.min.replace(tzinfo=datetime.UTC)


def model_verbose_name(model_label: str) -> str:
    """'dues.duescharge' as a person says it: 'Dues charge'."""
    try:
        model = apps.get_model(model_label)
    except (LookupError, ValueError):
        return model_label
    return str(model._meta.verbose_name).capitalize()
