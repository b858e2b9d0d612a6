"""A registration not re-signed is dropped after its re-sign day ends, the local's day
(daylight-saving correct); the drop is idempotent and loses to a re-sign made first
(docs/design.md §11)."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError

from members.tests.factories import MemberFactory
from referral.models import EventKind, Registration, RegistrationStatus, RollOffReason
from referral.services import registration_register, registration_resign, registrations_drop_missed

pytestmark = pytest.mark.django_db


def _registered_due(book, clock, due: datetime.date) -> Registration:
    registration = registration_register(member=MemberFactory(), book=book, actor="tests")
    Registration.objects.filter(pk=registration.pk).update(resign_due=due)
    registration.refresh_from_db()
    return registration


@pytest.mark.parametrize(
    ("due", "last_minute", "first_minute"),
    [
        # Spring forward: 2027-03-14 02:00 PST becomes 03:00 PDT (a 23-hour day).
        (datetime.date(2027, 3, 14), (2027, 3, 14, 23, 59), (2027, 3, 15, 0, 0)),
        # Fall back: 2027-11-07 02:00 PDT becomes 01:00 PST (a 25-hour day).
        (datetime.date(2027, 11, 7), (2027, 11, 7, 23, 59), (2027, 11, 8, 0, 0)),
        # An ordinary day, in winter time.
        (datetime.date(2027, 1, 12), (2027, 1, 12, 23, 59), (2027, 1, 13, 0, 0)),
    ],
)
def test_a_registration_is_dropped_only_once_its_resign_day_has_ended_in_the_locals_time(
    book, clock, due, last_minute, first_minute
):
    clock.set(2026, 12, 7, 9, 0)
    registration = _registered_due(book, clock, due)

    clock.set(*last_minute)  # already the next day in UTC
    assert registrations_drop_missed(actor="referral.nightly") == 0
    clock.set(*first_minute)
    assert registrations_drop_missed(actor="referral.nightly") == 1
    assert registrations_drop_missed(actor="referral.nightly") == 0  # idempotent

    registration.refresh_from_db()
    assert (registration.status, registration.roll_off_reason) == (
        RegistrationStatus.ROLLED_OFF,
        RollOffReason.RESIGN_MISSED,
    )
    dropped = registration.events.get(kind=EventKind.ROLLED_OFF)
    assert (dropped.reason, dropped.recorded_by_name) == ("resign_missed", "referral.nightly")


def test_a_resign_on_the_last_day_keeps_the_registration_and_one_after_is_refused(book, clock):
    clock.set(2026, 12, 7, 9, 0)
    kept = _registered_due(book, clock, datetime.date(2026, 12, 10))
    late = _registered_due(book, clock, datetime.date(2026, 12, 10))

    clock.set(2026, 12, 10, 23, 59)
    registration_resign(registration=kept, actor="tests")
    clock.set(2026, 12, 11, 0, 1)
    with pytest.raises(ValidationError, match="was dropped"):
        registration_resign(registration=late, actor="tests")  # the job has not run yet
    assert registrations_drop_missed(actor="tests") == 1

    kept.refresh_from_db()
    assert kept.status == RegistrationStatus.REGISTERED and kept.resign_due > datetime.date(
        2026, 12, 11
    )
    with pytest.raises(ValidationError, match="was dropped"):
        registration_resign(registration=late, actor="tests")


@pytest.mark.postgres
def test_the_nights_drops_are_in_the_audit_trail_as_one_at_a_time_would_write_them(book, clock):
    from audit.chain import chain_verify
    from audit.in_sql import writes_in_sql
    from audit.models import AuditEvent
    from referral.models import RegistrationEvent

    assert writes_in_sql(RegistrationEvent)
    clock.set(2026, 12, 7, 9, 0)
    registrations = [_registered_due(book, clock, datetime.date(2026, 12, 8)) for _ in range(3)]
    clock.set(2026, 12, 9, 0, 30)
    assert registrations_drop_missed(actor="referral.nightly") == 3

    for registration in registrations:
        dropped = registration.events.get(kind=EventKind.ROLLED_OFF)
        event = AuditEvent.objects.get(
            model_label="referral.registrationevent", object_id=str(dropped.pk)
        )
        assert (event.object_repr, event.member_id, event.member_number, event.actor_label) == (
            f"rolled_off: registration #{registration.pk}",
            registration.member_id,
            registration.member.member_number,
            "referral.nightly",
        )
        assert event.changes["reason"] == [None, "resign_missed"]
        change = AuditEvent.objects.get(
            model_label="referral.registration", object_id=str(registration.pk), action="update"
        )
        assert change.changes["status"] == ["registered", "rolled_off"]
        assert change.actor_label == "referral.nightly"
    assert chain_verify().ok


def test_each_drop_is_in_the_trail_as_saving_the_registration_would_write_it(book, clock):
    """On PostgreSQL the database writes the drops' changes (audit/in_sql.py), elsewhere
    Python does: either way each says what changed since the registration's previous
    history row, as a save would, and the chain verifies."""
    from audit.chain import chain_verify
    from audit.models import AuditEvent
    from audit.services import jsonable

    clock.set(2026, 12, 7, 9, 0)
    registrations = [_registered_due(book, clock, datetime.date(2026, 12, 8)) for _ in range(3)]
    clock.set(2026, 12, 9, 0, 30)
    assert registrations_drop_missed(actor="referral.nightly") == 3

    fields = [f for f in Registration.history.model.tracked_fields if f.editable]
    for registration in registrations:
        after, before = Registration.history.filter(id=registration.pk).order_by("-history_id")[:2]
        expected = {
            f.name: [jsonable(getattr(before, f.attname)), jsonable(getattr(after, f.attname))]
            for f in fields
            if getattr(before, f.attname) != getattr(after, f.attname)
        }
        event = AuditEvent.objects.get(
            history_id=after.history_id, model_label=after.instance._meta.label_lower
        )
        registration.refresh_from_db()
        assert (event.action, event.object_repr, event.member_number, event.changes) == (
            "update",
            str(registration),
            registration.member.member_number,
            expected,
        )
        # What changed: the drop, and the re-sign date this test moved without a save.
        assert set(expected) == {"status", "roll_off_reason", "ended_at", "resign_due"}
    assert chain_verify().ok
