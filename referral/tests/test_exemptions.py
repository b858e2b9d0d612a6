"""Exemptions: a registrant keeps their place while exempt; capped kinds end by themselves
after the rules' cap unless an officer extends them (docs/design.md §11)."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from members.tests.factories import MemberFactory
from referral.models import EventKind, ExemptionKind, RegistrationStatus
from referral.selectors import book_list, registration_position
from referral.services import (
    exemption_extend,
    exemption_start,
    exemptions_end_due,
    registration_register,
)

pytestmark = pytest.mark.django_db


def test_an_exempt_registrant_keeps_their_place_on_the_list(book, clock):
    first = registration_register(member=MemberFactory(), book=book, actor="tests")
    second = registration_register(member=MemberFactory(), book=book, actor="tests")
    exemption_start(
        registration=first,
        kind=ExemptionKind.JURY_DUTY,
        starts_on=datetime.date(2026, 12, 7),
        ends_on=datetime.date(2026, 12, 18),
        actor="tests",
    )
    first.refresh_from_db()
    assert first.status == RegistrationStatus.EXEMPT
    assert [r.pk for r in book_list(book)] == [first.pk, second.pk]
    assert registration_position(first) == 1
    assert first.events.last().kind == EventKind.EXEMPTION_STARTED


def test_a_capped_exemption_ends_by_itself_unless_an_officer_extends_it(
    book, clock, user_with_role
):
    clock.set(2026, 12, 7, 9, 0)
    traveling = registration_register(member=MemberFactory(), book=book, actor="tests")
    under_scale = registration_register(member=MemberFactory(), book=book, actor="tests")
    capped = exemption_start(
        registration=traveling,
        kind=ExemptionKind.TRAVELING,
        starts_on=datetime.date(2026, 12, 7),
        ends_on=datetime.date(2028, 1, 1),  # asked for more than the cap
        actor="tests",
    )
    extended = exemption_start(
        registration=under_scale,
        kind=ExemptionKind.UNDER_SCALE,
        starts_on=datetime.date(2026, 12, 7),
        actor="tests",
    )
    assert capped.ends_on == extended.ends_on == datetime.date(2027, 6, 8)  # 183 days

    with pytest.raises(PermissionDenied):
        exemption_extend(
            exemption=extended,
            ends_on=datetime.date(2027, 9, 1),
            reason="Still on the road",
            actor=user_with_role("Dispatcher"),
        )
    with pytest.raises(ValidationError, match="Say why"):
        exemption_extend(
            exemption=extended, ends_on=datetime.date(2027, 9, 1), reason=" ", actor="tests"
        )
    exemption_extend(
        exemption=extended,
        ends_on=datetime.date(2027, 9, 1),
        reason="Still on the road",
        actor=user_with_role("Officer"),
    )

    clock.set(2027, 6, 9, 0, 30)
    assert exemptions_end_due(actor="tests") == 1
    assert exemptions_end_due(actor="tests") == 0
    traveling.refresh_from_db()
    under_scale.refresh_from_db()
    assert traveling.status == RegistrationStatus.REGISTERED
    assert traveling.resign_due == datetime.date(2027, 7, 9)
    assert under_scale.status == RegistrationStatus.EXEMPT


def test_an_exemption_cannot_end_before_it_starts_nor_be_given_twice(book):
    registration = registration_register(member=MemberFactory(), book=book, actor="tests")
    with pytest.raises(ValidationError, match="cannot end before it starts"):
        exemption_start(
            registration=registration,
            kind=ExemptionKind.MEDICAL,
            starts_on=datetime.date(2026, 12, 7),
            ends_on=datetime.date(2026, 12, 1),
            actor="tests",
        )
    exemption_start(
        registration=registration,
        kind=ExemptionKind.MEDICAL,
        starts_on=datetime.date(2026, 12, 7),
        actor="tests",
    )
    with pytest.raises(ValidationError, match="Only a registrant on the book"):
        exemption_start(
            registration=registration,
            kind=ExemptionKind.MILITARY,
            starts_on=datetime.date(2026, 12, 7),
            actor="tests",
        )


def test_an_exemption_starts_when_approved_and_does_not_rescue_a_missed_resign(book, clock):
    clock.set(2026, 12, 7, 9, 0)
    registration = registration_register(member=MemberFactory(), book=book, actor="tests")
    with pytest.raises(ValidationError, match="starts today or earlier"):
        exemption_start(
            registration=registration,
            kind=ExemptionKind.MILITARY,
            starts_on=datetime.date(2026, 12, 8),
            actor="tests",
        )
    clock.set(2027, 1, 7, 0, 5)  # its re-sign was due January 6; the night has not run yet
    with pytest.raises(ValidationError, match="it is dropped tonight, not exempted"):
        exemption_start(
            registration=registration,
            kind=ExemptionKind.MEDICAL,
            starts_on=datetime.date(2027, 1, 7),
            actor="tests",
        )
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.REGISTERED
    assert not registration.exemptions.exists()


def test_the_night_does_not_end_an_exemption_extended_since_it_was_read(book, clock, monkeypatch):
    from referral.services import exemptions as module

    clock.set(2026, 12, 7, 9, 0)
    registration = registration_register(member=MemberFactory(), book=book, actor="tests")
    exemption = exemption_start(
        registration=registration,
        kind=ExemptionKind.TRAVELING,
        starts_on=datetime.date(2026, 12, 7),
        actor="tests",
    )
    clock.set(2027, 6, 9, 0, 15)
    real_end = module.exemption_end

    def extended_first(**kwargs):  # an officer's extension commits just before the night's
        raise AssertionError("ended although extended")

    exemption_extend(
        exemption=exemption, ends_on=datetime.date(2027, 9, 1), reason="On the road", actor="tests"
    )
    monkeypatch.setattr(module, "exemption_end", extended_first)
    assert exemptions_end_due(actor="tests") == 0
    monkeypatch.setattr(module, "exemption_end", real_end)
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.EXEMPT
