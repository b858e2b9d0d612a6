"""What must survive a race, on PostgreSQL with real connections: concurrent registrations
on one book get distinct, increasing APNs; a member cannot end up on a book twice; the drop
and a last-second re-sign never both win (docs/design.md §11)."""

from __future__ import annotations

import contextlib
import datetime
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from members.tests.factories import MemberFactory
from referral.models import Registration, RegistrationStatus
from referral.services import registration_register, registration_resign, registrations_drop_missed

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


def test_fifty_registrations_at_once_get_fifty_distinct_increasing_apns(book, race):
    members = iter([MemberFactory() for _ in range(50)])
    pick = threading.Lock()

    def register():
        with pick:
            member = next(members)
        return registration_register(member=member, book=book, actor="tests")

    _, errors = race(register, times=50)
    assert errors == []
    listed = list(Registration.objects.filter(book=book).order_by("sequence"))
    assert len(listed) == 50
    keys = [(r.apn, r.sequence) for r in listed]
    assert keys == sorted(keys)  # drawn in order: a later sequence never has a lower APN
    assert [r.sequence for r in listed] == list(range(1, 51))
    # Two decimal places hold 99 a day; these 50 each have their own.
    assert len({r.apn for r in listed}) == 50


def test_one_member_registering_twice_at_once_is_on_the_book_once(book, race):
    member = MemberFactory()
    results, errors = race(
        lambda: registration_register(member=member, book=book, actor="tests"), times=6
    )
    assert len(results) == 1
    assert all(isinstance(e, ValidationError | IntegrityError) for e in errors)
    assert Registration.objects.filter(member=member, book=book).count() == 1


def test_a_resign_in_the_last_second_and_the_drop_never_both_win(book, clock, race):
    clock.set(2026, 12, 7, 9, 0)
    registrations = [
        registration_register(member=MemberFactory(), book=book, actor="tests") for _ in range(20)
    ]
    Registration.objects.update(resign_due=datetime.date(2026, 12, 10))
    clock.set(2026, 12, 10, 23, 59, 59)
    drop_at = clock.now + datetime.timedelta(seconds=2)

    turns = iter(["drop", "resign"])
    pick = threading.Lock()

    def one_or_the_other():
        with pick:
            turn = next(turns)
        if turn == "drop":
            return registrations_drop_missed(actor="tests", now=drop_at)
        for registration in registrations:
            with contextlib.suppress(ValidationError):
                registration_resign(registration=registration, actor="tests")
        return None

    _, errors = race(one_or_the_other, times=2)
    assert errors == []
    for registration in Registration.objects.all():
        events = [e.kind for e in registration.events.order_by("at", "id")]
        # Either re-signed and kept, or dropped; never re-signed and then dropped.
        if registration.status == RegistrationStatus.ROLLED_OFF:
            assert "resigned" not in events
        else:
            assert registration.resign_due > datetime.date(2026, 12, 10)
