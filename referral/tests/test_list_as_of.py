"""A book's list as it stood at any instant is rebuilt from events alone, and nothing that
happens later changes an earlier answer (docs/design.md §11)."""

from __future__ import annotations

import datetime
import itertools

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from members.tests.factories import ClassificationFactory, MemberFactory
from referral.models import ExemptionKind, Registration, RollOffReason
from referral.selectors import book_list, book_list_as_of
from referral.services import (
    exemption_end,
    exemption_start,
    registration_register,
    registration_resign,
    registration_roll_off,
    registrations_drop_missed,
)

from .factories import BookFactory

pytestmark = pytest.mark.django_db

_books = itertools.count(1)

OPS = ("register", "register", "resign", "exempt", "unexempt", "roll_off", "month_later")


def _apply(op: str, member, book, clock) -> None:
    registration = (
        Registration.objects.filter(member=member, book=book).exclude(status="rolled_off").first()
    )
    try:
        if op == "register":
            registration_register(member=member, book=book, actor="tests")
        elif op == "month_later":
            clock.advance(days=31)
            registrations_drop_missed(actor="tests")
        elif registration is None:
            return
        elif op == "resign":
            registration_resign(registration=registration, actor="tests")
        elif op == "exempt":
            exemption_start(
                registration=registration,
                kind=ExemptionKind.MEDICAL,
                starts_on=clock.now.date(),
                actor="tests",
            )
        elif op == "unexempt":
            exemption = registration.exemptions.filter(ended_at__isnull=True).first()
            if exemption:
                exemption_end(exemption=exemption, actor="tests")
        elif op == "roll_off":
            registration_roll_off(
                registration=registration, reason=RollOffReason.WITHDRAWN, actor="tests"
            )
    except ValidationError:
        pass  # refused (already registered, not re-signable...): nothing written


def _live(book) -> list[tuple]:
    return [(r.pk, r.status, r.tier, r.apn, r.sequence) for r in book_list(book)]


def _rebuilt(book, instant) -> list[tuple]:
    return [
        (r.registration_id, r.status, r.tier, r.apn, r.sequence)
        for r in book_list_as_of(book, instant)
    ]


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    steps=st.lists(
        st.tuples(
            st.sampled_from(OPS),
            st.integers(min_value=0, max_value=4),
            st.integers(min_value=1, max_value=900),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_the_list_as_of_any_past_instant_is_what_the_list_was_then(rules, wireman, clock, steps):
    book = BookFactory(code=f"PROP-{next(_books)}", classification=wireman, tiers=2)
    other = ClassificationFactory(code="AP")
    members = [MemberFactory(classification=wireman if i % 2 else other) for i in range(5)]
    clock.set(2026, 3, 1, 6, 0)
    seen: list[tuple[datetime.datetime, list[tuple]]] = []
    for op, who, minutes in steps:
        clock.advance(minutes=minutes)
        _apply(op, members[who], book, clock)
        # As of now, the events give the live list...
        assert _rebuilt(book, clock.now) == _live(book)
        seen.append((clock.now, _live(book)))
    # ...and, after everything that came later, each earlier instant still gives the list as
    # it was then, as does any instant before the next step.
    for (instant, listed), later in zip(seen, [*seen[1:], (None, None)], strict=True):
        assert _rebuilt(book, instant) == listed
        if later[0] is not None:
            assert _rebuilt(book, later[0] - datetime.timedelta(seconds=1)) == listed


def test_the_list_as_of_a_past_morning_shows_who_was_on_it_in_their_places(book, clock):
    clock.set(2026, 12, 1, 9, 0)
    first = registration_register(member=MemberFactory(), book=book, actor="tests")
    second = registration_register(member=MemberFactory(), book=book, actor="tests")
    morning = clock.set(2026, 12, 2, 8, 0)
    clock.set(2026, 12, 2, 10, 0)
    registration_roll_off(registration=first, reason=RollOffReason.WITHDRAWN, actor="tests")
    third = registration_register(member=MemberFactory(), book=book, actor="tests")

    then = book_list_as_of(book, morning)
    assert [(r.position, r.registration_id) for r in then] == [(1, first.pk), (2, second.pk)]
    assert [r.registration_id for r in book_list_as_of(book, clock.now)] == [second.pk, third.pk]
