"""The morning referral run (referral/services/runs.py, referral/offers.py): offers go to
the first eligible registrants, book by book in the configured order and Book 1 before
lower tiers; every registrant passed over has a stored reason; the run keeps what it read,
its hash and rule version, and decides the same again from them (the replay); confirming
dispatches the offers and marks those passed over on an unfilled request, once."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts import roles
from members.models import MemberStatus
from members.tests.factories import ClassificationFactory, MemberFactory
from referral.models import (
    Blackout,
    CheckMark,
    CheckMarkReason,
    Dispatch,
    DispatchMethod,
    LaborRequestStatus,
    Qualification,
    ReferralRunStatus,
    Requirement,
    RuleSet,
)
from referral.offers import list_hash, offers_and_skips
from referral.services import (
    dispatch_make,
    exemption_start,
    referral_run_confirm,
    referral_run_propose,
)
from referral.services import runs as runs_service
from referral.tests.factories import BookFactory

pytestmark = pytest.mark.django_db

WEDNESDAY = datetime.date(2026, 12, 9)


def propose(clock, **kwargs):
    clock.set(2026, 12, 9, 7, 0)
    return referral_run_propose(actor="tests", **kwargs)


def decided(run):
    return [
        (line.registration_id, line.outcome, line.reason) for line in run.lines.order_by("order")
    ]


def exempt(registration):
    exemption_start(
        registration=registration,
        kind="medical",
        starts_on=datetime.date(2026, 12, 1),
        actor="tests",
    )


def test_offers_go_down_the_list_and_every_one_passed_over_has_a_reason(
    registered, requested, employer, clock
):
    on_list = [registered() for _ in range(7)]
    exempt(on_list[0])
    other_job = requested()  # an earlier request, filled in person before the run
    dispatch_make(
        labor_request=other_job,
        registration=on_list[1],
        method=DispatchMethod.IN_PERSON,
        actor="tests",
    )
    other_job.refresh_from_db()
    assert other_job.status == LaborRequestStatus.FILLED
    on_list[2].member.status = MemberStatus.SUSPENDED
    on_list[2].member.save()
    Blackout.objects.create(
        member=on_list[3].member,
        employer=employer,
        starts_on=datetime.date(2026, 12, 1),
        ends_on=datetime.date(2026, 12, 14),
        reason="Quit",
    )
    osha = Requirement.objects.get(code="OSHA-30")
    for registration in on_list[:4] + on_list[5:]:
        Qualification.objects.create(member=registration.member, requirement=osha)
    requested(positions=2, requirements=[osha])
    run = propose(clock)
    ids = [r.pk for r in on_list]
    assert decided(run) == [
        (ids[0], "skip", "exempt"),
        (ids[2], "skip", "out_of_standing"),
        (ids[3], "skip", "blacked_out"),
        (ids[4], "skip", "lacks_requirement"),
        (ids[5], "offer", ""),
        (ids[6], "offer", ""),
    ]
    # The registration dispatched in person is off the list: not read, not skipped.
    assert [line.position for line in run.lines.order_by("order")] == [1, 2, 3, 4, 5, 6]
    assert run.rule_set.version == run.consulted["rule_version"] == 1
    assert run.list_hash == list_hash(run.consulted)


def test_a_member_on_an_open_dispatch_from_another_book_is_skipped_as_already_dispatched(
    registered, requested, book, clock
):
    other_book = BookFactory(code="WIRE-S", classification=book.classification)
    first = registered()
    registered(on=other_book, member=first.member)
    dispatch_make(
        labor_request=requested(book=other_book),
        registration=first.member.registrations.get(book=other_book),
        method=DispatchMethod.IN_PERSON,
        actor="tests",
    )
    second = registered()
    requested()
    run = propose(clock)
    assert decided(run) == [(first.pk, "skip", "already_dispatched"), (second.pk, "offer", "")]


def test_the_rules_may_refer_members_out_of_good_standing(registered, requested, clock):
    registration = registered()
    registration.member.status = MemberStatus.SUSPENDED
    registration.member.save()
    RuleSet.objects.update(register_out_of_standing=True)
    requested()
    assert decided(propose(clock)) == [(registration.pk, "offer", "")]


def test_book_one_before_lower_tiers_and_books_in_their_order(registered, requested, book, clock):
    other_book = BookFactory(code="WIRE-S", classification=book.classification, referral_order=0)
    book.referral_order = 1
    book.save()
    # Registered first, but of another classification: the book's last tier (Book 2).
    outsider = registered(member=MemberFactory(classification=ClassificationFactory(code="X")))
    assert outsider.tier == 2
    both = registered()
    registered(on=other_book, member=both.member)
    book_one = registered()
    requested()  # on `book`, received first
    requested(book=other_book)
    run = propose(clock)
    lines = list(run.lines.order_by("order"))
    # The other book's request is decided first (its referral order), and takes `both`;
    # on `book`, Book 1 comes before the outsider registered earlier.
    assert (lines[0].book_id, lines[0].member_id, lines[0].outcome) == (
        other_book.pk,
        both.member_id,
        "offer",
    )
    assert [(line.registration_id, line.outcome, line.reason) for line in lines[1:]] == [
        (both.pk, "skip", "already_dispatched"),
        (book_one.pk, "offer", ""),
    ]


def test_a_by_name_request_is_offered_to_its_member_only(registered, requested, clock):
    registered()
    named = registered()
    requested(named_member=named.member, attestation="Not solicited: foreman asked")
    run = propose(clock)
    assert decided(run) == [(named.pk, "offer", "")]
    referral_run_confirm(run=run, actor="tests")
    assert Dispatch.objects.get().method == DispatchMethod.BY_NAME


def test_the_run_replays_from_what_it_stored_whatever_happens_after(registered, requested, clock):
    on_list = [registered() for _ in range(5)]
    exempt(on_list[1])
    requested(positions=2)
    run = propose(clock)
    stored = decided(run)
    referral_run_confirm(run=run, actor="tests")
    # Later: more registrants, a dispatch, a suspension. The stored run still decides alike.
    registered()
    on_list[4].member.status = MemberStatus.SUSPENDED
    on_list[4].member.save()
    run.refresh_from_db()
    replayed = offers_and_skips(run.consulted)
    assert [(x.registration, x.outcome, x.reason) for x in replayed] == stored
    assert list_hash(run.consulted) == run.list_hash


def test_confirming_dispatches_the_offers(registered, requested, clock):
    on_list = [registered() for _ in range(3)]
    labor_request = requested(positions=2)
    run = propose(clock)
    confirmed = referral_run_confirm(run=run, actor="tests")
    assert confirmed.status == ReferralRunStatus.CONFIRMED and confirmed.confirmed_by_name
    dispatched = Dispatch.objects.order_by("registration_id")
    assert [d.registration_id for d in dispatched] == [on_list[0].pk, on_list[1].pk]
    assert {d.method for d in dispatched} == {DispatchMethod.MORNING_REFERRAL}
    labor_request.refresh_from_db()
    assert labor_request.status == LaborRequestStatus.FILLED
    with pytest.raises(ValidationError, match="only a proposed run"):
        referral_run_confirm(run=run, actor="tests")
    assert Dispatch.objects.count() == 2


def test_an_unfilled_request_marks_those_passed_over_once(registered, requested, clock):
    on_list = [registered() for _ in range(4)]
    exempt(on_list[0])
    osha = Requirement.objects.get(code="OSHA-30")
    labor_request = requested(requirements=[osha])
    run = propose(clock)
    assert [reason for _, _, reason in decided(run)] == [
        "exempt",
        "lacks_requirement",
        "lacks_requirement",
        "lacks_requirement",
    ]
    referral_run_confirm(run=run, actor="tests")
    marks = list(CheckMark.objects.order_by("registration_id"))
    # The exempt were not there to take it: no mark.
    assert [m.registration_id for m in marks] == [r.pk for r in on_list[1:]]
    assert {m.reason for m in marks} == {CheckMarkReason.UNFILLED_CALL}
    assert {m.day for m in marks} == {WEDNESDAY}
    # Run again the same morning (the request still open): the same marks, none more.
    labor_request.refresh_from_db()
    assert labor_request.status == LaborRequestStatus.OPEN
    again = propose(clock)
    referral_run_confirm(run=again, actor="tests")
    assert list(CheckMark.objects.order_by("registration_id")) == list(marks)


def test_a_run_whose_lists_changed_is_refused_and_dispatches_no_one(registered, requested, clock):
    first = registered()
    requested()
    run = propose(clock)
    exempt(first)  # the list as read no longer stands
    with pytest.raises(ValidationError, match="propose it again"):
        referral_run_confirm(run=run, actor="tests")
    assert not Dispatch.objects.exists()
    run.refresh_from_db()
    assert run.status == ReferralRunStatus.PROPOSED


def test_a_new_proposal_supersedes_the_last(registered, requested, clock):
    registered()
    requested()
    first = propose(clock)
    second = propose(clock)
    first.refresh_from_db()
    assert first.status == ReferralRunStatus.SUPERSEDED
    with pytest.raises(ValidationError, match="superseded"):
        referral_run_confirm(run=first, actor="tests")
    referral_run_confirm(run=second, actor="tests")
    assert Dispatch.objects.count() == 1


def test_no_request_no_run(registered, clock):
    registered()
    with pytest.raises(ValidationError, match="No open request"):
        propose(clock)


def test_a_list_read_in_pieces_decides_as_the_whole_list(registered, requested, clock, monkeypatch):
    on_list = [registered() for _ in range(9)]
    osha = Requirement.objects.get(code="OSHA-30")
    for registration in on_list[7:]:
        Qualification.objects.create(member=registration.member, requirement=osha)
    requested(positions=2, requirements=[osha])
    whole = decided(propose(clock))
    monkeypatch.setattr(runs_service, "_FIRST_READ", 2)
    monkeypatch.setattr(runs_service, "_READ_MORE", 2)
    pieces = propose(clock)
    assert decided(pieces) == whole
    assert whole[-2:] == [(on_list[7].pk, "offer", ""), (on_list[8].pk, "offer", "")]
    # It read no further than the list's end needed: 2, 4, 8, then 16 (all nine).
    assert len(pieces.consulted["books"][0]["list"]) == 9


def test_only_a_dispatcher_runs_and_confirms(registered, requested, clock, user_with_role):
    registered()
    requested()
    clock.set(2026, 12, 9, 7, 0)
    with pytest.raises(PermissionDenied):
        referral_run_propose(actor=user_with_role(roles.STAFF))
    run = referral_run_propose(actor=user_with_role(roles.DISPATCHER))
    with pytest.raises(PermissionDenied):
        referral_run_confirm(run=run, actor=user_with_role(roles.STAFF))


def test_a_by_name_request_decided_on_the_list_read_reads_no_further(
    registered, requested, clock, monkeypatch
):
    on_list = [registered() for _ in range(6)]
    requested()  # takes the first
    requested(named_member=on_list[0].member, attestation="Not solicited")
    monkeypatch.setattr(runs_service, "_FIRST_READ", 2)
    run = propose(clock)
    assert decided(run) == [
        (on_list[0].pk, "offer", ""),
        (on_list[0].pk, "skip", "already_dispatched"),
    ]
    # The named member was on the two read: reading on could offer the request to no one.
    assert len(run.consulted["books"][0]["list"]) == 2


@pytest.mark.parametrize("leaves", [True, False])
def test_confirming_writes_what_dispatching_one_by_one_writes(
    registered, requested, book, clock, leaves
):
    from referral.models import EventKind, LaborRequest, Registration, RegistrationStatus

    RuleSet.objects.update(dispatch_leaves_other_books=leaves)
    other_book = BookFactory(code="WIRE-S", classification=book.classification)
    third_book = BookFactory(code="WIRE-E", classification=book.classification)
    first, second = registered(), registered()
    elsewhere = registered(on=other_book, member=first.member)
    exempt_elsewhere = registered(on=third_book, member=first.member)
    exempt(exempt_elsewhere)
    labor_request = requested(positions=3)
    run = propose(clock)
    referral_run_confirm(run=run, actor="tests")

    labor_request.refresh_from_db()
    assert (labor_request.filled, labor_request.status) == (2, LaborRequestStatus.PARTIALLY_FILLED)
    assert labor_request.history.count() == 2
    for registration in (first, second):
        registration.refresh_from_db()
        assert registration.status == RegistrationStatus.DISPATCHED
        event = registration.events.get(kind=EventKind.DISPATCHED)
        assert (event.reason, event.status, event.rule_set.version) == (
            DispatchMethod.MORNING_REFERRAL,
            RegistrationStatus.DISPATCHED,
            1,
        )
    made = Dispatch.objects.get(registration=first)
    assert made.report_by == clock.set(2026, 12, 9, 7, 0) and made.history.count() == 1
    left = {
        r.pk: r for r in Registration.objects.filter(pk__in=[elsewhere.pk, exempt_elsewhere.pk])
    }
    expected = RegistrationStatus.ROLLED_OFF if leaves else None
    for registration in left.values():
        if leaves:
            assert registration.status == expected and registration.roll_off_reason == "dispatched"
            assert registration.events.filter(kind=EventKind.ROLLED_OFF).count() == 1
        else:
            assert registration.status != RegistrationStatus.ROLLED_OFF
    assert LaborRequest.objects.get().filled == 2


def test_a_referral_is_run_on_its_morning_once_the_bids_are_in(registered, requested, clock):
    registered()
    requested()
    clock.set(2026, 12, 9, 6, 59, 59, 999000)
    with pytest.raises(ValidationError, match="taken until 07:00: run it after"):
        referral_run_propose(actor="tests")
    clock.set(2026, 12, 8, 18, 0)
    with pytest.raises(ValidationError) as refused:
        referral_run_propose(actor="tests", day=WEDNESDAY)
    assert "still to come" in refused.value.message_dict["day"][0]
    clock.set(2026, 12, 9, 7, 0)
    assert referral_run_propose(actor="tests").lines.count() == 1
