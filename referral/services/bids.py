"""Web bids (docs/design.md §11): placed inside the bidding window by the server's clock on
the local's wall clock (rules.bidding_open), each with the bidder's position then; decided
by the morning referral (referral.offers takes a request's bidders first, in list order);
a refusal after a successful bid counts as a quit, and the second within twelve months
suspends bidding for the rule set's days."""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from apikit.errors import ConflictError
from appkit.actors import Actor
from audit.actors import person, saved_by
from audit.context import actor_label_for
from audit.history import history_of_updated
from members.models import Member

from .. import rules
from ..models import (
    ON_LIST_STATUSES,
    OPEN_DISPATCH_STATUSES,
    Bid,
    BiddingSuspension,
    BidStatus,
    Dispatch,
    DispatchMethod,
    Holiday,
    LaborRequest,
    TerminationReason,
)
from ..selectors import idempotency_key_checked, registration_position
from .common import _idempotency_key_locked, _require, _rules_on
from .dispatching import _dispatch_end, _dispatch_locked, _member_registrations_locked

PLACE_FOR_OTHERS = "referral.add_bid"
REFUSAL = "referral.terminate_dispatch"


@transaction.atomic
def bid_place(
    *, member: Member, labor_request: LaborRequest, actor: Actor, idempotency_key: str | None = None
) -> Bid:
    """Place a member's bid on a request, now. Refused, with the reason and nothing
    written, outside the bidding window, on a request not open or not in this window's
    referral (or asked for by name), from a member not on its book's list, on an open
    dispatch or with bidding suspended, and a second time on the same request. A member
    bids for themself; the hall (add_bid) may place one for them. With an idempotency key,
    a retry gets back the first bid."""
    _bidder_checked(actor, member)
    if idempotency_key:
        idempotency_key_checked(idempotency_key)
        _idempotency_key_locked(idempotency_key)
        before = Bid.objects.filter(idempotency_key=idempotency_key).first()
        if before is not None:
            if (before.member_id, before.labor_request_id) != (member.pk, labor_request.pk):
                raise ConflictError(
                    "This idempotency key was already used for another bid; nothing was "
                    "written. Use a new key for a new bid."
                )
            return before
    now = timezone.now()
    local = timezone.localtime(now)
    rule_set = _rules_on(local.date())
    if not rules.bidding_open(local, rule_set.bidding_opens, rule_set.bidding_closes):
        raise ValidationError(
            f"Bids are taken from {rule_set.bidding_opens:%H:%M} to "
            f"{rule_set.bidding_closes:%H:%M} (the hall's time); it is {local:%H:%M:%S} now."
        )
    labor_request = (
        LaborRequest.objects.select_for_update(no_key=True, of=("self",))
        .select_related("book", "employer")
        .get(pk=labor_request.pk)
    )
    registrations = _member_registrations_locked(member.pk)
    _bid_refusal(labor_request, member, local, rule_set)
    registration = next(
        (
            r
            for r in registrations
            if r.book_id == labor_request.book_id and r.status in ON_LIST_STATUSES
        ),
        None,
    )
    if registration is None:
        raise ValidationError(
            {"labor_request": f"{member} is not on book {labor_request.book.code}'s list."}
        )
    placed = Bid.objects.filter(labor_request=labor_request, member=member).first()
    if placed is not None:
        raise ValidationError(
            {
                "labor_request": f"{member} bid on request #{labor_request.pk} already, at "
                f"{timezone.localtime(placed.placed_at):%H:%M:%S}."
            }
        )
    bid = Bid(
        labor_request=labor_request,
        member=member,
        registration=registration,
        placed_at=now,
        position=registration_position(registration),
        rule_set=rule_set,
        placed_by=person(actor),
        placed_by_name=actor_label_for(actor),
        idempotency_key=idempotency_key or None,
    )
    try:
        with transaction.atomic():
            saved_by(bid, actor=actor)
    except IntegrityError:  # the unique constraint, should the locks ever be bypassed
        raise ValidationError(
            {"labor_request": "This member bid on this request already."}
        ) from None
    return bid


def _bidder_checked(actor: Actor, member: Member) -> None:
    """A member bids for themself; anyone else needs the hall's permission."""
    who = person(actor)
    if who is None or getattr(member, "user_id", None) == who.pk:
        return
    if not who.has_perm(PLACE_FOR_OTHERS):
        raise PermissionDenied("You may bid for yourself only.")


def _bid_refusal(labor_request: LaborRequest, member: Member, local, rule_set) -> None:
    if not labor_request.is_open:
        raise ValidationError(
            {
                "labor_request": f"Request #{labor_request.pk} is "
                f"{labor_request.get_status_display().lower()}: it takes no bids."
            }
        )
    if labor_request.by_name:
        raise ValidationError(
            {"labor_request": "This request asks for a member by name: it takes no bids."}
        )
    serves = bids_serve(labor_request.book.region_id, local, rule_set)
    if labor_request.referral_day != serves:
        raise ValidationError(
            {
                "labor_request": f"Request #{labor_request.pk} goes to the referral of "
                f"{labor_request.referral_day:%a %b %d}; tonight's bids are for "
                f"{serves:%a %b %d}."
            }
        )
    suspended = suspension_of(member, local.date())
    if suspended is not None:
        raise ValidationError(
            f"{member}'s bidding is suspended until {suspended.ends_on:%b %d, %Y} "
            f"({suspended.reason})."
        )
    if Dispatch.objects.filter(member=member, status__in=OPEN_DISPATCH_STATUSES).exists():
        raise ValidationError(f"{member} is on a dispatch: bids are for those out of work.")


def bids_serve(region_id: int, local: datetime.datetime, rule_set) -> datetime.date:
    """The referral day the bids placed at `local` (the local's wall clock) are for, in a
    region: the morning the window closes on, past its weekends and holidays."""
    holidays = set(
        Holiday.objects.filter(
            region_id=region_id,
            day__gte=local.date(),
            day__lte=local.date() + datetime.timedelta(days=31),
        ).values_list("day", flat=True)
    )
    return rules.bidding_referral_day(local, rule_set.bidding_closes, holidays)


def suspension_of(member, day: datetime.date) -> BiddingSuspension | None:
    """The suspension of a member's bidding on a day, if any (the one ending last)."""
    return (
        BiddingSuspension.objects.filter(member=member, starts_on__lte=day, ends_on__gte=day)
        .order_by("-ends_on")
        .first()
    )


@transaction.atomic
def bid_refuse(*, bid: Bid, actor: Actor, note: str = "") -> Bid:
    """Record that a member refused the dispatch their successful bid won: it counts as a
    quit (dispatch_terminate: off every book, the employer's blackout), and a second
    refusal within twelve months suspends their bidding for the rule set's days."""
    _require(actor, REFUSAL, "record a refusal after a bid")
    bid = Bid.objects.select_related("labor_request").get(pk=bid.pk)
    dispatch = Dispatch.objects.filter(
        member_id=bid.member_id,
        labor_request_id=bid.labor_request_id,
        method=DispatchMethod.BID,
        status__in=OPEN_DISPATCH_STATUSES,
    ).first()
    if bid.status != BidStatus.SELECTED or dispatch is None:
        raise ValidationError(
            "Only a selected bid whose dispatch is still open can be refused "
            f"(this one is {bid.get_status_display().lower()})."
        )
    today = timezone.localdate()
    # Every lock before the first write: the member's registrations, the dispatch, the bid.
    _member_registrations_locked(bid.member_id)
    _dispatch_locked(dispatch)
    bid = Bid.objects.select_for_update(no_key=True).get(pk=bid.pk)
    _dispatch_end(
        dispatch,
        reason=TerminationReason.REFUSED_AFTER_BID,
        on=today,
        actor=actor,
        note=note or f"Refused after bid #{bid.pk}",
    )
    bid.status = BidStatus.REFUSED
    bid.decided_at = timezone.now()
    saved_by(bid, actor=actor)
    rule_set = _rules_on(today)
    # Within twelve months: since the same day a year ago began, on the local's clock.
    since = timezone.make_aware(
        datetime.datetime.combine(rules.a_year_before(today), datetime.time()),
        timezone.get_default_timezone(),
    )
    refusals = Bid.objects.filter(
        member_id=bid.member_id, status=BidStatus.REFUSED, decided_at__gte=since
    ).count()
    if refusals >= 2 and suspension_of(bid.member, today) is None:
        saved_by(
            BiddingSuspension(
                member_id=bid.member_id,
                starts_on=today,
                ends_on=today + datetime.timedelta(days=rule_set.bid_refusal_suspension_days),
                reason=f"Second refusal after a bid within 12 months (bid #{bid.pk})",
                rule_set=rule_set,
            ),
            actor=actor,
        )
    return bid


def bids_decide(selected: dict[int, set[int]], *, actor: Actor) -> None:
    """Mark the bids placed on a confirmed run's requests ({request id: the members offered
    it}) selected, where their member was offered the request, or not selected: one
    statement each, with the rows' history."""
    now = timezone.now()
    pending = Bid.objects.filter(labor_request_id__in=selected, status=BidStatus.PLACED)
    chosen, passed = [], []
    for pk, request_id, member_id in pending.values_list("pk", "labor_request_id", "member_id"):
        (chosen if member_id in selected[request_id] else passed).append(pk)
    for ids, status in ((chosen, BidStatus.SELECTED), (passed, BidStatus.NOT_SELECTED)):
        if ids:
            Bid.objects.filter(pk__in=ids).update(status=status, decided_at=now)
            history_of_updated(Bid, ids, actor=actor)
