"""Check marks (docs/design.md §11): one per registration per day; the rule set's excused
reasons are recorded and not counted; the counted mark past those tolerated rolls the
registrant off that book only; the batch of a day run twice gives the same marks; each mark
keeps the rule version of its day; staff give them in the admin, with the permission."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from accounts import roles
from members.tests.factories import MemberFactory
from referral.models import (
    CheckMark,
    CheckMarkReason,
    EventKind,
    ExemptionKind,
    Registration,
    RegistrationEvent,
    RegistrationStatus,
    RollOffReason,
    RuleSet,
)
from referral.selectors import book_list
from referral.services import (
    check_marks_give,
    exemption_start,
    registration_check_mark,
    registration_register,
    registration_roll_off,
)

from .factories import BookFactory, rules_in_force

pytestmark = pytest.mark.django_db

D = datetime.date
REFUSED = CheckMarkReason.REFUSED
NO_ANSWER = CheckMarkReason.NO_ANSWER
QUIT_SHORT_CALL = CheckMarkReason.QUIT_SHORT_CALL


@pytest.fixture
def registration(book, clock):
    clock.set(2026, 12, 7, 8, 0)
    return registration_register(member=MemberFactory(), book=book, actor="tests")


def _mark(registration, day: datetime.date, reason: str = REFUSED, **kwargs):
    return registration_check_mark(
        registration=registration, day=day, reason=reason, actor="tests", **kwargs
    )


def _marks_events(registration) -> list[str]:
    return list(
        RegistrationEvent.objects.filter(registration=registration, kind=EventKind.CHECK_MARK)
        .order_by("at", "id")
        .values_list("reason", flat=True)
    )


def test_one_mark_a_day_a_second_the_same_day_returns_the_first(registration, clock):
    clock.set(2026, 12, 8, 10, 0)
    first = _mark(registration, D(2026, 12, 8), REFUSED)
    again = _mark(registration, D(2026, 12, 8), NO_ANSWER)  # one a day, whatever the reason

    assert again.pk == first.pk and again.reason == REFUSED
    assert CheckMark.objects.count() == 1
    assert _marks_events(registration) == [REFUSED]
    registration.refresh_from_db()
    assert registration.check_marks == 1
    # Another day is another mark.
    _mark(registration, D(2026, 12, 7), NO_ANSWER)
    registration.refresh_from_db()
    assert registration.check_marks == 2 and CheckMark.objects.count() == 2


def test_the_third_counted_mark_rolls_off_that_book_only(book, registration, clock):
    other_book = BookFactory(code="WIRE-S", classification=book.classification)
    other = registration_register(member=registration.member, book=other_book, actor="tests")
    for day in (8, 9):
        clock.set(2026, 12, day, 10, 0)
        _mark(registration, D(2026, 12, day))
    registration.refresh_from_db()
    assert registration.check_marks == 2 and registration.status == RegistrationStatus.REGISTERED
    assert registration in book_list(book)  # two are tolerated

    clock.set(2026, 12, 10, 10, 0)
    third = _mark(registration, D(2026, 12, 10), NO_ANSWER)

    registration.refresh_from_db()
    assert third.counted
    assert registration.status == RegistrationStatus.ROLLED_OFF
    assert registration.roll_off_reason == RollOffReason.CHECK_MARKS
    assert registration.check_marks == 3
    assert registration not in book_list(book)
    last_two = list(registration.events.order_by("-at", "-id")[:2])
    assert [e.kind for e in last_two] == [EventKind.ROLLED_OFF, EventKind.CHECK_MARK]
    assert last_two[0].reason == RollOffReason.CHECK_MARKS
    # The member's other book is untouched.
    other.refresh_from_db()
    assert other.status == RegistrationStatus.REGISTERED and other.check_marks == 0
    assert list(book_list(other_book)) == [other]
    assert not CheckMark.objects.filter(registration=other).exists()


def test_an_excused_reason_is_recorded_but_neither_counts_nor_rolls_off(book, clock):
    clock.set(2026, 12, 1, 8, 0)
    rules_in_force(effective_on=D(2026, 12, 1), version=2, check_marks_excused=[QUIT_SHORT_CALL])
    registration = registration_register(member=MemberFactory(), book=book, actor="tests")
    for day in (2, 3, 4, 7):
        clock.set(2026, 12, day, 10, 0)
        _mark(registration, D(2026, 12, day), QUIT_SHORT_CALL)

    registration.refresh_from_db()
    marks = list(CheckMark.objects.filter(registration=registration))
    assert len(marks) == 4 and not any(mark.counted for mark in marks)
    assert registration.check_marks == 0
    assert registration.status == RegistrationStatus.REGISTERED
    events = RegistrationEvent.objects.filter(kind=EventKind.CHECK_MARK)
    assert [e.reason for e in events] == [QUIT_SHORT_CALL] * 4
    assert all("Excused by rules v2" in e.note for e in events)
    # A reason the rules do not excuse counts as ever.
    clock.set(2026, 12, 8, 10, 0)
    assert _mark(registration, D(2026, 12, 8), REFUSED).counted
    registration.refresh_from_db()
    assert registration.check_marks == 1


def test_a_registration_off_the_list_gets_no_mark(registration, clock):
    clock.set(2026, 12, 8, 10, 0)
    registration_roll_off(registration=registration, reason="quit", actor="tests")
    events = registration.events.count()

    with pytest.raises(ValidationError, match="rolled off \\(Quit\\)"):
        _mark(registration, D(2026, 12, 8))

    assert not CheckMark.objects.exists()
    assert registration.events.count() == events


def test_a_mark_for_a_day_to_come_or_an_unknown_reason_is_refused(registration, clock):
    clock.set(2026, 12, 8, 23, 59)  # the local's date, not UTC's (already the 9th)
    with pytest.raises(ValidationError) as future:
        _mark(registration, D(2026, 12, 9))
    assert "still to come" in str(future.value.message_dict["day"])
    with pytest.raises(ValidationError) as guessed:
        _mark(registration, D(2026, 12, 8), "was rude")
    assert "reason" in guessed.value.message_dict
    with pytest.raises(ValidationError) as before:
        _mark(registration, D(2026, 12, 6))  # registered on the 7th
    assert "made after" in str(before.value.message_dict["day"])
    assert _mark(registration, D(2026, 12, 8)).day == D(2026, 12, 8)  # the local's today
    assert CheckMark.objects.count() == 1


def test_an_exempt_registrant_on_the_list_may_be_marked_and_rolling_off_ends_the_exemption(
    registration, clock
):
    # Two marks already, as the vendor's list gave them.
    Registration.objects.filter(pk=registration.pk).update(check_marks=2)
    clock.set(2026, 12, 8, 10, 0)
    exemption = exemption_start(
        registration=registration,
        kind=ExemptionKind.MEDICAL,
        starts_on=D(2026, 12, 8),
        actor="tests",
    )
    _mark(registration, D(2026, 12, 7))
    registration.refresh_from_db()
    exemption.refresh_from_db()
    assert registration.status == RegistrationStatus.ROLLED_OFF
    assert exemption.ended_at is not None


def test_the_batch_of_a_day_run_twice_gives_the_same_marks(book, clock):
    clock.set(2026, 12, 7, 8, 0)
    passed_over = [
        registration_register(member=MemberFactory(), book=book, actor="tests") for _ in range(4)
    ]
    gone = passed_over[3]
    registration_roll_off(registration=gone, reason="withdrawn", actor="tests")
    clock.set(2026, 12, 9, 9, 0)
    _mark(passed_over[2], D(2026, 12, 7))
    _mark(passed_over[2], D(2026, 12, 8), NO_ANSWER)  # two: the batch's is its third
    _mark(passed_over[1], D(2026, 12, 8))

    def batch():
        return check_marks_give(
            registrations=reversed(passed_over),
            day=D(2026, 12, 9),
            reason=CheckMarkReason.UNFILLED_CALL,
            actor="tests",
        )

    first = batch()
    events = RegistrationEvent.objects.count()
    second = batch()

    assert [m.pk for m in second] == [m.pk for m in first]
    assert [m.registration_id for m in first] == [r.pk for r in passed_over[:3]]  # id order
    assert RegistrationEvent.objects.count() == events
    assert CheckMark.objects.filter(day=D(2026, 12, 9)).count() == 3
    counts = {r.pk: r.check_marks for r in Registration.objects.all()}
    assert [counts[r.pk] for r in passed_over] == [1, 2, 3, 0]
    # Its third rolled it off; the one rolled off before was passed by, unmarked.
    assert Registration.objects.get(pk=passed_over[2].pk).roll_off_reason == "check_marks"
    assert not CheckMark.objects.filter(registration=gone).exists()


def test_the_batch_refuses_a_day_to_come_writing_nothing(registration, clock):
    clock.set(2026, 12, 8, 9, 0)
    with pytest.raises(ValidationError):
        check_marks_give(
            registrations=[registration], day=D(2026, 12, 10), reason=REFUSED, actor="tests"
        )
    assert not CheckMark.objects.exists()


def test_each_mark_keeps_the_rule_version_of_its_day(book, registration, clock):
    clock.set(2026, 12, 9, 9, 0)
    v2 = rules_in_force(
        effective_on=D(2026, 12, 9), version=2, check_marks_excused=[NO_ANSWER.value]
    )
    v1 = RuleSet.objects.get(version=1)

    before = _mark(registration, D(2026, 12, 8), NO_ANSWER)  # under v1: counted
    after = _mark(registration, D(2026, 12, 9), NO_ANSWER)  # under v2: excused

    assert (before.rule_set, before.counted) == (v1, True)
    assert (after.rule_set, after.counted) == (v2, False)
    events = RegistrationEvent.objects.filter(kind=EventKind.CHECK_MARK).order_by("id")
    assert [e.rule_set for e in events] == [v1, v2]


def test_a_role_without_the_permission_cannot_give_a_mark(registration, clock, user_with_role):
    clock.set(2026, 12, 8, 9, 0)
    with pytest.raises(PermissionDenied):
        _mark_as(registration, user_with_role(roles.STAFF))
    mark = _mark_as(registration, dispatcher := user_with_role(roles.DISPATCHER))
    assert mark.recorded_by == dispatcher and mark.recorded_by_name == dispatcher.username


def _mark_as(registration, user):
    return registration_check_mark(
        registration=registration, day=D(2026, 12, 8), reason=REFUSED, actor=user
    )


def test_a_rule_set_excuses_only_known_reasons(rules):
    draft = RuleSet(version=2, effective_on=D(2027, 3, 1), check_marks_excused=["was rude"])
    with pytest.raises(ValidationError) as unknown:
        draft.full_clean()
    assert "Unknown check-mark reasons: was rude" in str(unknown.value)
    draft.check_marks_excused = [REFUSED.value, REFUSED.value]
    with pytest.raises(ValidationError, match="once"):
        draft.full_clean()
    draft.check_marks_excused = [REFUSED.value]
    draft.full_clean()


# --- On PostgreSQL: what must survive a race ---------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
def test_two_giving_the_same_mark_at_once_make_one_and_no_error(book, clock, race):
    clock.set(2026, 12, 8, 9, 0)
    registration = registration_register(member=MemberFactory(), book=book, actor="tests")

    results, errors = race(lambda: _mark(registration, D(2026, 12, 8)), times=4)

    assert errors == []
    assert len({mark.pk for mark in results}) == 1
    assert CheckMark.objects.count() == 1
    assert len(_marks_events(registration)) == 1
    assert Registration.objects.get(pk=registration.pk).check_marks == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
def test_two_batches_of_a_day_at_once_give_one_mark_each(book, clock, race):
    clock.set(2026, 12, 8, 9, 0)
    registrations = [
        registration_register(member=MemberFactory(), book=book, actor="tests") for _ in range(12)
    ]
    orders = iter([registrations, list(reversed(registrations))])
    pick = threading.Lock()

    def batch():
        with pick:
            given = next(orders)
        return check_marks_give(
            registrations=given, day=D(2026, 12, 8), reason=REFUSED, actor="tests"
        )

    results, errors = race(batch, times=2)

    assert errors == []  # no deadlock, no unique-constraint error
    assert [m.pk for m in results[0]] == [m.pk for m in results[1]]
    assert CheckMark.objects.count() == 12
    assert set(Registration.objects.values_list("check_marks", flat=True)) == {1}


# --- The admin ---------------------------------------------------------------------------


def _admin_url(name: str, *args) -> str:
    return reverse(f"admin:referral_registration_{name}", args=args)


def test_a_dispatcher_gives_a_check_mark_from_the_registrations_page(
    client, user_with_role, registration, clock
):
    clock.set(2026, 12, 8, 9, 0)
    dispatcher = user_with_role(roles.DISPATCHER)
    client.force_login(dispatcher)
    page = client.get(_admin_url("change", registration.pk)).content.decode()
    assert "Give a check mark" in page
    form = client.get(_admin_url("check_mark", registration.pk))
    assert form.status_code == 200
    assert "tolerate 2" in form.content.decode()

    response = client.post(
        _admin_url("check_mark", registration.pk),
        {"day": "2026-12-08", "reason": REFUSED, "note": "Turned down Acme"},
        follow=True,
    )

    mark = CheckMark.objects.get()
    assert (mark.day, mark.reason, mark.note) == (D(2026, 12, 8), REFUSED, "Turned down Acme")
    assert mark.recorded_by == dispatcher
    assert response.redirect_chain[-1][0] == _admin_url("change", registration.pk)
    assert "Check mark given for Dec 08, 2026 (Refused a referral)" in response.content.decode()
    registration.refresh_from_db()
    assert registration.check_marks == 1


@pytest.mark.parametrize(
    "data, message",
    [
        ({"day": "2026-12-08", "reason": ""}, "This field is required."),
        ({"day": "2026-12-09", "reason": REFUSED}, "still to come"),
        ({"day": "2026-12-08", "reason": "rude"}, "Select a valid choice."),
        ({"day": "someday", "reason": REFUSED}, "Enter a valid date."),
    ],
)
def test_bad_input_in_the_admin_is_a_form_message(
    client, user_with_role, registration, clock, data, message
):
    clock.set(2026, 12, 8, 9, 0)
    client.force_login(user_with_role(roles.DISPATCHER))
    response = client.post(_admin_url("check_mark", registration.pk), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not CheckMark.objects.exists()


def test_the_admin_says_a_day_already_marked_and_a_registration_rolled_off(
    client, user_with_role, registration, clock
):
    clock.set(2026, 12, 8, 9, 0)
    client.force_login(user_with_role(roles.DISPATCHER))
    url = _admin_url("check_mark", registration.pk)
    _mark(registration, D(2026, 12, 8))
    again = client.post(url, {"day": "2026-12-08", "reason": NO_ANSWER})
    assert again.status_code == 400
    assert "already has the check mark of Dec 08, 2026 (Refused a referral)" in (
        again.content.decode()
    )

    registration_roll_off(registration=registration, reason="quit", actor="tests")
    page = client.get(_admin_url("change", registration.pk)).content.decode()
    assert "Give a check mark" not in page
    off = client.post(url, {"day": "2026-12-07", "reason": REFUSED})
    assert off.status_code == 400
    assert "rolled off (Quit)" in off.content.decode()
    assert CheckMark.objects.count() == 1


def test_a_role_without_the_permission_is_refused_the_page(
    client, user_with_role, registration, clock
):
    clock.set(2026, 12, 8, 9, 0)
    client.force_login(user_with_role(roles.STAFF))
    url = _admin_url("check_mark", registration.pk)
    assert (
        "Give a check mark"
        not in client.get(_admin_url("change", registration.pk)).content.decode()
    )
    assert client.get(url).status_code == 403
    assert client.post(url, {"day": "2026-12-08", "reason": REFUSED}).status_code == 403
    assert not CheckMark.objects.exists()


def test_an_officer_ticks_the_excused_reasons_of_a_draft_rule_set(client, user_with_role, rules):
    draft = RuleSet.objects.create(
        version=2, effective_on=D(2027, 3, 1), notice_given_on=D(2026, 11, 2)
    )
    client.force_login(user_with_role(roles.OFFICER))
    url = reverse("admin:referral_ruleset_change", args=[draft.pk])
    page = client.get(url)
    data = {
        name: value
        for name, value in page.context["adminform"].form.initial.items()
        if value is not None and not isinstance(value, list)
    }
    data.update(
        check_marks_excused=[QUIT_SHORT_CALL, NO_ANSWER],
        effective_on="2027-03-01",
        notice_given_on="2026-11-02",
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    draft.refresh_from_db()
    assert draft.check_marks_excused == [NO_ANSWER, QUIT_SHORT_CALL]  # the codes' order
    # Activating says what it changes, by the reasons' names.
    activate = client.get(reverse("admin:referral_ruleset_activate", args=[draft.pk]))
    assert (
        "Check-mark reasons excused",
        "none",
        "Did not answer the hall's call, Quit a short call before it ended",
    ) in activate.context["changes"]


def test_the_members_history_shows_each_mark_with_its_day_and_reason(
    client, user_with_role, registration, clock
):
    clock.set(2026, 12, 8, 9, 0)
    _mark(registration, D(2026, 12, 7), NO_ANSWER)
    client.force_login(user_with_role(roles.DISPATCHER))
    page = client.get(reverse("referral:member_history", args=[registration.member_id]))
    html = page.content.decode()
    assert "Mon 2026-12-07" in html and "Did not answer the hall&#x27;s call" in html
    assert "<dt>Check marks (counted)</dt><dd>1</dd>" in html
