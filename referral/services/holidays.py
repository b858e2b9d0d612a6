"""A region's holidays: one added after re-sign dates were worked out moves those that fall
on it, so that nobody is dropped for a day the office turned out to be closed."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from appkit.actors import Actor
from audit.actors import saved_by
from audit.history import history_of_updated

from .. import rules
from ..models import ACTIVE_STATUSES, Holiday, Region, Registration
from .common import _require


@transaction.atomic
def holiday_save(*, holiday: Holiday, actor: Actor) -> int:
    """Record a new holiday of a region, or a new day for one. A re-sign date is worked out
    with the region's holidays known then: the active registrations on the region's books
    whose re-sign falls due on this day move to the region's next business day, in one
    statement with their history and audit events (no registration event: their places on
    the books, what events record, do not change). A day gone by moves none (a re-sign
    missed then was missed: the night drops it, as it would have). Returns how many moved."""
    _require(actor, f"referral.{'change' if holiday.pk else 'add'}_holiday", "change holidays")
    holiday.full_clean()
    # The region's calendar, alone: a re-sign working out a date from it (which holds it
    # shared: services.common._calendar_locked) finishes first, and its date is moved below
    # if it fell on this day; one that comes after reads this holiday.
    Region.objects.select_for_update(no_key=True).filter(pk=holiday.region_id).first()
    saved_by(holiday, actor=actor)
    if rules.resign_missed(holiday.day, timezone.localdate()):
        return 0
    closed = set(
        Holiday.objects.filter(region_id=holiday.region_id, day__gte=holiday.day).values_list(
            "day", flat=True
        )
    )
    due = rules.business_day_on_or_after(holiday.day, closed)
    # Locked as they are read, as a re-sign and the night's drop lock them: one that got in
    # first (re-signed to another day) is left alone, and the drop waits for the new dates.
    moved = list(
        Registration.objects.select_for_update(no_key=True)
        .filter(book__region_id=holiday.region_id, status__in=ACTIVE_STATUSES)
        .filter(resign_due=holiday.day)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    Registration.objects.filter(pk__in=moved).update(resign_due=due)
    # Its column holds 100 characters.
    reason = f"Re-sign day {holiday.day:%b %d, %Y} is a holiday: {holiday.name}"[:100]
    history_of_updated(Registration, moved, actor=actor, reason=reason)
    return len(moved)
