"""Dispatch (docs/design.md §11): a member sent to a labor request from their registration on
its book, checked in, working, and their dispatch's end.

Lock order, the same in every service that takes more than one of these (so ten dispatchers
working the same requests and books cannot deadlock): the request's row first, then the
member's registrations by id, then the dispatch's own row. A dispatch holds its
registration (dispatched, its place kept); the dispatch's end restores it (a short call,
within the rules) or ends it, and a quit or discharge takes the member off every book and
blacks out that employer's by-name requests."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from appkit.actors import Actor
from audit.actors import person, saved_by
from audit.context import actor_label_for

from .. import rules
from ..models import (
    ACTIVE_STATUSES,
    OPEN_DISPATCH_STATUSES,
    Blackout,
    CheckMarkReason,
    Dispatch,
    DispatchMethod,
    DispatchStatus,
    EventKind,
    Holiday,
    LaborRequest,
    Registration,
    RegistrationStatus,
    RollOffReason,
    RuleSet,
    TerminationReason,
)
from ..selectors import blacked_out, dispatch_asked_before, qualifications_held
from .common import _event, _idempotency_key_locked, _require, _roll_off, _rules_on
from .marks import _marked
from .requests import _filled_by, _position_freed

DISPATCH = "referral.add_dispatch"
CHANGE = "referral.change_dispatch"
TERMINATE = "referral.terminate_dispatch"

# A quit or discharge ends every registration the member has, with this reason; a refusal
# after a successful bid counts as a quit.
LEAVES_EVERY_BOOK = {
    TerminationReason.QUIT: RollOffReason.QUIT,
    TerminationReason.REFUSED_AFTER_BID: RollOffReason.QUIT,
    TerminationReason.DISCHARGED: RollOffReason.DISCHARGED,
}
# How a dispatcher dispatches one member: the morning referral's offers (and the bids it
# selects) are dispatched by its confirmation (dispatching_together.py), never one by one.
COUNTER_METHODS = (DispatchMethod.IN_PERSON, DispatchMethod.BY_NAME)
COUNTER_METHOD_CHOICES = [(method, DispatchMethod(method).label) for method in COUNTER_METHODS]
# The ends dispatch_terminate records (a refusal after a bid is the bid's: bid_refuse).
TERMINATION_CHOICES = [
    choice
    for choice in TerminationReason.choices
    if choice[0] != TerminationReason.REFUSED_AFTER_BID
]
# The ends of a short call that may put the registration back in its place.
MAY_RESTORE = (TerminationReason.SHORT_CALL_ENDED, TerminationReason.LAID_OFF)


@transaction.atomic
def dispatch_make(
    *,
    labor_request: LaborRequest,
    registration: Registration,
    method: str,
    actor: Actor,
    note: str = "",
    idempotency_key: str | None = None,
) -> Dispatch:
    """Dispatch a registrant to a request, now. Refused, with the reason and nothing
    written, for a request no longer open or with no position left, a registration not on
    that book's list, a member already on an open dispatch, out of good standing where the
    rules ask, blacked out from the employer or lacking a requirement, and for a by-name
    request to anyone but its named member. With an idempotency key, a retry gets back the
    first dispatch; the key with other values is a conflict (409)."""
    _require(actor, DISPATCH, "dispatch members")
    if method not in COUNTER_METHODS:
        raise ValidationError(
            {
                "method": "Dispatch in person or by name here (not "
                f"{method!r}): the morning referral dispatches its offers and bids itself."
            }
        )
    if idempotency_key:
        _idempotency_key_locked(idempotency_key)
        before = dispatch_asked_before(idempotency_key, labor_request, registration, method)
        if before is not None:
            return before
    labor_request = LaborRequest.objects.select_for_update(no_key=True).get(pk=labor_request.pk)
    registrations = _member_registrations_locked(registration.member_id)
    registration = next((r for r in registrations if r.pk == registration.pk), None)
    if registration is None:  # ended since the caller read it (the night's drop, a roll-off)
        raise ValidationError({"registration": "This registration is no longer on the book."})
    now = timezone.now()
    rule_set = _rules_on(timezone.localdate(now))
    _dispatch_refusal(labor_request, registration, method, rule_set, timezone.localdate(now))
    _filled_by(labor_request, 1, actor=actor)
    dispatch = _dispatch_of(labor_request, registration, method, note, rule_set, actor, now)
    dispatch.idempotency_key = idempotency_key or None
    try:
        with transaction.atomic():
            saved_by(dispatch, actor=actor)
    except IntegrityError:  # the partial unique index: another open dispatch got there first
        raise ValidationError(
            {"registration": "This member is already on an open dispatch."}
        ) from None
    registration.status = RegistrationStatus.DISPATCHED
    saved_by(registration, actor=actor)
    _event(
        registration,
        EventKind.DISPATCHED,
        at=now,
        rule_set=rule_set,
        actor=actor,
        reason=method,
        note=f"Request #{labor_request.pk}",
    )
    if rule_set.dispatch_leaves_other_books:
        for other in registrations:
            if other.pk != registration.pk and other.on_list:
                _roll_off(
                    other,
                    reason=RollOffReason.DISPATCHED,
                    actor=actor,
                    now=now,
                    note=f"Dispatched from book {labor_request.book.code} (request "
                    f"#{labor_request.pk})",
                )
    return dispatch


def _dispatch_of(
    labor_request: LaborRequest,
    registration: Registration,
    method: str,
    note: str,
    rule_set: RuleSet,
    actor: Actor,
    now: datetime.datetime,
) -> Dispatch:
    """A dispatch as made now, unsaved: one by hand, or each of a morning's together."""
    return Dispatch(
        labor_request=labor_request,
        employer_id=labor_request.employer_id,
        member_id=registration.member_id,
        registration=registration,
        method=method,
        short_call=labor_request.short_call,
        dispatched_at=now,
        report_by=_report_by(labor_request, now),
        note=note.strip()[:300],
        rule_set=rule_set,
        dispatched_by=person(actor),
        dispatched_by_name=actor_label_for(actor),
    )


def _report_by(labor_request: LaborRequest, now: datetime.datetime) -> datetime.datetime:
    """When the member must have checked in: the work's start on the local's clock, or, for a
    dispatch made after the work started, the end of the local's day of the dispatch."""
    local = timezone.get_default_timezone()
    start = timezone.make_aware(
        datetime.datetime.combine(labor_request.start_on, labor_request.start_at), local
    )
    if start >= now:
        return start
    next_day = now.astimezone(local).date() + datetime.timedelta(days=1)
    return timezone.make_aware(datetime.datetime.combine(next_day, datetime.time()), local)


def _member_registrations_locked(member_id: int) -> list[Registration]:
    """The member's active registrations, locked in id order (after the request's row)."""
    return list(
        Registration.objects.select_for_update(no_key=True, of=("self",))
        .filter(member_id=member_id, status__in=ACTIVE_STATUSES)
        .select_related("book", "member")
        .order_by("pk")
    )


def _dispatch_refusal(
    labor_request: LaborRequest,
    registration: Registration,
    method: str,
    rule_set: RuleSet,
    today: datetime.date,
) -> None:
    if not labor_request.is_open:
        raise ValidationError(
            {
                "labor_request": f"Request #{labor_request.pk} is "
                f"{labor_request.get_status_display().lower()}: it takes no one."
            }
        )
    if registration.book_id != labor_request.book_id:
        raise ValidationError(
            {
                "registration": f"This registration is on another book than request "
                f"#{labor_request.pk}'s."
            }
        )
    open_dispatch = (
        Dispatch.objects.filter(member_id=registration.member_id, status__in=OPEN_DISPATCH_STATUSES)
        .select_related("employer")
        .first()
    )
    if open_dispatch is not None:
        raise ValidationError(
            {
                "registration": f"This member is already dispatched to {open_dispatch.employer} "
                f"(dispatch #{open_dispatch.pk}, "
                f"{timezone.localtime(open_dispatch.dispatched_at):%b %d, %Y})."
            }
        )
    if not registration.on_list:
        raise ValidationError(
            {
                "registration": "This registration is not on the book's list "
                f"({registration.get_status_display().lower()})."
            }
        )
    if labor_request.by_name != (method == DispatchMethod.BY_NAME):
        raise ValidationError({"method": "A by-name request is dispatched by name, and only it."})
    if labor_request.by_name and registration.member_id != labor_request.named_member_id:
        raise ValidationError(
            {
                "registration": f"Request #{labor_request.pk} asks for "
                f"{labor_request.named_member} by name: only they are dispatched to it."
            }
        )
    member = registration.member
    if rules.status_refused(member.status, rule_set.register_out_of_standing):
        raise ValidationError(
            {
                "registration": f"{member} is {member.get_status_display().lower()}: the referral "
                f"rules (v{rule_set.version}) refer only members in good standing."
            }
        )
    blackout = blacked_out(member, labor_request.employer_id, today)
    if blackout is not None:
        raise ValidationError(
            {
                "registration": f"{member} is blacked out from this employer until "
                f"{blackout.ends_on:%b %d, %Y} ({blackout.reason})."
            }
        )
    missing = _requirements_lacking(labor_request, member.pk, labor_request.referral_day)
    if missing:
        raise ValidationError(
            {"registration": f"{member} lacks what the request asks: {', '.join(missing)}."}
        )


def _requirements_lacking(
    labor_request: LaborRequest, member_id: int, day: datetime.date
) -> list[str]:
    held = set(qualifications_held([member_id], day).get(member_id, ()))
    return sorted(
        code
        for code in labor_request.requirements.values_list("code", flat=True)
        if code not in held
    )


@transaction.atomic
def dispatch_check_in(
    *, dispatch: Dispatch, actor: Actor, at: datetime.datetime | None = None
) -> Dispatch:
    """Record that the member reported to the job, at `at` (now unless given): refused after
    the report time (that is a no-show) and for a dispatch not waiting for its check-in."""
    _require(actor, CHANGE, "record check-ins")
    now = timezone.now()
    at = at or now
    dispatch = _dispatch_locked(dispatch)
    if dispatch.status != DispatchStatus.DISPATCHED:
        raise ValidationError(
            f"This dispatch is {dispatch.get_status_display().lower()}: only a dispatch "
            "waiting for the member checks in."
        )
    if at > now:
        raise ValidationError({"at": "A check-in is recorded once it has happened."})
    if at < dispatch.dispatched_at:
        raise ValidationError({"at": "A check-in comes after the dispatch."})
    if at > dispatch.report_by:
        raise ValidationError(
            {
                "at": f"The member was to report by "
                f"{timezone.localtime(dispatch.report_by):%b %d, %Y %H:%M}: record a no-show."
            }
        )
    dispatch.status = DispatchStatus.CHECKED_IN
    dispatch.checked_in_at = at
    saved_by(dispatch, actor=actor)
    return dispatch


@transaction.atomic
def dispatch_start_work(*, dispatch: Dispatch, on: datetime.date, actor: Actor) -> Dispatch:
    """Record the first day worked of a checked-in dispatch."""
    _require(actor, CHANGE, "record work started")
    dispatch = _dispatch_locked(dispatch)
    if dispatch.status != DispatchStatus.CHECKED_IN:
        raise ValidationError(
            f"This dispatch is {dispatch.get_status_display().lower()}: the member checks in "
            "before work starts."
        )
    if on < timezone.localdate(dispatch.checked_in_at) or on > timezone.localdate():
        raise ValidationError({"on": "Work starts between the check-in and today."})
    dispatch.status = DispatchStatus.WORKING
    dispatch.working_since = on
    saved_by(dispatch, actor=actor)
    return dispatch


@transaction.atomic
def dispatch_terminate(
    *, dispatch: Dispatch, reason: str, on: datetime.date, actor: Actor, note: str = ""
) -> Dispatch:
    """Record a dispatch's end, on its last day. A short call ended (or a layoff within one)
    restores the registration to its place while the rules allow (rules.short_call_end);
    a quit or discharge takes the member off every book and blacks out the employer's
    by-name requests for the rule set's days, in this one transaction; any other end ends
    the registration it came from. Refused for a date before the dispatch or still to come."""
    _require(actor, TERMINATE, "record a dispatch's end")
    if reason not in TerminationReason.values:
        raise ValidationError({"reason": f"Choose why the dispatch ended (not {reason!r})."})
    if reason == TerminationReason.REFUSED_AFTER_BID:
        raise ValidationError(
            {"reason": "A refusal after a bid is recorded on the bid: its bid is marked too."}
        )
    return _dispatch_end(dispatch, reason=reason, on=on, actor=actor, note=note)


def _dispatch_end(
    dispatch: Dispatch, *, reason: str, on: datetime.date, actor: Actor, note: str
) -> Dispatch:
    """dispatch_terminate's work, for bid_refuse too, in the caller's transaction."""
    if reason == TerminationReason.OTHER and not note.strip():
        raise ValidationError({"note": "Say why the dispatch ended."})
    registrations = _member_registrations_locked(dispatch.member_id)
    dispatch = _dispatch_locked(dispatch)
    if not dispatch.is_open:
        raise ValidationError(f"This dispatch is {dispatch.get_status_display().lower()} already.")
    dispatched_on = timezone.localdate(dispatch.dispatched_at)
    if on < dispatched_on:
        raise ValidationError(
            {"on": f"The dispatch was made on {dispatched_on:%b %d, %Y}: it cannot end before."}
        )
    if on > timezone.localdate():
        raise ValidationError({"on": "A dispatch's end is recorded once it has come."})
    if reason == TerminationReason.SHORT_CALL_ENDED and not dispatch.short_call:
        raise ValidationError({"reason": "This dispatch was not to a short call."})
    now = timezone.now()
    rule_set = _rules_on(timezone.localdate(now))
    dispatch.status = DispatchStatus.TERMINATED
    dispatch.terminated_on = on
    dispatch.termination_reason = reason
    dispatch.note = note.strip()[:300] or dispatch.note
    held = next((r for r in registrations if r.pk == dispatch.registration_id), None)
    said = f"Dispatch #{dispatch.pk} ended: {TerminationReason(reason).label.lower()}"
    if reason in LEAVES_EVERY_BOOK:
        for registration in registrations:
            _roll_off(
                registration, reason=LEAVES_EVERY_BOOK[reason], actor=actor, now=now, note=said
            )
        _blackout_write(dispatch, on, rule_set, actor=actor)
    elif held is not None and _restores(dispatch, held, reason, on, rule_set):
        dispatch.restored = True
        held.status = RegistrationStatus.REGISTERED
        saved_by(held, actor=actor)
        _event(held, EventKind.RESTORED, at=now, rule_set=rule_set, actor=actor, note=said)
    elif held is not None:
        _roll_off(held, reason=RollOffReason.DISPATCHED, actor=actor, now=now, note=said)
    saved_by(dispatch, actor=actor)
    return dispatch


def _restores(
    dispatch: Dispatch,
    registration: Registration,
    reason: str,
    on: datetime.date,
    rule_set: RuleSet,
) -> bool:
    """Whether this end puts the registration back in its place, counting the restoration
    against the cycle's where the rules count it."""
    if not (dispatch.short_call and reason in MAY_RESTORE):
        return False
    _, end = short_call_outcome(dispatch, registration, on, rule_set)
    if end.counted:
        registration.short_calls_used += 1
    return end.restores


def short_call_outcome(
    dispatch: Dispatch, registration: Registration, on: datetime.date, rule_set: RuleSet
) -> tuple[int, rules.ShortCallEnd]:
    """The business days a short call lasted, from the first day worked (the request's start
    where none was recorded) to `on`, by the book's region's calendar, and what its end
    does to the registration (rules.short_call_end)."""
    started = dispatch.working_since or dispatch.labor_request.start_on
    holidays = set(
        Holiday.objects.filter(
            region_id=registration.book.region_id, day__gte=started, day__lte=on
        ).values_list("day", flat=True)
    )
    worked = rules.business_days_between(started, on, holidays)
    return worked, rules.short_call_end(
        worked_days=worked,
        used=registration.short_calls_used,
        short_call_days=rule_set.short_call_days,
        restorations=rule_set.short_call_restorations,
        uncounted_days=rule_set.short_call_uncounted_days,
    )


def _blackout_write(dispatch: Dispatch, on: datetime.date, rule_set: RuleSet, *, actor: Actor):
    saved_by(
        Blackout(
            member_id=dispatch.member_id,
            employer_id=dispatch.employer_id,
            starts_on=on,
            ends_on=on + datetime.timedelta(days=rule_set.blackout_days),
            reason=f"{TerminationReason(dispatch.termination_reason).label}, dispatch "
            f"#{dispatch.pk}",
        ),
        actor=actor,
    )


@transaction.atomic
def dispatch_no_show(*, dispatch: Dispatch, actor: Actor) -> Dispatch:
    """Record that the member did not report by the request's start: the position is free
    again (while the request is open), the registration goes back to its place, and the
    registrant gets the day's check mark for failing to report."""
    _require(actor, CHANGE, "record no-shows")
    labor_request = LaborRequest.objects.select_for_update(no_key=True).get(
        pk=dispatch.labor_request_id
    )
    registrations = _member_registrations_locked(dispatch.member_id)
    dispatch = _dispatch_locked(dispatch)
    now = timezone.now()
    if dispatch.status != DispatchStatus.DISPATCHED:
        raise ValidationError(
            f"This dispatch is {dispatch.get_status_display().lower()}: only a dispatch "
            "waiting for its check-in is a no-show."
        )
    if now <= dispatch.report_by:
        raise ValidationError(
            f"The member has until {timezone.localtime(dispatch.report_by):%b %d, %Y %H:%M} "
            "to report."
        )
    rule_set = _rules_on(timezone.localdate(now))
    dispatch.status = DispatchStatus.NO_SHOW
    saved_by(dispatch, actor=actor)
    _position_freed(labor_request, actor=actor)
    held = next((r for r in registrations if r.pk == dispatch.registration_id), None)
    if held is not None:
        held.status = RegistrationStatus.REGISTERED
        saved_by(held, actor=actor)
        _event(
            held,
            EventKind.RESTORED,
            at=now,
            rule_set=rule_set,
            actor=actor,
            note=f"Dispatch #{dispatch.pk}: did not report",
        )
        _marked(
            held,
            # The day they were to report on: a late dispatch's deadline is the midnight
            # that ends it.
            day=timezone.localdate(dispatch.report_by - datetime.timedelta(microseconds=1)),
            reason=CheckMarkReason.FAILED_TO_REPORT,
            note=f"Dispatch #{dispatch.pk}",
            actor=actor,
        )
    return dispatch


def _dispatch_locked(dispatch: Dispatch) -> Dispatch:
    return (
        Dispatch.objects.select_for_update(no_key=True, of=("self",))
        .select_related("labor_request", "employer")
        .get(pk=dispatch.pk)
    )
