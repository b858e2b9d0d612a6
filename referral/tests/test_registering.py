"""Registering on a book: the APN of the local's day and its order within the day, the
tier, and every refusal with its reason (docs/design.md §11)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from audit.models import AuditEvent
from members.models import MemberStatus
from members.tests.factories import ClassificationFactory, MemberFactory
from referral.models import EventKind, Holiday, Registration, RegistrationStatus
from referral.rules import day_number
from referral.selectors import book_list, registration_position
from referral.services import (
    registration_register,
    registrations_hold,
    registrations_hold_release,
)

from .factories import BookFactory, rules_in_force

pytestmark = pytest.mark.django_db


def test_apns_are_the_local_day_number_and_the_order_within_the_day(book, clock):
    clock.set(2026, 12, 7, 16, 45)  # 16:45 in Los Angeles: already Dec 8 in UTC
    first = registration_register(member=MemberFactory(), book=book, actor="tests")
    second = registration_register(member=MemberFactory(), book=book, actor="tests")
    clock.set(2026, 12, 8, 8, 0)
    next_day = registration_register(member=MemberFactory(), book=book, actor="tests")

    day = day_number(datetime.date(2026, 12, 7))
    assert day == 46363  # as the vendor counts: 1899-12-30 is day 0
    assert (first.apn, second.apn) == (
        Decimal(day) + Decimal("0.01"),
        Decimal(day) + Decimal("0.02"),
    )
    assert next_day.apn == Decimal(day + 1) + Decimal("0.01")
    assert [r.pk for r in book_list(book)] == [first.pk, second.pk, next_day.pk]
    assert [registration_position(r) for r in (first, second, next_day)] == [1, 2, 3]


def test_a_registration_records_its_event_and_rules_in_the_audit_chain(book, rules, clock):
    clock.set(2026, 12, 7, 9, 0)
    registration = registration_register(member=MemberFactory(), book=book, actor="tests")

    [event] = registration.events.all()
    assert (event.kind, event.rule_set, event.apn, event.recorded_by_name) == (
        EventKind.REGISTERED,
        rules,
        registration.apn,
        "tests",
    )
    assert registration.rule_set == rules
    assert AuditEvent.objects.filter(
        model_label="referral.registrationevent", object_id=str(event.pk), member_id=event.member_id
    ).exists()


def test_the_resign_date_is_the_rules_interval_moved_past_weekends_and_the_regions_holidays(
    book, clock
):
    Holiday.objects.create(region=book.region, day=datetime.date(2027, 1, 6), name="Closed")
    clock.set(2026, 12, 7, 9, 0)  # a Monday; 30 days on is Wednesday, January 6
    registration = registration_register(member=MemberFactory(), book=book, actor="tests")
    assert registration.resign_due == datetime.date(2027, 1, 7)

    clock.set(2026, 12, 12, 9, 0)  # a Saturday; 30 days on is Monday, January 11
    assert registration_register(
        member=MemberFactory(), book=book, actor="tests"
    ).resign_due == datetime.date(2027, 1, 11)


def test_the_tier_is_book_one_for_the_books_classification_else_the_last_unless_staff_say_why(
    book, wireman
):
    own = registration_register(
        member=MemberFactory(classification=wireman), book=book, actor="tests"
    )
    other = registration_register(
        member=MemberFactory(classification=ClassificationFactory(code="AP")),
        book=book,
        actor="tests",
    )
    assert (own.tier, other.tier) == (1, 2)

    with pytest.raises(ValidationError) as refused:
        registration_register(
            member=MemberFactory(classification=wireman), book=book, tier=2, actor="tests"
        )
    assert "Say why this member goes on tier 2, not tier 1" in str(refused.value)
    chosen = registration_register(
        member=MemberFactory(classification=wireman),
        book=book,
        tier=2,
        tier_reason="No recent work in the area",
        actor="tests",
    )
    assert (chosen.tier, chosen.tier_reason) == (2, "No recent work in the area")
    with pytest.raises(ValidationError, match="has tiers 1 to 2"):
        registration_register(
            member=MemberFactory(), book=book, tier=3, tier_reason="x", actor="tests"
        )


def test_a_second_active_registration_on_a_book_is_refused_but_other_books_are_fine(book, wireman):
    member = MemberFactory(classification=wireman)
    registration_register(member=member, book=book, actor="tests")
    with pytest.raises(ValidationError, match="already registered on book WIRE-N"):
        registration_register(member=member, book=book, actor="tests")

    south = BookFactory(code="WIRE-S", classification=wireman)
    registration_register(member=member, book=south, actor="tests")
    assert Registration.objects.filter(member=member).count() == 2


def test_the_database_itself_refuses_two_active_registrations(book):
    first = registration_register(member=MemberFactory(), book=book, actor="tests")
    with pytest.raises(IntegrityError), transaction.atomic():
        Registration.objects.create(
            member=first.member,
            book=book,
            tier=1,
            apn=first.apn + 1,
            sequence=99,
            registered_at=first.registered_at,
            resign_due=first.resign_due,
            rule_set=first.rule_set,
        )


@pytest.mark.parametrize("status", [MemberStatus.SUSPENDED, MemberStatus.DROPPED])
def test_a_member_out_of_standing_is_refused_with_the_reason_unless_the_rules_allow(
    book, status, db
):
    member = MemberFactory(status=status)
    with pytest.raises(ValidationError) as refused:
        registration_register(member=member, book=book, actor="tests")
    assert f"is {status}: the referral rules (v1) register only members in good standing" in str(
        refused.value
    )
    assert not Registration.objects.exists()

    rules_in_force(datetime.date(2021, 1, 1), version=2, register_out_of_standing=True)
    assert registration_register(member=member, book=book, actor="tests").rule_set.version == 2


def test_a_closed_book_and_no_rules_in_force_are_refused(wireman, db):
    book = BookFactory(classification=wireman)
    with pytest.raises(ValidationError, match="No referral rules are in force"):
        registration_register(member=MemberFactory(), book=book, actor="tests")
    rules_in_force()
    book.active = False
    book.save()
    with pytest.raises(ValidationError, match="is closed"):
        registration_register(member=MemberFactory(), book=book, actor="tests")


def test_only_roles_that_register_may(book, user_with_role):
    for role in ("Staff", "Dispatcher", "Officer"):
        registration_register(member=MemberFactory(), book=book, actor=user_with_role(role))
    for role in ("Organizer", "Member"):
        with pytest.raises(PermissionDenied):
            registration_register(member=MemberFactory(), book=book, actor=user_with_role(role))


def test_registrations_during_the_morning_referral_wait_and_are_drawn_in_arrival_order(book, clock):
    clock.set(2026, 12, 7, 8, 30)
    early = registration_register(member=MemberFactory(), book=book, actor="tests")
    registrations_hold(reason="Morning referral of WIRE-N", actor="tests")
    members = [MemberFactory() for _ in range(3)]
    for member in members:
        clock.advance(seconds=20)
        queued = registration_register(member=member, book=book, actor="tests")
        assert queued.registration is None
    assert Registration.objects.count() == 1

    clock.advance(minutes=5)
    registrations_hold_release(actor="tests")

    listed = list(book_list(book))
    assert [r.member for r in listed] == [early.member, *members]
    assert [r.apn for r in listed] == sorted(r.apn for r in listed)
    assert len({r.apn for r in listed}) == 4
    assert all(r.status == RegistrationStatus.REGISTERED for r in listed)


def test_only_those_who_run_the_referral_hold_and_release_the_books(book, user_with_role):
    for role in ("Staff", "Organizer"):
        with pytest.raises(PermissionDenied):
            registrations_hold(reason="Morning referral", actor=user_with_role(role))
        with pytest.raises(PermissionDenied):
            registrations_hold_release(actor=user_with_role(role))
    dispatcher = user_with_role("Dispatcher")
    assert registrations_hold(reason="Morning referral", actor=dispatcher).is_open
    assert registrations_hold_release(actor=dispatcher) == []
