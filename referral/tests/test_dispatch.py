"""Dispatch through its services (referral/services/dispatching.py): a dispatch holds the
registration and fills the request; every refusal says why and writes nothing; a dispatch
takes the member off their other books only where the rules say; its end restores a short
call's APN within the rules, rolls a quitter off every book with a blackout, and ends the
registration otherwise; a no-show frees the position and marks the day."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from apikit.errors import ConflictError
from members.models import MemberStatus
from referral.models import (
    Blackout,
    CheckMark,
    CheckMarkReason,
    Dispatch,
    DispatchMethod,
    DispatchStatus,
    EventKind,
    LaborRequest,
    LaborRequestStatus,
    Qualification,
    Registration,
    RegistrationStatus,
    Requirement,
    RollOffReason,
    RuleSet,
)
from referral.services import (
    dispatch_check_in,
    dispatch_make,
    dispatch_no_show,
    dispatch_start_work,
    dispatch_terminate,
    labor_request_cancel,
)
from referral.tests.factories import BookFactory

pytestmark = pytest.mark.django_db

IN_PERSON = DispatchMethod.IN_PERSON


def dispatch(labor_request, registration, method=IN_PERSON, **more):
    return dispatch_make(
        labor_request=labor_request, registration=registration, method=method, actor="tests", **more
    )


def rules_say(**changes):
    RuleSet.objects.update(**changes)


@pytest.fixture
def other_book(book):
    return BookFactory(code="WIRE-S", classification=book.classification, tiers=2)


def test_a_dispatch_holds_the_registration_and_fills_the_request(registered, requested):
    registration = registered()
    labor_request = requested()
    made = dispatch(labor_request, registration, note="Called at 06:10")
    registration.refresh_from_db()
    labor_request.refresh_from_db()
    assert made.status == DispatchStatus.DISPATCHED and made.employer == labor_request.employer
    assert made.rule_set.version == 1 and made.dispatched_by_name
    assert registration.status == RegistrationStatus.DISPATCHED
    assert registration.apn == made.registration.apn  # its place is kept while dispatched
    assert labor_request.status == LaborRequestStatus.FILLED and labor_request.filled == 1
    event = registration.events.get(kind=EventKind.DISPATCHED)
    assert event.reason == IN_PERSON and event.status == RegistrationStatus.DISPATCHED
    assert made.history.count() == 1


def _nothing_written(labor_request, registration):
    assert not Dispatch.objects.exists()
    assert LaborRequest.objects.get(pk=labor_request.pk).filled == labor_request.filled
    assert Registration.objects.get(pk=registration.pk).status == registration.status
    assert not registration.events.filter(kind=EventKind.DISPATCHED).exists()


def test_a_cancelled_request_takes_no_one(registered, requested):
    registration, labor_request = registered(), requested()
    labor_request_cancel(labor_request=labor_request, reason="Job fell through", actor="tests")
    with pytest.raises(ValidationError, match="cancelled"):
        dispatch(labor_request, registration)
    _nothing_written(labor_request, registration)


def test_a_request_is_never_filled_past_its_positions(registered, requested):
    labor_request = requested(positions=1)
    dispatch(labor_request, registered())
    second = registered()
    with pytest.raises(ValidationError, match="filled"):
        dispatch(labor_request, second)
    assert LaborRequest.objects.get().filled == 1
    assert Dispatch.objects.count() == 1


def test_a_registration_on_another_book_is_refused(registered, requested, other_book):
    registration = registered(on=other_book)
    labor_request = requested()
    with pytest.raises(ValidationError) as refused:
        dispatch(labor_request, registration)
    assert "another book" in refused.value.message_dict["registration"][0]
    _nothing_written(labor_request, registration)


def test_a_member_already_dispatched_from_another_book_is_refused(
    registered, requested, other_book
):
    first = registered()
    elsewhere = registered(on=other_book, member=first.member)
    dispatch(requested(), first)
    labor_request = requested(book=other_book)
    with pytest.raises(ValidationError) as refused:
        dispatch(labor_request, elsewhere)
    assert "already dispatched to ACME" in refused.value.message_dict["registration"][0]
    assert Dispatch.objects.count() == 1
    assert LaborRequest.objects.get(pk=labor_request.pk).filled == 0


def test_the_database_refuses_a_second_open_dispatch(registered, requested, other_book):
    first = registered()
    made = dispatch(requested(), first)
    elsewhere = registered(on=other_book, member=first.member)
    with pytest.raises(IntegrityError), transaction.atomic():
        Dispatch.objects.create(
            labor_request=requested(book=other_book),
            employer=made.employer,
            member=made.member,
            registration=elsewhere,
            method=IN_PERSON,
            dispatched_at=made.dispatched_at,
            report_by=made.report_by,
            rule_set=made.rule_set,
            dispatched_by_name="x",
        )


def test_a_rolled_off_registration_is_not_dispatched(registered, requested):
    from referral.services import registration_roll_off

    registration = registered()
    registration_roll_off(registration=registration, reason="withdrawn", actor="tests")
    registration.refresh_from_db()
    labor_request = requested()
    with pytest.raises(ValidationError, match="no longer on the book"):
        dispatch(labor_request, registration)
    _nothing_written(labor_request, registration)


def test_out_of_good_standing_is_refused_unless_the_rules_refer_them(registered, requested):
    registration = registered()
    registration.member.status = MemberStatus.SUSPENDED
    registration.member.save()
    labor_request = requested(positions=2)
    with pytest.raises(ValidationError, match="good standing"):
        dispatch(labor_request, registration)
    _nothing_written(labor_request, registration)
    rules_say(register_out_of_standing=True)
    assert dispatch(labor_request, registration).status == DispatchStatus.DISPATCHED


def test_a_member_blacked_out_from_the_employer_is_refused(registered, requested, employer):
    registration = registered()
    Blackout.objects.create(
        member=registration.member,
        employer=employer,
        starts_on=datetime.date(2026, 12, 1),
        ends_on=datetime.date(2026, 12, 14),
        reason="Quit",
    )
    labor_request = requested()
    with pytest.raises(ValidationError, match="blacked out from this employer until Dec 14"):
        dispatch(labor_request, registration)
    _nothing_written(labor_request, registration)


def test_a_requirement_must_be_held_on_the_referral_day(registered, requested):
    registration = registered()
    osha = Requirement.objects.get(code="OSHA-30")
    labor_request = requested(requirements=[osha])
    with pytest.raises(ValidationError, match="lacks what the request asks: OSHA-30"):
        dispatch(labor_request, registration)
    # Lapsed the day before the referral day: still lacking.
    held = Qualification.objects.create(
        member=registration.member, requirement=osha, expires_on=datetime.date(2026, 12, 8)
    )
    with pytest.raises(ValidationError, match="OSHA-30"):
        dispatch(labor_request, registration)
    _nothing_written(labor_request, registration)
    held.expires_on = datetime.date(2026, 12, 9)
    held.save()
    assert dispatch(labor_request, registration).status == DispatchStatus.DISPATCHED


def test_a_by_name_request_goes_by_name_to_its_member_only(registered, requested):
    named, other = registered(), registered()
    labor_request = requested(named_member=named.member, attestation="Not solicited: foreman")
    with pytest.raises(ValidationError) as refused:
        dispatch(labor_request, named)  # in person
    assert "method" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        dispatch(labor_request, other, method=DispatchMethod.BY_NAME)
    assert "only they" in refused.value.message_dict["registration"][0]
    _nothing_written(labor_request, other)
    made = dispatch(labor_request, named, method=DispatchMethod.BY_NAME)
    assert made.method == DispatchMethod.BY_NAME


def test_by_name_is_refused_for_a_request_not_by_name(registered, requested):
    registration, labor_request = registered(), requested()
    with pytest.raises(ValidationError) as refused:
        dispatch(labor_request, registration, method=DispatchMethod.BY_NAME)
    assert "method" in refused.value.message_dict


@pytest.mark.parametrize("leaves", [True, False])
def test_other_books_are_left_only_where_the_rules_say(registered, requested, other_book, leaves):
    rules_say(dispatch_leaves_other_books=leaves)
    first = registered()
    elsewhere = registered(on=other_book, member=first.member)
    dispatch(requested(), first)
    elsewhere.refresh_from_db()
    if leaves:
        assert elsewhere.status == RegistrationStatus.ROLLED_OFF
        assert elsewhere.roll_off_reason == RollOffReason.DISPATCHED
        assert elsewhere.events.filter(kind=EventKind.ROLLED_OFF, reason="dispatched").exists()
    else:
        assert elsewhere.status == RegistrationStatus.REGISTERED


def test_an_idempotency_key_gives_the_first_dispatch_back(registered, requested):
    registration, labor_request = registered(), requested(positions=2)
    first = dispatch(labor_request, registration, idempotency_key="k-1")
    again = dispatch(labor_request, registration, idempotency_key="k-1")
    assert again.pk == first.pk and Dispatch.objects.count() == 1
    assert LaborRequest.objects.get().filled == 1
    with pytest.raises(ConflictError):
        dispatch(labor_request, registered(), idempotency_key="k-1")


# --- Check-in, work and no-show ---------------------------------------------------------


def test_check_in_by_the_report_time_then_work(registered, requested, clock):
    made = dispatch(requested(), registered())
    clock.set(2026, 12, 9, 6, 45)
    made = dispatch_check_in(dispatch=made, actor="tests")
    assert made.status == DispatchStatus.CHECKED_IN
    made = dispatch_start_work(dispatch=made, on=datetime.date(2026, 12, 9), actor="tests")
    assert made.status == DispatchStatus.WORKING
    assert made.working_since == datetime.date(2026, 12, 9)


def test_a_check_in_after_the_report_time_is_a_no_show(registered, requested, clock):
    registration = registered()
    labor_request = requested()
    made = dispatch(labor_request, registration)
    clock.set(2026, 12, 9, 6, 59, 59)
    with pytest.raises(ValidationError, match="has until Dec 09, 2026 07:00"):
        dispatch_no_show(dispatch=made, actor="tests")
    clock.set(2026, 12, 9, 7, 0, 1)
    with pytest.raises(ValidationError, match="record a no-show"):
        dispatch_check_in(dispatch=made, actor="tests")
    made = dispatch_no_show(dispatch=made, actor="tests")
    assert made.status == DispatchStatus.NO_SHOW
    labor_request.refresh_from_db()
    assert labor_request.filled == 0 and labor_request.status == LaborRequestStatus.OPEN
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.REGISTERED
    assert registration.events.filter(kind=EventKind.RESTORED).count() == 1
    mark = CheckMark.objects.get(registration=registration)
    assert mark.reason == CheckMarkReason.FAILED_TO_REPORT
    assert mark.day == datetime.date(2026, 12, 9)


# --- The dispatch's end --------------------------------------------------------------------


def _working(labor_request, registration, clock):
    made = dispatch(labor_request, registration)
    clock.set(2026, 12, 9, 6, 30)
    made = dispatch_check_in(dispatch=made, actor="tests")
    return dispatch_start_work(dispatch=made, on=datetime.date(2026, 12, 9), actor="tests")


def _end(made, reason, on, clock, note=""):
    clock.set(on.year, on.month, on.day, 16, 0)
    return dispatch_terminate(dispatch=made, reason=reason, on=on, actor="tests", note=note)


@pytest.mark.parametrize("reason", ["quit", "discharged"])
def test_a_quit_or_discharge_leaves_every_book_and_blacks_out_the_employer(
    registered, requested, other_book, clock, reason, employer
):
    registration = registered()
    elsewhere = registered(on=other_book, member=registration.member)
    made = _working(requested(), registration, clock)
    made = _end(made, reason, datetime.date(2026, 12, 11), clock)
    assert made.status == DispatchStatus.TERMINATED and made.termination_reason == reason
    for row in (registration, elsewhere):
        row.refresh_from_db()
        assert row.status == RegistrationStatus.ROLLED_OFF and row.roll_off_reason == reason
    blackout = Blackout.objects.get()
    assert (blackout.member, blackout.employer) == (registration.member, employer)
    assert (blackout.starts_on, blackout.ends_on) == (
        datetime.date(2026, 12, 11),
        datetime.date(2026, 12, 25),
    )


def test_a_layoff_from_a_long_call_ends_the_registration(registered, requested, clock):
    registration = registered()
    made = _working(requested(), registration, clock)
    _end(made, "laid_off", datetime.date(2026, 12, 18), clock)
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.ROLLED_OFF
    assert registration.roll_off_reason == RollOffReason.DISPATCHED
    assert not Blackout.objects.exists()


@pytest.mark.parametrize(
    ("last_day", "used_before", "restored", "used_after"),
    [
        (datetime.date(2026, 12, 11), 0, True, 0),  # 3 working days: not counted
        (datetime.date(2026, 12, 11), 2, True, 2),  # not counted, so not refused either
        (datetime.date(2026, 12, 14), 0, True, 1),  # 4 working days: counted
        (datetime.date(2026, 12, 22), 1, True, 2),  # 10 business days: still a short call
        (datetime.date(2026, 12, 14), 2, False, 2),  # the cycle's two are used
        (datetime.date(2026, 12, 23), 0, False, 0),  # 11 business days: past a short call
    ],
)
@pytest.mark.parametrize("reason", ["short_call_ended", "laid_off"])
def test_a_short_calls_end_restores_the_apn_within_the_rules(
    registered, requested, clock, last_day, used_before, restored, used_after, reason
):
    registration = registered()
    Registration.objects.filter(pk=registration.pk).update(short_calls_used=used_before)
    registration.refresh_from_db()
    apn, sequence = registration.apn, registration.sequence
    made = _working(requested(short_call=True), registration, clock)
    made = _end(made, reason, last_day, clock)
    registration.refresh_from_db()
    assert made.restored is restored
    assert registration.short_calls_used == used_after
    if restored:
        assert registration.status == RegistrationStatus.REGISTERED
        assert (registration.apn, registration.sequence) == (apn, sequence)
        assert registration.events.filter(kind=EventKind.RESTORED).count() == 1
    else:
        assert registration.status == RegistrationStatus.ROLLED_OFF
        assert registration.roll_off_reason == RollOffReason.DISPATCHED


def test_a_short_call_counts_business_days_around_a_holiday(registered, requested, clock, book):
    from referral.models import Holiday

    Holiday.objects.create(region=book.region, day=datetime.date(2026, 12, 10), name="x")
    registration = registered()
    # Wed 9, (Thu 10 a holiday), Fri 11, Mon 14: 3 business days, not counted.
    made = _working(requested(short_call=True), registration, clock)
    _end(made, "short_call_ended", datetime.date(2026, 12, 14), clock)
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.REGISTERED
    assert registration.short_calls_used == 0


@pytest.mark.parametrize(
    ("changes", "reason", "on", "field", "says"),
    [
        ({}, "laid_off", datetime.date(2026, 12, 7), "on", "cannot end before"),
        ({}, "laid_off", datetime.date(2026, 12, 31), "on", "once it has come"),
        ({}, "short_call_ended", datetime.date(2026, 12, 11), "reason", "not to a short call"),
        ({}, "other", datetime.date(2026, 12, 11), "note", "Say why"),
        ({}, "retired", datetime.date(2026, 12, 11), "reason", "Choose"),
    ],
)
def test_a_bad_end_is_refused_and_nothing_changes(
    registered, requested, clock, changes, reason, on, field, says
):
    registration = registered()
    made = _working(requested(**changes), registration, clock)
    clock.set(2026, 12, 11, 16, 0)
    with pytest.raises(ValidationError) as refused:
        dispatch_terminate(dispatch=made, reason=reason, on=on, actor="tests")
    assert says in refused.value.message_dict[field][0]
    made.refresh_from_db()
    registration.refresh_from_db()
    assert made.status == DispatchStatus.WORKING
    assert registration.status == RegistrationStatus.DISPATCHED
    assert not Blackout.objects.exists()


def test_a_dispatch_ends_once(registered, requested, clock):
    made = _working(requested(), registered(), clock)
    _end(made, "laid_off", datetime.date(2026, 12, 11), clock)
    with pytest.raises(ValidationError, match="terminated already"):
        _end(made, "quit", datetime.date(2026, 12, 11), clock)
    assert not Blackout.objects.exists()


def test_the_other_reason_keeps_its_note(registered, requested, clock):
    made = _working(requested(), registered(), clock)
    made = _end(made, "other", datetime.date(2026, 12, 11), clock, note="Weather shutdown")
    assert made.note == "Weather shutdown"


def test_a_staff_user_may_not_dispatch_or_end_one(registered, requested, user_with_role, clock):
    from django.core.exceptions import PermissionDenied

    from accounts import roles

    staff = user_with_role(roles.STAFF)
    labor_request, registration = requested(), registered()
    with pytest.raises(PermissionDenied):
        dispatch_make(
            labor_request=labor_request, registration=registration, method=IN_PERSON, actor=staff
        )
    made = dispatch(labor_request, registration)
    with pytest.raises(PermissionDenied):
        dispatch_terminate(
            dispatch=made, reason="laid_off", on=datetime.date(2026, 12, 8), actor=staff
        )
    dispatcher = user_with_role(roles.DISPATCHER)
    ended = dispatch_terminate(
        dispatch=made, reason="laid_off", on=datetime.date(2026, 12, 8), actor=dispatcher
    )
    assert ended.history.first().history_user == dispatcher


def test_a_dispatch_after_the_work_started_reports_by_the_days_end(registered, requested, clock):
    labor_request, registration = requested(), registered()
    clock.set(2026, 12, 9, 9, 30)  # the work started at 07:00
    made = dispatch(labor_request, registration)
    assert timezone.localtime(made.report_by) == clock.set(2026, 12, 10, 0, 0)
    clock.set(2026, 12, 9, 11, 0)
    assert dispatch_check_in(dispatch=made, actor="tests").status == DispatchStatus.CHECKED_IN


def test_a_late_dispatchs_no_show_is_marked_on_the_day_it_was_due(registered, requested, clock):
    registration, labor_request = registered(), requested()
    clock.set(2026, 12, 9, 9, 30)  # after the work started: to report by the day's end
    made = dispatch(labor_request, registration)
    clock.set(2026, 12, 10, 0, 0, 1)
    dispatch_no_show(dispatch=made, actor="tests")
    mark = CheckMark.objects.get(registration=registration)
    assert mark.day == datetime.date(2026, 12, 9)


def test_the_morning_referrals_methods_are_not_made_by_hand(registered, requested):
    registration, labor_request = registered(), requested()
    for method in (DispatchMethod.MORNING_REFERRAL, DispatchMethod.BID):
        with pytest.raises(ValidationError) as refused:
            dispatch(labor_request, registration, method=method)
        assert "morning referral dispatches" in refused.value.message_dict["method"][0]
    assert not Dispatch.objects.exists()
