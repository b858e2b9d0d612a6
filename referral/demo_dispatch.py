"""The demo hall's morning (`manage.py seed_demo`, after referral.demo): qualifications for
some wire registrants, a few members dispatched in person today (the day book has lines),
and open labor requests from the demo's employers waiting for today's morning referral, so
a dispatcher can run it, read its offers and skips, and confirm it. Written through the
services, as the hall would, except that the requests are dated as received yesterday
before the cutoff (the services stamp the present)."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

from django.utils import timezone

from appkit.sql import bulk_insert
from audit.history import history_of_created
from checkoff.models import Employer

from .models import (
    DispatchMethod,
    LaborRequest,
    Qualification,
    Registration,
    RegistrationStatus,
    Requirement,
)
from .selectors import book_list
from .services import dispatch_make, labor_request_receive

ACTOR = "seed_demo"
WIRE_BOOKS = ("WIRE-N", "WIRE-S", "WIRE-E")


def seed_demo_dispatch(stdout) -> None:
    if LaborRequest.objects.exists():
        stdout.write("Demo dispatch: labor requests already there, left as they are.")
        return
    employers = list(Employer.objects.order_by("code")[:2])
    wire = list(
        Registration.objects.filter(
            book__code__in=WIRE_BOOKS, status=RegistrationStatus.REGISTERED
        ).select_related("book", "member")
    )
    if not employers or not wire:
        stdout.write("Demo dispatch: no employers or wire books, nothing to dispatch.")
        return
    rng = random.Random(28)  # the same morning every run
    osha = Requirement.objects.get(code="OSHA-30")
    members = sorted({registration.member_id for registration in wire})
    qualified = [
        Qualification(member_id=member_id, requirement=osha)
        for member_id in rng.sample(members, len(members) // 3)
    ]
    bulk_insert(qualified)
    history_of_created(qualified, actor=ACTOR, reason=ACTOR)
    books = {registration.book.code: registration.book for registration in wire}
    dispatched = _dispatched_today(books, employers)
    requests = _requests_waiting(books, employers, osha)
    stdout.write(
        f"Demo dispatch: {dispatched} dispatched in person today; {requests} labor requests "
        "wait for today's morning referral."
    )


def _receive(book, employer, *, positions, start_on, requirements=(), short_call=False):
    return labor_request_receive(
        employer=employer,
        book=book,
        positions=positions,
        start_on=start_on,
        start_at=datetime.time(7, 0),
        worksite=f"{employer.name}: {book.region.name} site",
        report_to="Site trailer, gate 1",
        wage=Decimal("52.10"),
        requirements=requirements,
        short_call=short_call,
        agreement_type=book.agreement_type,
        actor=ACTOR,
    )


def _dispatched_today(books: dict, employers: list) -> int:
    """Three registrants from the top of WIRE-N, sent to work starting two weeks on."""
    book = books.get("WIRE-N")
    if book is None:
        return 0
    start = timezone.localdate() + datetime.timedelta(days=14)
    job = _receive(book, employers[0], positions=3, start_on=start)
    for registration in list(book_list(book)[:3]):
        dispatch_make(
            labor_request=job,
            registration=registration,
            method=DispatchMethod.IN_PERSON,
            actor=ACTOR,
            note="At the counter",
        )
    return 3


def _requests_waiting(books: dict, employers: list, osha: Requirement) -> int:
    """Requests for each wire book, one asking for OSHA 30 and one a short call, moved to
    today's referral as if received yesterday before the cutoff."""
    start = timezone.localdate() + datetime.timedelta(days=7)
    made = []
    for index, code in enumerate(sorted(books)):
        employer = employers[index % len(employers)]
        made.append(_receive(books[code], employer, positions=2, start_on=start))
        made.append(
            _receive(books[code], employer, positions=1, start_on=start, requirements=[osha])
        )
    made.append(
        _receive(
            books[sorted(books)[0]], employers[-1], positions=1, start_on=start, short_call=True
        )
    )
    yesterday = timezone.now() - datetime.timedelta(days=1)
    LaborRequest.objects.filter(pk__in=[r.pk for r in made]).update(
        referral_day=timezone.localdate(), received_at=yesterday
    )
    return len(made)
