"""The morning referral run (docs/design.md §11): proposed from the books' lists as they
stand (what it read kept whole, with its hash and the rule version), then confirmed by a
dispatcher: its offers dispatched, and every registrant passed over on a request left
unfilled given the day's check mark, in one transaction."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from appkit.actors import Actor
from appkit.sql import Among, bulk_insert_rows
from audit.actors import person, saved_by
from audit.context import actor_label_for
from jobs.progress import Progress
from members.models import Member

from .. import rules
from ..models import (
    ACTIVE_STATUSES,
    OPEN_DISPATCH_STATUSES,
    OPEN_REQUEST_STATUSES,
    Bid,
    BiddingSuspension,
    BidStatus,
    Blackout,
    Book,
    CheckMarkReason,
    Dispatch,
    DispatchMethod,
    LaborRequest,
    ReferralLine,
    ReferralRun,
    ReferralRunStatus,
    Registration,
    RuleSet,
    SkipReason,
)
from ..offers import OFFER, list_hash, offers_and_skips
from ..selectors import LIST_ORDER, ON_LIST_STATUSES, qualifications_held
from .bids import bids_decide
from .common import _require, _rules_on
from .dispatching_together import dispatches_make_together
from .marks import check_marks_give

PROPOSE = "referral.add_referralrun"
CONFIRM = "referral.confirm_referralrun"

# The list read first from each book, and how much more each time a request is left
# unfilled before its end: a morning reads the top of each list, not all of it.
_FIRST_READ = 100
_READ_MORE = 4
# Registrants passed over for these were not there to take the call (or a bidder took it):
# no check mark.
_NOT_MARKED = (SkipReason.EXEMPT, SkipReason.ALREADY_DISPATCHED, SkipReason.DID_NOT_BID)


@transaction.atomic
def referral_run_propose(*, actor: Actor, day: datetime.date | None = None) -> ReferralRun:
    """Work out the referral of `day` (today, the local's date, unless given): every open
    request whose referral day has come, book by book in the configured order. Nothing is
    dispatched until it is confirmed; an earlier proposal of the day is superseded."""
    _require(actor, PROPOSE, "run the morning referral")
    now = timezone.localtime()
    day = day or now.date()
    rule_set = _rules_on(day)
    _too_early(day, now, rule_set)
    consulted = _consulted(day, rule_set)
    if not consulted["requests"]:
        raise ValidationError(f"No open request waits for the referral of {day:%a %b %d, %Y}.")
    lines = offers_and_skips(consulted)
    # Every lock before the first write (the audit trail's chain head is the last lock a
    # transaction takes), in the hall's order: requests, registrations, then the runs.
    _hall_rows_locked(
        [request["id"] for request in consulted["requests"]],
        Registration.objects.filter(Among(F("pk"), {line.registration for line in lines})),
    )
    earlier_runs = list(
        ReferralRun.objects.select_for_update(no_key=True).filter(
            day=day, status=ReferralRunStatus.PROPOSED
        )
    )
    for earlier in earlier_runs:
        earlier.status = ReferralRunStatus.SUPERSEDED
        saved_by(earlier, actor=actor)
    run = ReferralRun(
        day=day,
        rule_set=rule_set,
        consulted=consulted,
        list_hash=list_hash(consulted),
        proposed_at=timezone.now(),
        proposed_by=person(actor),
        proposed_by_name=actor_label_for(actor),
    )
    saved_by(run, actor=actor)
    bulk_insert_rows(
        ReferralLine, _LINE_FIELDS, [_line_row(run, *pair) for pair in enumerate(lines)]
    )
    return run


@transaction.atomic
def referral_run_confirm(
    *, run: ReferralRun, actor: Actor, progress: Progress | None = None
) -> ReferralRun:
    """Dispatch a proposed run's offers and mark every registrant passed over on a request
    it left unfilled (but the exempt and the already dispatched), as it was proposed.
    Refused when the lists, the requests or the facts it read have changed since: propose
    it again. Locks, before it writes, the run's requests in id order, then every
    registration of the members it dispatches or marks in id order, then the run."""
    _require(actor, CONFIRM, "confirm the morning referral")
    lines = list(run.lines.order_by("order"))
    _requests_of(lines)
    offers = [line for line in lines if line.outcome == OFFER]
    marked = _passed_over_unfilled(lines)
    _registrations_of([*offers, *marked])
    members = {line.member_id for line in offers} | {line.member_id for line in marked}
    request_ids = [request["id"] for request in run.consulted["requests"]]
    _hall_rows_locked(
        request_ids,
        Registration.objects.filter(Among(F("member_id"), members), status__in=ACTIVE_STATUSES),
    )
    # Then the requests' bids (decided below) and the run itself, all before the first write.
    list(
        Bid.objects.select_for_update(no_key=True)
        .filter(Among(F("labor_request_id"), request_ids), status=BidStatus.PLACED)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    # What it consulted is in hand, and stays as proposed: not read (200 KiB) nor written again.
    consulted = run.consulted
    run = ReferralRun.objects.select_for_update(no_key=True).defer("consulted").get(pk=run.pk)
    run.consulted = consulted
    if run.status != ReferralRunStatus.PROPOSED:
        raise ValidationError(
            f"This run is {run.get_status_display().lower()}: only a proposed run is confirmed."
        )
    if list_hash(_consulted(run.day, run.rule_set)) != run.list_hash:
        raise ValidationError(
            "The lists, the requests or a registrant's standing changed since this run was "
            f"proposed ({timezone.localtime(run.proposed_at):%H:%M}): propose it again."
        )
    bidders = {request["id"]: set(request["bidders"]) for request in run.consulted["requests"]}
    progress = progress or Progress()
    progress.step("Dispatching the offers", total=len(offers))
    dispatches_make_together(
        [
            (
                line.labor_request,
                line.registration,
                _method_of(line, bidders[line.labor_request_id]),
            )
            for line in offers
        ],
        note=f"Morning referral of {run.day:%Y-%m-%d} (run #{run.pk})",
        rule_set=_rules_on(timezone.localdate()),
        actor=actor,
        now=timezone.now(),
    )
    progress.advance(len(offers))
    if marked:
        check_marks_give(
            registrations=[line.registration for line in marked],
            day=run.day,
            reason=CheckMarkReason.UNFILLED_CALL,
            actor=actor,
            note=f"Run #{run.pk}",
        )
    bids_decide(
        {
            request_id: {line.member_id for line in offers if line.labor_request_id == request_id}
            for request_id, bid_by in bidders.items()
            if bid_by
        },
        actor=actor,
    )
    run.status = ReferralRunStatus.CONFIRMED
    run.confirmed_at = timezone.now()
    run.confirmed_by_name = actor_label_for(actor)
    saved_by(run, actor=actor, update_fields=["status", "confirmed_at", "confirmed_by_name"])
    return run


_LINE_FIELDS = (
    *("run", "labor_request", "registration", "member", "book"),
    *("outcome", "reason", "position", "order"),
)


def _line_row(run: ReferralRun, index: int, line) -> tuple:
    """A decided line as the row `_LINE_FIELDS` name, in the order decided (from 1)."""
    return (
        *(run.pk, line.request, line.registration, line.member, line.book),
        *(line.outcome, line.reason, line.position, index + 1),
    )


def _requests_of(lines: list[ReferralLine]) -> None:
    """Each line's request, read once for all (a run's thousand lines name a hundred)."""
    requests = LaborRequest.objects.in_bulk({line.labor_request_id for line in lines})
    for line in lines:
        line.labor_request = requests[line.labor_request_id]


def _registrations_of(lines: list[ReferralLine]) -> None:
    """The registrations of the lines the confirmation acts on, read once for all."""
    registrations = Registration.objects.in_bulk([line.registration_id for line in lines])
    for line in lines:
        line.registration = registrations[line.registration_id]


def _method_of(line: ReferralLine, bidders: set[int]) -> str:
    if line.labor_request.by_name:
        return DispatchMethod.BY_NAME
    if line.member_id in bidders:
        return DispatchMethod.BID
    return DispatchMethod.MORNING_REFERRAL


def _hall_rows_locked(request_ids, registrations) -> None:
    """Lock requests, then registrations, each in id order: the hall's lock order."""
    list(
        LaborRequest.objects.select_for_update(no_key=True)
        .filter(pk__in=request_ids)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    list(registrations.select_for_update(no_key=True).order_by("pk").values_list("pk", flat=True))


def _too_early(day: datetime.date, now: datetime.datetime, rule_set: RuleSet) -> None:
    """A referral is run on its morning, once its bids are in: bids for it are taken until
    the window closes (07:00), and the selection comes after the window."""
    if day > now.date():
        raise ValidationError(
            {"day": f"The referral of {day:%a %b %d, %Y} is still to come: run it that morning."}
        )
    if day == now.date() and now.time() < rule_set.bidding_closes:
        raise ValidationError(
            f"Bids for this morning's referral are taken until "
            f"{rule_set.bidding_closes:%H:%M}: run it after."
        )


def _passed_over_unfilled(lines: list[ReferralLine]) -> list[ReferralLine]:
    """The skips of the requests a run leaves with positions unfilled (those available to
    take the call: not the exempt, not the already dispatched)."""
    offered: dict[int, int] = {}
    for line in lines:
        if line.outcome == OFFER:
            offered[line.labor_request_id] = offered.get(line.labor_request_id, 0) + 1
    return [
        line
        for line in lines
        if line.outcome != OFFER
        and line.reason not in _NOT_MARKED
        and offered.get(line.labor_request_id, 0)
        < line.labor_request.positions - line.labor_request.filled
    ]


def _consulted(day: datetime.date, rule_set: RuleSet) -> dict:
    """What a run of `day` reads (the shape referral.offers describes): each list's top,
    read further while a request is left unfilled before its end."""
    requests = list(
        LaborRequest.objects.filter(
            status__in=OPEN_REQUEST_STATUSES, referral_day__lte=day
        ).order_by("received_at", "pk")
    )
    # In one query: a prefetch builds a queryset per request, a millisecond each.
    requirements: dict[int, list[str]] = {}
    for request_id, code in (
        LaborRequest.requirements.through.objects.filter(
            Among(F("laborrequest_id"), [r.pk for r in requests])
        )
        .order_by("requirement__code")
        .values_list("laborrequest_id", "requirement__code")
    ):
        requirements.setdefault(request_id, []).append(code)
    bidders: dict[int, set[int]] = {}
    for request_id, member_id in Bid.objects.filter(
        labor_request__in=requests, status=BidStatus.PLACED
    ).values_list("labor_request_id", "member_id"):
        bidders.setdefault(request_id, set()).add(member_id)
    books = list(
        Book.objects.filter(pk__in={r.book_id for r in requests}).order_by("referral_order", "code")
    )
    consulted = {
        "day": day.isoformat(),
        "rule_version": rule_set.version,
        "out_of_standing_referred": rule_set.register_out_of_standing,
        "books": [{"id": book.pk, "code": book.code, "list": []} for book in books],
        "requests": [
            {
                "id": r.pk,
                "book": r.book_id,
                "positions": r.positions - r.filled,
                "employer": r.employer_id,
                "requirements": requirements.get(r.pk, []),
                "named_member": r.named_member_id,
                "bidders": sorted(bidders.get(r.pk, ())),
            }
            for r in requests
        ],
        "members": {},
    }
    reading = {book["id"]: _FIRST_READ for book in consulted["books"]}
    while reading:
        tops = _list_tops(reading)
        for book in consulted["books"]:
            if book["id"] in reading:
                book["list"] = tops[book["id"]]
        _facts_add(consulted, day)
        reading = _read_further(consulted, reading)
    return consulted


def _list_tops(reading: dict[int, int]) -> dict[int, list[dict]]:
    """The first `count` of each book's list ({book id: count}), in list order: on
    PostgreSQL one query (each book's top through its index, then put together)."""
    tops = [
        Registration.objects.filter(book_id=book_id, status__in=ON_LIST_STATUSES)
        .order_by(*LIST_ORDER)
        .values_list("book_id", *LIST_ORDER, "pk", "member_id", "status")[:count]
        for book_id, count in reading.items()
    ]
    if len(tops) > 1 and connection.features.supports_slicing_ordering_in_compound:
        rows = tops[0].union(*tops[1:], all=True).order_by("book_id", *LIST_ORDER)
    else:
        rows = [row for top in tops for row in top]
    listed: dict[int, list[dict]] = {book_id: [] for book_id in reading}
    for book_id, _tier, _apn, _sequence, pk, member, status in rows:
        listed[book_id].append({"registration": pk, "member": member, "status": status})
    return listed


def _read_further(consulted: dict, reading: dict[int, int]) -> dict[int, int]:
    """The books whose list was read to its last row read with a request still unfilled:
    each to be read further."""
    lines = offers_and_skips(consulted)
    offered: dict[int, int] = {}
    for line in lines:
        if line.outcome == OFFER:
            offered[line.request] = offered.get(line.request, 0) + 1
    further = {}
    for request in consulted["requests"]:
        book = request["book"]
        if book in reading and offered.get(request["id"], 0) < request["positions"]:
            listed = next(b for b in consulted["books"] if b["id"] == book)["list"]
            named = request["named_member"]
            if named is not None and any(entry["member"] == named for entry in listed):
                continue  # decided already: read further, it would find no one else
            if len(listed) == reading[book]:
                further[book] = reading[book] * _READ_MORE
    return further


def _facts_add(consulted: dict, day: datetime.date) -> None:
    """The facts the run decides on, of every member on the lists read and not yet known."""
    members = consulted["members"]
    ids = sorted(
        {
            entry["member"]
            for book in consulted["books"]
            for entry in book["list"]
            if str(entry["member"]) not in members
        }
    )
    if not ids:
        return
    # Standing as dues make it; whether it keeps one off a call is the rules' to say.
    out = {
        pk
        for pk, status in Member.objects.filter(Among(F("pk"), ids)).values_list("pk", "status")
        if rules.status_refused(status, False)
    }
    dispatched = set(
        Dispatch.objects.filter(
            Among(F("member_id"), ids), status__in=OPEN_DISPATCH_STATUSES
        ).values_list("member_id", flat=True)
    )
    blackouts: dict[int, set[int]] = {}
    for member_id, employer_id in Blackout.objects.filter(
        Among(F("member_id"), ids), starts_on__lte=day, ends_on__gte=day
    ).values_list("member_id", "employer_id"):
        blackouts.setdefault(member_id, set()).add(employer_id)
    held = qualifications_held(ids, day)
    suspended = set(
        BiddingSuspension.objects.filter(
            Among(F("member_id"), ids), starts_on__lte=day, ends_on__gte=day
        ).values_list("member_id", flat=True)
    )
    for member_id in ids:
        members[str(member_id)] = {
            "standing": member_id not in out,
            "dispatched": member_id in dispatched,
            "bidding_suspended": member_id in suspended,
            "qualifications": held.get(member_id, []),
            "blacked_out_from": sorted(blackouts.get(member_id, ())),
        }
