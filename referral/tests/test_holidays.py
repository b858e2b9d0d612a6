"""A holiday the office adds after re-sign dates were worked out: the registrations whose
re-sign falls due on it move to the region's next business day, so nobody is dropped for a
day the office was closed (docs/design.md §11, "Time")."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from accounts import roles
from members.tests.factories import MemberFactory
from referral.models import Holiday, Registration, RegistrationStatus
from referral.services import holiday_save, registration_register, registrations_drop_missed

from .factories import BookFactory, RegionFactory

pytestmark = pytest.mark.django_db

D = datetime.date
DUE = D(2027, 1, 6)  # a Wednesday: 30 days after Monday, December 7, 2026


def _registered(book) -> Registration:
    registration = registration_register(member=MemberFactory(), book=book, actor="tests")
    assert registration.resign_due == DUE
    return registration


def _status(registration: Registration) -> str:
    registration.refresh_from_db()
    return registration.status


def test_a_holiday_on_a_resign_day_moves_it_to_the_next_business_day_and_the_night_waits(
    book, wireman, clock
):
    clock.set(2026, 12, 7, 9, 0)
    moved = _registered(book)
    other_book = _registered(BookFactory(code="WIRE-N2", classification=wireman))
    south = _registered(BookFactory(region=RegionFactory(code="SOUTH"), classification=wireman))

    clock.set(2027, 1, 4, 10, 0)
    closed = Holiday(region=book.region, day=DUE, name="Office move")
    assert holiday_save(holiday=closed, actor="tests") == 2

    moved.refresh_from_db()
    assert moved.resign_due == D(2027, 1, 7)
    other_book.refresh_from_db()
    assert other_book.resign_due == D(2027, 1, 7)
    change = moved.history.first()
    assert (change.history_type, change.history_change_reason) == (
        "~",
        "Re-sign day Jan 06, 2027 is a holiday: Office move",
    )

    clock.set(2027, 1, 7, 0, 15)  # the night after the holiday
    assert registrations_drop_missed(actor="referral.nightly") == 1  # the other region's
    assert (_status(moved), _status(other_book), _status(south)) == (
        RegistrationStatus.REGISTERED,
        RegistrationStatus.REGISTERED,
        RegistrationStatus.ROLLED_OFF,
    )
    clock.set(2027, 1, 8, 0, 15)  # the night after the new re-sign day
    assert registrations_drop_missed(actor="referral.nightly") == 2
    assert _status(moved) == RegistrationStatus.ROLLED_OFF


def test_the_new_resign_day_skips_the_weekend_and_the_regions_other_holidays(book, clock):
    clock.set(2026, 12, 7, 9, 0)
    registration = _registered(book)
    Holiday.objects.create(region=book.region, day=D(2027, 1, 7), name="Closed")
    Holiday.objects.create(region=book.region, day=D(2027, 1, 11), name="Closed")

    holiday_save(holiday=Holiday(region=book.region, day=DUE, name="Closed"), actor="tests")

    registration.refresh_from_db()
    assert registration.resign_due == D(2027, 1, 8)  # Thursday is closed; Friday is open

    # A holiday moved to a re-sign day moves it again: Friday, then the weekend and Monday.
    friday = Holiday.objects.get(day=D(2027, 1, 7))
    friday.day = D(2027, 1, 8)
    assert holiday_save(holiday=friday, actor="tests") == 1
    registration.refresh_from_db()
    assert registration.resign_due == D(2027, 1, 12)


def test_a_holiday_on_a_day_gone_by_moves_no_resign_date(book, clock):
    clock.set(2026, 12, 7, 9, 0)
    registration = _registered(book)
    clock.set(2027, 1, 7, 8, 0)  # the re-sign day has passed; the night has not run
    late = Holiday(region=book.region, day=DUE, name="Late")
    assert holiday_save(holiday=late, actor="tests") == 0
    assert Holiday.objects.filter(day=DUE).exists()  # kept, as the record of the day
    registration.refresh_from_db()
    assert registration.resign_due == DUE

    clock.set(2027, 1, 6, 8, 0)  # a holiday today: registrants due today may come tomorrow
    Holiday.objects.all().delete()
    storm = Holiday(region=book.region, day=DUE, name="Storm")
    assert holiday_save(holiday=storm, actor="tests") == 1
    registration.refresh_from_db()
    assert registration.resign_due == D(2027, 1, 7)


def test_a_holiday_twice_is_refused_plainly_and_only_the_hall_keeps_holidays(
    book, clock, user_with_role
):
    clock.set(2026, 12, 7, 9, 0)
    holiday_save(holiday=Holiday(region=book.region, day=DUE, name="Closed"), actor="tests")
    with pytest.raises(ValidationError, match="already exists"):
        holiday_save(holiday=Holiday(region=book.region, day=DUE, name="Again"), actor="tests")
    with pytest.raises(PermissionDenied):
        holiday_save(
            holiday=Holiday(region=book.region, day=D(2027, 1, 8), name="Closed"),
            actor=user_with_role(roles.STAFF),
        )
    assert list(Holiday.objects.values_list("name", flat=True)) == ["Closed"]


@pytest.mark.postgres
def test_the_moved_resign_dates_are_in_the_audit_trail_and_a_holiday_twice_is_refused(book, clock):
    from audit.chain import chain_verify
    from audit.models import AuditEvent

    clock.set(2026, 12, 7, 9, 0)
    registrations = [_registered(book) for _ in range(3)]
    holiday_save(holiday=Holiday(region=book.region, day=DUE, name="Closed"), actor="officer-x")
    with pytest.raises(ValidationError, match="already exists"):
        holiday_save(holiday=Holiday(region=book.region, day=DUE, name="Again"), actor="tests")

    for registration in registrations:
        change = AuditEvent.objects.get(
            model_label="referral.registration", object_id=str(registration.pk), action="update"
        )
        assert change.changes["resign_due"] == ["2027-01-06", "2027-01-07"]
        assert change.actor_label == "officer-x"
    assert chain_verify().ok


def test_a_holiday_added_in_the_regions_admin_page_moves_the_resign_dates(
    book, clock, client, user_with_role
):
    clock.set(2026, 12, 7, 9, 0)
    registration = _registered(book)
    client.force_login(user_with_role(roles.DISPATCHER))
    region = book.region
    url = reverse("admin:referral_region_change", args=[region.pk])
    data = {
        "code": region.code,
        "name": region.name,
        "opens_at": "08:00",
        "closes_at": "16:30",
        "holidays-TOTAL_FORMS": "1",
        "holidays-INITIAL_FORMS": "0",
        "holidays-MIN_NUM_FORMS": "0",
        "holidays-MAX_NUM_FORMS": "1000",
        "holidays-0-day": "2027-01-06",
        "holidays-0-name": "Office move",
    }

    response = client.post(url, data, follow=True)

    assert (
        "Jan 06, 2027: Office move: 1 re-sign date fell on it and moved to the region&#x27;s "
        "next business day."
    ) in response.content.decode()
    registration.refresh_from_db()
    assert registration.resign_due == D(2027, 1, 7)
    assert registration.history.first().history_user.groups.filter(name="Dispatcher").exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_resign_made_while_a_holiday_is_added_never_lands_on_the_holiday(
    book, clock, monkeypatch
):
    """The re-sign works its date out from the region's calendar while the office adds a
    holiday on that very date: it waits for the holiday and reads it, rather than writing
    the holiday as its last day after the holiday has moved the others."""
    import threading

    from django.db import connections

    from referral.services import holidays as holiday_services
    from referral.services import registration_resign

    clock.set(2026, 12, 7, 9, 0)
    registration = _registered(book)
    clock.set(2026, 12, 8, 10, 0)  # a re-sign today falls due on Thursday, January 7
    inside, go, errors = threading.Event(), threading.Event(), []
    moved = holiday_services.history_of_updated

    def held_open(*args, **kwargs):  # the holiday's transaction, not yet committed
        inside.set()
        go.wait(10)
        return moved(*args, **kwargs)

    monkeypatch.setattr(holiday_services, "history_of_updated", held_open)

    def run(work):
        try:
            work()
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    closed = Holiday(region=book.region, day=D(2027, 1, 7), name="Office move")
    adding = threading.Thread(
        target=run, args=(lambda: holiday_save(holiday=closed, actor="tests"),)
    )
    resigning = threading.Thread(
        target=run, args=(lambda: registration_resign(registration=registration, actor="tests"),)
    )
    adding.start()
    assert inside.wait(10)
    resigning.start()
    resigning.join(0.5)
    assert resigning.is_alive()  # waiting for the region's calendar
    go.set()
    adding.join(10)
    resigning.join(10)

    assert errors == []
    registration.refresh_from_db()
    assert registration.resign_due == D(2027, 1, 8)  # Friday: past the holiday
