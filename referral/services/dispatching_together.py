"""A confirmed morning referral's dispatches, written together (referral_run_confirm): what
dispatch_make writes for each offer, a statement each for all of them, as the night's drop
writes its roll-offs. A morning of a hundred requests is a few hundred dispatches: one at a
time, with their checks and trail, they took a worker six seconds."""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict

from django.db.models import F

from appkit.actors import Actor
from appkit.sql import Among, bulk_insert, bulk_set
from audit.history import history_of_created, history_of_updated

from ..models import (
    ON_LIST_STATUSES,
    Dispatch,
    EventKind,
    LaborRequest,
    LaborRequestStatus,
    Registration,
    RegistrationStatus,
    RollOffReason,
    RuleSet,
)
from .common import _roll_off, registration_events_insert
from .dispatching import _dispatch_of
from .registering import _rolled_off_together


def dispatches_make_together(
    offers: list[tuple[LaborRequest, Registration, str]],
    *,
    note: str,
    rule_set: RuleSet,
    actor: Actor,
    now: datetime.datetime,
) -> list[Dispatch]:
    """Dispatch each (request, registration, method) at once. The caller holds the requests'
    locks, then the members' registrations', and has proven each offer is one dispatch_make
    would make (a run's hash, read again under those locks: each registration on its book's
    list, its member on no open dispatch, in standing, not blacked out, holding what the
    request asks, the request's positions left). The database still refuses a member
    dispatched twice and a request filled past its positions."""
    if not offers:
        return []
    dispatches = [
        _dispatch_of(labor_request, registration, method, note, rule_set, actor, now)
        for labor_request, registration, method in offers
    ]
    bulk_insert(dispatches)
    history_of_created(dispatches, actor=actor)
    _registrations_held(offers, rule_set=rule_set, actor=actor, now=now)
    _requests_filled([labor_request for labor_request, _, _ in offers], actor=actor)
    if rule_set.dispatch_leaves_other_books:
        _other_books_left(offers, rule_set=rule_set, actor=actor, now=now)
    return dispatches


def _registrations_held(offers, *, rule_set: RuleSet, actor: Actor, now) -> None:
    ids = [registration.pk for _, registration, _ in offers]
    held = Registration.objects.filter(
        Among(F("pk"), ids), status=RegistrationStatus.REGISTERED
    ).update(status=RegistrationStatus.DISPATCHED)
    if held != len(ids):
        raise ValueError("Only registrations waiting on their book are dispatched together.")
    history_of_updated(Registration, ids, actor=actor)
    by_method: dict[str, list[int]] = defaultdict(list)
    for _, registration, method in offers:
        by_method[method].append(registration.pk)
    for method, method_ids in sorted(by_method.items()):
        registration_events_insert(
            method_ids, EventKind.DISPATCHED, at=now, rule_set=rule_set, actor=actor, reason=method
        )


def _requests_filled(requests: list[LaborRequest], *, actor: Actor) -> None:
    """Count each request's new dispatches, as read under its lock (the run's hash held its
    positions left), in one statement; the database's check still refuses an over-fill."""
    filled = Counter(labor_request.pk for labor_request in requests)
    changed = {labor_request.pk: labor_request for labor_request in requests}.values()
    for labor_request in changed:
        labor_request.filled += filled[labor_request.pk]
        labor_request.status = (
            LaborRequestStatus.FILLED
            if labor_request.filled == labor_request.positions
            else LaborRequestStatus.PARTIALLY_FILLED
        )
    bulk_set(list(changed), ["filled", "status"])
    history_of_updated(LaborRequest, list(filled), actor=actor)


def _other_books_left(offers, *, rule_set: RuleSet, actor: Actor, now) -> None:
    """Where the rules say a dispatch takes the member off their other books."""
    dispatched = [registration.pk for _, registration, _ in offers]
    others = list(
        Registration.objects.filter(
            Among(F("member_id"), [registration.member_id for _, registration, _ in offers]),
            status__in=ON_LIST_STATUSES,
        )
        .exclude(Among(F("pk"), dispatched))
        .order_by("pk")
    )
    waiting = [r.pk for r in others if r.status == RegistrationStatus.REGISTERED]
    if waiting:
        _rolled_off_together(waiting, RollOffReason.DISPATCHED, rule_set, actor, now)
    for exempt in (r for r in others if r.status == RegistrationStatus.EXEMPT):
        _roll_off(exempt, reason=RollOffReason.DISPATCHED, actor=actor, now=now)
