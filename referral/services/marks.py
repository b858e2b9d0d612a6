"""Check marks (docs/design.md §11): at most one per registration per day, by reason code;
the rules in force that day decide whether its reason counts, and the mark past those the
rules tolerate rolls the registrant off that book, and only that one."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from appkit.actors import Actor
from appkit.sql import Among, bulk_insert
from audit.actors import person, saved_by
from audit.context import actor_label_for
from audit.history import history_of_created, history_of_updated

from ..models import (
    CheckMark,
    CheckMarkReason,
    EventKind,
    Registration,
    RegistrationStatus,
    RollOffReason,
)
from .common import (
    _event,
    _locked,
    _require,
    _roll_off,
    _rules_on,
    registration_events_insert,
)
from .registering import _rolled_off_together

MARK = "referral.add_checkmark"


@transaction.atomic
def registration_check_mark(
    *,
    registration: Registration,
    day: datetime.date,
    reason: str,
    actor: Actor,
    note: str = "",
) -> CheckMark:
    """Give a registrant a check mark for one of the local's days. Idempotent per day: when
    the registration already has that day's mark, it is returned and nothing is written
    (whatever reason was asked: one a day). Refused for a registration off the list."""
    _require(actor, MARK, "give check marks")
    _mark_refusal(day, reason)
    # The registration's lock, taken before looking for the day's mark: two asking at once
    # are one after the other, and the second finds the first's mark instead of a
    # unique-constraint error.
    registration = _locked(registration)
    return _marked(registration, day=day, reason=reason, note=note, actor=actor)


@transaction.atomic
def check_marks_give(
    *,
    registrations: Iterable[Registration],
    day: datetime.date,
    reason: str,
    actor: Actor,
    note: str = "",
) -> list[CheckMark]:
    """Mark many registrants for one day and reason at once (every registrant passed over
    on a call that went unfilled), all or none. Idempotent: run again, it returns the same
    marks and writes nothing. A registration no longer on the list, and without a mark
    that day, is passed by (it has nothing to be marked on); the marks returned are in
    registration id order."""
    _require(actor, MARK, "give check marks")
    _mark_refusal(day, reason)
    ids = sorted({registration.pk for registration in registrations})
    # Locked in id order, the order every service that locks several registrations takes
    # (the night's drop too): two batches over the same registrations cannot deadlock.
    locked = (
        Registration.objects.select_for_update(no_key=True, of=("self",))
        .filter(pk__in=ids)
        .order_by("pk")
    )
    registrations = list(locked)
    given = {
        mark.registration_id: mark
        for mark in CheckMark.objects.filter(Among(F("registration_id"), ids), day=day)
    }
    new = [r for r in registrations if r.pk not in given and _unmarkable(r, day) is None]
    for mark in _marks_new_together(new, day=day, reason=reason, note=note, actor=actor):
        given[mark.registration_id] = mark
    marks = [given[r.pk] for r in registrations if r.pk in given]
    return marks


def _mark_refusal(day: datetime.date, reason: str) -> None:
    """Raise what is wrong with the mark asked for, before anything is locked."""
    if reason not in CheckMarkReason.values:
        raise ValidationError({"reason": f"Choose a check-mark reason (not {reason!r})."})
    if day > timezone.localdate():
        raise ValidationError(
            {"day": f"{day:%b %d, %Y} is still to come: a check mark is for a day gone by."}
        )


def _mark_of_day(registration: Registration, day: datetime.date) -> CheckMark | None:
    return CheckMark.objects.filter(registration=registration, day=day).first()


def _marked(
    registration: Registration, *, day: datetime.date, reason: str, note: str, actor: Actor
) -> CheckMark:
    """The day's mark of a registration locked by the caller: the one it has, or a new one."""
    existing = _mark_of_day(registration, day)
    if existing is not None:
        return existing
    refusal = _unmarkable(registration, day)
    if refusal is not None:
        raise refusal
    return _mark_new(registration, day=day, reason=reason, note=note, actor=actor)


def _unmarkable(registration: Registration, day: datetime.date) -> ValidationError | None:
    """Why this registration cannot get a mark for that day, if it cannot."""
    if registration.status == RegistrationStatus.ROLLED_OFF:
        return ValidationError(
            f"This registration was rolled off ({registration.get_roll_off_reason_display()}): "
            "only a registrant on the list gets a check mark."
        )
    if not registration.on_list:
        return ValidationError(
            f"This registration is {registration.get_status_display().lower()}: only a "
            "registrant on the list gets a check mark."
        )
    if day < timezone.localdate(registration.registered_at):
        return ValidationError(
            {"day": f"This registration was made after {day:%b %d, %Y}: mark a later day."}
        )
    return None


def _mark_of(
    registration: Registration,
    day: datetime.date,
    reason: str,
    note: str,
    rule_set,
    actor: Actor,
    now: datetime.datetime,
) -> CheckMark:
    """A day's mark, unsaved, counted unless the rules in force that day excuse its reason."""
    return CheckMark(
        registration=registration,
        book_id=registration.book_id,
        member_id=registration.member_id,
        day=day,
        reason=reason,
        counted=not rule_set.excuses(reason),
        rule_set=rule_set,
        note=note.strip()[:300],
        recorded_by=person(actor),
        recorded_by_name=actor_label_for(actor),
        created_at=now,
    )


def _mark_new(
    registration: Registration, *, day: datetime.date, reason: str, note: str, actor: Actor
) -> CheckMark:
    """Write the mark, its event, the count; and the roll-off when the rules say so."""
    now = timezone.now()
    rule_set = _rules_on(day)
    mark = _mark_of(registration, day, reason, note, rule_set, actor, now)
    saved_by(mark, actor=actor)
    if mark.counted:
        registration.check_marks += 1
        saved_by(registration, actor=actor)
    excused = "" if mark.counted else f"Excused by rules v{rule_set.version}: not counted. "
    _event(
        registration,
        EventKind.CHECK_MARK,
        at=now,
        rule_set=rule_set,
        actor=actor,
        reason=reason,
        note=f"For {day:%Y-%m-%d}. {excused}{mark.note}".strip(),
    )
    if mark.counted and registration.check_marks > rule_set.check_marks_tolerated:
        _roll_off(
            registration,
            reason=RollOffReason.CHECK_MARKS,
            actor=actor,
            now=now,
            note=f"Check mark {registration.check_marks}; rules v{rule_set.version} "
            f"tolerate {rule_set.check_marks_tolerated}.",
        )
    return mark


def _marks_new_together(
    registrations: list[Registration], *, day: datetime.date, reason: str, note: str, actor: Actor
) -> list[CheckMark]:
    """_mark_new for many locked registrations at once (an unfilled call's batch): the marks,
    the counts, the events and the roll-offs past the tolerated, a statement each."""
    if not registrations:
        return []
    now = timezone.now()
    rule_set = _rules_on(day)
    counted = not rule_set.excuses(reason)
    marks = [
        _mark_of(registration, day, reason, note, rule_set, actor, now)
        for registration in registrations
    ]
    bulk_insert(marks)
    history_of_created(marks, actor=actor)
    ids = [registration.pk for registration in registrations]
    if counted:
        Registration.objects.filter(Among(F("pk"), ids)).update(check_marks=F("check_marks") + 1)
        history_of_updated(Registration, ids, actor=actor)
    excused = "" if counted else f"Excused by rules v{rule_set.version}: not counted. "
    registration_events_insert(
        ids,
        EventKind.CHECK_MARK,
        at=now,
        rule_set=rule_set,
        actor=actor,
        reason=reason,
        note=f"For {day:%Y-%m-%d}. {excused}{note.strip()}".strip(),
    )
    over = [
        r for r in registrations if counted and r.check_marks + 1 > rule_set.check_marks_tolerated
    ]
    waiting = [r.pk for r in over if r.status == RegistrationStatus.REGISTERED]
    if waiting:
        _rolled_off_together(waiting, RollOffReason.CHECK_MARKS, rule_set, actor, now)
    for exempt in (r for r in over if r.status != RegistrationStatus.REGISTERED):
        exempt.refresh_from_db()
        _roll_off(exempt, reason=RollOffReason.CHECK_MARKS, actor=actor, now=now)
    return marks
