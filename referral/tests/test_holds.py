"""The morning referral's hold (docs/design.md §11): while the first book's referral runs,
new registrations queue, and its release draws them in arrival order. One referral at a
time: a second is told who started the first and when, on PostgreSQL too when both start at
once; a release with none open is refused; a queued registration that can no longer be made
keeps its reason and the rest are drawn; the hold and its queue are in the audit trail; a
dispatcher holds and releases the books from the registrations' list in the admin."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts import roles
from audit.models import AuditEvent
from members.models import Member, MemberStatus
from members.tests.factories import MemberFactory
from referral.models import QueuedRegistration, Registration, RegistrationHold
from referral.selectors import book_list
from referral.services import (
    registration_register,
    registrations_hold,
    registrations_hold_release,
)

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:referral_registration_changelist")
HOLD = reverse("admin:referral_registration_hold")
RELEASE = reverse("admin:referral_registration_hold_release")


@pytest.fixture
def dispatcher(user_with_role):
    return user_with_role(roles.DISPATCHER, username="dana")


# --- One referral at a time ---------------------------------------------------------------


def test_a_second_morning_referral_is_told_who_started_the_first_and_when(
    book, clock, dispatcher, user_with_role
):
    clock.set(2026, 12, 7, 6, 55)
    first = registrations_hold(reason="Morning referral of WIRE-N", actor=dispatcher)
    clock.set(2026, 12, 7, 7, 2)
    with pytest.raises(ValidationError) as refused:
        registrations_hold(
            reason="Morning referral", actor=user_with_role(roles.DISPATCHER, username="lee")
        )
    assert refused.value.messages == [
        "The morning referral is already running: started by dana at 06:55 on Dec 07, 2026 "
        "(Morning referral of WIRE-N). New registrations queue until it is released."
    ]
    assert list(RegistrationHold.objects.values_list("pk", "is_open")) == [(first.pk, True)]
    # The same from a named system actor (as the morning run will be).
    with pytest.raises(ValidationError, match="already running: started by dana"):
        registrations_hold(reason="Morning referral", actor="referral-run")


def test_a_hold_needs_a_reason(book, dispatcher):
    with pytest.raises(ValidationError) as refused:
        registrations_hold(reason="  ", actor=dispatcher)
    assert refused.value.message_dict == {
        "reason": ["Say what holds the books (the morning referral)."]
    }
    assert not RegistrationHold.objects.exists()


def test_a_release_with_no_hold_open_is_refused_and_changes_nothing(book, clock, dispatcher):
    with pytest.raises(ValidationError) as refused:
        registrations_hold_release(actor=dispatcher)
    assert refused.value.messages == ["The books are not held: there is nothing to release."]

    clock.set(2026, 12, 7, 6, 55)
    registrations_hold(reason="Morning referral", actor=dispatcher)
    clock.set(2026, 12, 7, 7, 40)
    assert registrations_hold_release(actor=dispatcher) == []
    ended = list(RegistrationHold.objects.values_list("ended_at", "ended_by_name"))
    with pytest.raises(ValidationError) as again:
        registrations_hold_release(actor="referral-run")
    assert again.value.messages == [
        "The books are not held: there is nothing to release (the last hold was released by "
        "dana at 07:40 on Dec 07, 2026, and its queue applied then)."
    ]
    assert list(RegistrationHold.objects.values_list("ended_at", "ended_by_name")) == ended
    # Released, the books take the next morning's hold.
    assert registrations_hold(reason="Morning referral", actor=dispatcher).is_open


# --- The queue, applied -------------------------------------------------------------------


def test_a_queued_registration_refused_when_applied_keeps_its_reason_and_the_rest_are_drawn(
    book, clock
):
    clock.set(2026, 12, 7, 8, 30)
    registrations_hold(reason="Morning referral", actor="tests")
    twice = MemberFactory(classification=book.classification)
    lapsed = MemberFactory(classification=book.classification, first_name="Sue", last_name="Pend")
    last = MemberFactory(classification=book.classification)
    asked = []
    for member in (twice, lapsed, last):
        clock.advance(seconds=30)
        asked.append(registration_register(member=member, book=book, actor="tests"))
        if member == twice:  # asked again while it waits: told it already is
            with pytest.raises(ValidationError, match="already waiting to be registered"):
                registration_register(member=member, book=book, actor="tests")
    # While it waits, one member falls out of good standing.
    Member.objects.filter(pk=lapsed.pk).update(status=MemberStatus.SUSPENDED)

    clock.advance(minutes=5)
    applied = registrations_hold_release(actor="tests")

    assert [a.pk for a in applied] == [a.pk for a in asked]
    kept = [(q.registration_id is not None, q.refused) for q in QueuedRegistration.objects.all()]
    assert kept == [
        (True, ""),
        (
            False,
            f"Sue Pend ({lapsed.member_number}) is suspended: the referral rules (v1) register "
            "only members in good standing.",
        ),
        (True, ""),
    ]
    listed = list(book_list(book))
    assert [r.member for r in listed] == [twice, last]  # in arrival order
    assert listed[0].apn < listed[1].apn
    assert Registration.objects.count() == 2


def test_the_hold_and_its_queue_are_in_the_audit_trail_with_who_did_each(
    book, clock, dispatcher, user_with_role
):
    staff = user_with_role(roles.STAFF, username="sam")
    clock.set(2026, 12, 7, 6, 55)
    hold = registrations_hold(reason="Morning referral", actor=dispatcher)
    queued = registration_register(member=MemberFactory(), book=book, actor=staff)
    clock.set(2026, 12, 7, 7, 40)
    registrations_hold_release(actor=dispatcher)

    hold.refresh_from_db()
    assert (hold.started_by, hold.ended_by, hold.ended_by_name, hold.is_open) == (
        dispatcher,
        dispatcher,
        "dana",
        False,
    )
    assert queued.hold == hold
    trail = AuditEvent.objects.filter(
        model_label__in=["referral.registrationhold", "referral.queuedregistration"]
    ).order_by("seq")
    assert list(trail.values_list("model_label", "action", "actor_label", "member_id")) == [
        ("referral.registrationhold", "create", "dana", None),
        ("referral.queuedregistration", "create", "sam", queued.member_id),
        ("referral.registrationhold", "update", "dana", None),
        ("referral.queuedregistration", "update", "dana", queued.member_id),
    ]
    # The registration drawn from the queue is its asker's.
    drawn = QueuedRegistration.objects.get().registration
    assert drawn.events.get().recorded_by == staff


# --- Two referrals starting at once (PostgreSQL) ------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_referrals_starting_at_once_open_one_hold_and_the_other_is_told(book, race):
    results, errors = race(
        lambda: registrations_hold(reason="Morning referral", actor="referral-run"), times=4
    )
    assert len(results) == 1
    assert [type(e) for e in errors] == [ValidationError] * 3
    assert all("already running: started by referral-run" in e.messages[0] for e in errors)
    assert RegistrationHold.objects.get().pk == results[0].pk


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_registrations_racing_the_release_are_each_drawn_once(book, race):
    registrations_hold(reason="Morning referral", actor="tests")
    queued = [
        registration_register(member=MemberFactory(), book=book, actor="tests") for _ in range(5)
    ]
    late = [MemberFactory() for _ in range(5)]
    turns = iter(["release", *late])

    def release_or_register():
        turn = next(turns)
        if turn == "release":
            return registrations_hold_release(actor="tests")
        return registration_register(member=turn, book=book, actor="tests")

    _, errors = race(release_or_register, times=6)
    assert errors == []
    # Every one asked for is on the book once, the queue first in the order it arrived: a
    # registration asked for as the release runs is queued before it (and drawn by it) or
    # waits for it and is drawn after; none is left in the queue.
    listed = [r.member_id for r in book_list(book)]
    assert sorted(listed) == sorted([q.member_id for q in queued] + [m.pk for m in late])
    assert listed[: len(queued)] == [q.member_id for q in queued]
    assert not QueuedRegistration.objects.filter(registration__isnull=True).exists()


# --- In the admin -------------------------------------------------------------------------


def test_a_dispatcher_holds_the_books_from_the_registrations_list(client, book, clock, dispatcher):
    clock.set(2026, 12, 7, 6, 55)
    client.force_login(dispatcher)
    page = client.get(CHANGELIST).content.decode()
    assert "Start the morning referral hold…" in page
    assert "The morning referral holds the books" not in page

    form = client.get(HOLD)
    assert form.status_code == 200
    assert 'value="Hold the books"' in form.content.decode()
    done = client.post(HOLD, {"reason": "Morning referral of WIRE-N"}, follow=True)
    assert "The books are held" in done.content.decode()
    hold = RegistrationHold.objects.get(is_open=True)
    assert (hold.started_by, hold.reason) == (dispatcher, "Morning referral of WIRE-N")

    registration_register(member=MemberFactory(), book=book, actor="tests")
    page = client.get(CHANGELIST).content.decode()
    assert "The morning referral holds the books" in page
    assert "Started by <strong>dana</strong> at <strong>06:55</strong> on Dec 7, 2026" in page
    assert "<strong>1</strong> registration queued" in page
    assert "Release the books…" in page
    assert "Start the morning referral hold…" not in page

    # A second start (another tab, another dispatcher) is told who holds them.
    again = client.post(HOLD, {"reason": "Morning referral"}, follow=True).content.decode()
    assert "already running: started by dana at 06:55" in again
    assert RegistrationHold.objects.count() == 1


def test_the_release_shows_its_queue_first_then_draws_it(client, book, clock, dispatcher):
    clock.set(2026, 12, 7, 6, 55)
    registrations_hold(reason="Morning referral", actor=dispatcher)
    ana = MemberFactory(first_name="Ana", last_name="Nunez", classification=book.classification)
    bo = MemberFactory(first_name="Bo", last_name="Lee", classification=book.classification)
    cy = MemberFactory(first_name="Cy", last_name="Ray", classification=book.classification)
    for member in (ana, bo, cy):
        clock.advance(seconds=40)
        registration_register(member=member, book=book, actor="tests")
    Member.objects.filter(pk=cy.pk).update(status=MemberStatus.SUSPENDED)  # while it waits
    client.force_login(dispatcher)

    confirm = client.get(RELEASE).content.decode()
    assert "draw the <strong>3</strong> registrations queued meanwhile" in confirm
    assert confirm.index(str(ana)) < confirm.index(str(bo))
    assert 'value="Release the books and draw 3 queued registrations"' in confirm
    assert RegistrationHold.objects.get().is_open  # a GET changes nothing

    done = client.post(RELEASE, follow=True).content.decode()
    assert "The books are released: 2 queued registrations drawn, 1 refused." in done
    assert f"Not registered: Cy Ray ({cy.member_number}) on WIRE-N: Cy Ray" in done
    assert [r.member for r in book_list(book)] == [ana, bo]
    assert not RegistrationHold.objects.filter(is_open=True).exists()

    # A second click finds nothing to release, and says so.
    twice = client.post(RELEASE, follow=True).content.decode()
    assert "The books are not held: there is nothing to release (the last hold was" in twice
    assert Registration.objects.count() == 2
    assert client.get(RELEASE, follow=True).redirect_chain[-1][0] == CHANGELIST


def test_staff_see_the_hold_but_neither_start_nor_release_it(
    client, book, clock, user_with_role, dispatcher
):
    clock.set(2026, 12, 7, 6, 55)
    registrations_hold(reason="Morning referral", actor=dispatcher)
    client.force_login(user_with_role(roles.STAFF))
    page = client.get(CHANGELIST).content.decode()
    assert "The morning referral holds the books" in page
    assert "Release the books…" not in page
    for url in (HOLD, RELEASE):
        assert client.get(url).status_code == 403
        assert client.post(url, {"reason": "x"}).status_code == 403
    assert RegistrationHold.objects.get().is_open
