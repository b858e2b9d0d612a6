"""What the hall's services share: the role check, the rules in force, a re-sign date, an
event written with the registration's place after it, under the registration's lock, and
the lock of an idempotency key."""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from appkit.actors import Actor
from appkit.sql import among
from audit.actors import person, saved_by
from audit.context import actor_label_for
from audit.history import history_of_inserted

from .. import rules
from ..models import (
    Book,
    EventKind,
    Exemption,
    Holiday,
    Region,
    Registration,
    RegistrationEvent,
    RegistrationStatus,
    RuleSet,
)
from ..selectors import rule_set_in_force


def _require(actor: Actor, permission: str, doing: str) -> None:
    who = person(actor)
    if who is not None and not who.has_perm(permission):
        raise PermissionDenied(f"Your role may not {doing}.")


def _rules_on(day: datetime.date) -> RuleSet:
    rule_set = rule_set_in_force(day)
    if rule_set is None:
        raise ValidationError("No referral rules are in force: activate a rule set first.")
    return rule_set


def _calendar_locked(region_id: int) -> None:
    """Hold the region's calendar (its row, shared) while a re-sign date is worked out from
    its holidays: a holiday being added (holiday_save holds the row alone) is committed
    first and read, or waits until this date is written and then moves it. Taken before
    the registration's own lock, as holiday_save takes the region's before the
    registrations': never the other way round, so the two cannot deadlock."""
    if connection.vendor == "postgresql":  # elsewhere one writer at a time already
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT 1 FROM {Region._meta.db_table} WHERE id = %s FOR SHARE", [region_id]
            )


def _resign_due(book: Book, today: datetime.date, rule_set: RuleSet) -> datetime.date:
    """The re-sign date of a registration made or re-signed today, by the book's region's
    calendar."""
    # The holidays from today to the interval's end, and a month past it for a run of them.
    last = today + datetime.timedelta(days=rule_set.resign_days + 31)
    holidays = set(
        Holiday.objects.filter(region_id=book.region_id, day__gte=today, day__lte=last).values_list(
            "day", flat=True
        )
    )
    return rules.resign_due(today, rule_set.resign_days, holidays)


def event_of(
    registration: Registration,
    kind: str,
    *,
    at: datetime.datetime,
    rule_set: RuleSet,
    actor: Actor,
    reason: str = "",
    note: str = "",
    status: str | None = None,
) -> RegistrationEvent:
    """A registration's event, unsaved, with the registration's place after it (its status
    now, unless `status` says what it became): what list_as_of rebuilds a past list from."""
    return RegistrationEvent(
        registration=registration,
        book_id=registration.book_id,
        member_id=registration.member_id,
        kind=kind,
        at=at,
        reason=reason,
        note=note[:300],
        rule_set=rule_set,
        status=status or registration.status,
        tier=registration.tier,
        apn=registration.apn,
        sequence=registration.sequence,
        recorded_by=person(actor),
        recorded_by_name=actor_label_for(actor),
    )


def registration_events_insert(
    registration_ids: Sequence[int],
    kind: str,
    *,
    at: datetime.datetime,
    rule_set: RuleSet,
    actor: Actor,
    reason: str = "",
    note: str = "",
) -> list[int]:
    """event_of for many registrations at once (a night's drops), written by the database
    from the registrations' rows as they now stand, with their history and audit events.
    Returns the events' ids."""
    ids_sql, ids_params = among("r.id", registration_ids)
    columns = "registration_id, book_id, member_id, kind, at, reason, note, rule_set_id, "
    columns += "status, tier, apn, sequence, recorded_by_id, recorded_by_name"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {RegistrationEvent._meta.db_table} ({columns}) "
            "SELECT r.id, r.book_id, r.member_id, %(kind)s, %(at)s, %(reason)s, %(note)s, "
            "%(rule_set)s, r.status, r.tier, r.apn, r.sequence, %(by)s, %(by_name)s "
            f"FROM {Registration._meta.db_table} r WHERE {ids_sql} ORDER BY r.id RETURNING id",
            {
                **ids_params,
                "kind": kind,
                "at": connection.ops.adapt_datetimefield_value(at),
                "reason": reason,
                "note": note[:300],
                "rule_set": rule_set.pk,
                "by": getattr(person(actor), "pk", None),
                "by_name": actor_label_for(actor),
            },
        )
        ids = [pk for (pk,) in cursor.fetchall()]
    history_of_inserted(RegistrationEvent, ids, actor=actor)
    return ids


def _event(
    registration: Registration,
    kind: str,
    *,
    at: datetime.datetime,
    rule_set: RuleSet,
    actor: Actor,
    reason: str = "",
    note: str = "",
) -> RegistrationEvent:
    event = event_of(
        registration, kind, at=at, rule_set=rule_set, actor=actor, reason=reason, note=note
    )
    saved_by(event, actor=actor)
    return event


def _locked(registration: Registration) -> Registration:
    # The registration's lock: its status and re-sign date change under it, so the nightly
    # drop and a re-sign made in its last second are one after the other, never both.
    return (
        Registration.objects.select_for_update(no_key=True)
        .select_related("book")
        .get(pk=registration.pk)
    )


def _roll_off(
    registration: Registration, *, reason: str, actor: Actor, now: datetime.datetime, note: str = ""
) -> Registration:
    rule_set = _rules_on(timezone.localdate(now))
    registration.status = RegistrationStatus.ROLLED_OFF
    registration.roll_off_reason = reason
    registration.ended_at = now
    saved_by(registration, actor=actor)
    _event(
        registration,
        EventKind.ROLLED_OFF,
        at=now,
        rule_set=rule_set,
        actor=actor,
        reason=reason,
        note=note,
    )
    for exemption in Exemption.objects.filter(registration=registration, ended_at__isnull=True):
        exemption.ended_at = now
        saved_by(exemption, actor=actor)
    return registration


# The class of the hall's idempotency-key locks among PostgreSQL's advisory locks (any
# number no other lock of this database uses; none other does).
_KEY_LOCKS = 27_0001


def _idempotency_key_locked(key: str) -> None:
    """Lock an idempotency key until the transaction ends (PostgreSQL: an advisory lock on
    its digest; SQLite lets one writer in at a time already). A key may be on a
    registration or on a queued one, so no one unique index can decide a race."""
    if connection.vendor != "postgresql":
        return
    digest = int.from_bytes(
        hashlib.blake2b(key.encode(), digest_size=4).digest(), "big", signed=True
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_KEY_LOCKS, digest])
