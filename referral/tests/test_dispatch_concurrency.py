"""Ten dispatchers at once on PostgreSQL (referral/services/dispatching.py's lock order: the
request's row, then the member's registrations by id): no member is dispatched twice across
all their books, no request takes more than it asked, and no one deadlocks."""

from __future__ import annotations

import datetime
import random
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Count, Q

from referral.models import (
    OPEN_DISPATCH_STATUSES,
    Dispatch,
    DispatchMethod,
    LaborRequest,
    Registration,
)
from referral.services import (
    dispatch_make,
    dispatch_terminate,
    referral_run_confirm,
    referral_run_propose,
)
from referral.tests.factories import BookFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


def test_ten_dispatchers_on_the_same_requests_and_books(registered, requested, book, clock, race):
    other_book = BookFactory(code="WIRE-S", classification=book.classification)
    members = [registered().member for _ in range(12)]
    for member in members:
        registered(on=other_book, member=member)
    requests = [requested(positions=2) for _ in range(3)]
    requests += [requested(book=other_book, positions=2) for _ in range(3)]
    registrations = list(Registration.objects.order_by("pk"))
    clock.set(2026, 12, 9, 7, 0)
    turn = iter(range(10))
    turn_lock = threading.Lock()
    refused = []

    def dispatcher():
        with turn_lock:
            me = next(turn)
        chance = random.Random(me)
        if me < 2:  # two of them run the morning referral as the others work by hand
            try:
                run = referral_run_propose(actor="tests")
                referral_run_confirm(run=run, actor="tests")
            except ValidationError as refusal:
                refused.append(refusal)
            return
        for _ in range(25):
            labor_request = chance.choice(requests)
            registration = chance.choice(registrations)
            try:
                made = dispatch_make(
                    labor_request=labor_request,
                    registration=registration,
                    method=DispatchMethod.IN_PERSON,
                    actor="tests",
                )
                ends = chance.random()
                if ends < 0.4:  # some are laid off the same day, and a few quit
                    dispatch_terminate(
                        dispatch=made,
                        reason="laid_off" if ends < 0.3 else "quit",
                        on=datetime.date(2026, 12, 9),
                        actor="tests",
                    )
            except ValidationError as refusal:
                refused.append(refusal)

    _, errors = race(dispatcher, times=10)
    # No deadlock, no IntegrityError: every refusal was the service's.
    assert not errors, [str(error) for error in errors]
    assert refused  # they did get in each other's way
    assert Dispatch.objects.count() >= 6
    _invariants_hold()
    # The race over, the morning referral still runs and confirms on what it left.
    requested(positions=1)
    clock.set(2026, 12, 9, 7, 30)
    run = referral_run_propose(actor="tests")
    assert referral_run_confirm(run=run, actor="tests").status == "confirmed"
    _invariants_hold()


def _invariants_hold():
    twice = (
        Dispatch.objects.filter(status__in=OPEN_DISPATCH_STATUSES)
        .values("member")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    assert not twice.exists()
    for labor_request in LaborRequest.objects.annotate(
        made=Count("dispatches", filter=~Q(dispatches__status="no_show"))
    ):
        assert labor_request.filled == labor_request.made <= labor_request.positions
