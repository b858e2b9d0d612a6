"""Labor requests (docs/design.md §11): received from an employer (by a dispatcher, or an
employer's system through the API), cancelled, expired when their referral day has passed
unfilled. The rules in force when a request is received decide its referral day (the
cutoff) and are kept with it. Dispatch fills them (dispatching.py): `_filled_by` and
`_position_freed` (a no-show's) are the only ways a request's count moves, under the
request's lock, the first of the hall's locks (referral.services)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apikit.errors import ConflictError
from appkit.actors import Actor
from audit.actors import person, saved_by
from audit.context import actor_label_for
from audit.history import history_of_updated
from checkoff.models import Employer
from members.models import Member

from .. import rules
from ..models import (
    ON_LIST_STATUSES,
    OPEN_REQUEST_STATUSES,
    AgreementType,
    Book,
    Holiday,
    LaborRequest,
    LaborRequestStatus,
    Registration,
    Requirement,
    RuleSet,
)
from ..selectors import blacked_out, idempotency_key_checked
from .common import _calendar_locked, _idempotency_key_locked, _require, _rules_on

RECEIVE = "referral.add_laborrequest"
CANCEL = "referral.cancel_laborrequest"


@transaction.atomic
def labor_request_receive(
    *,
    employer: Employer,
    book: Book,
    positions: int,
    start_on: datetime.date,
    start_at: datetime.time,
    worksite: str,
    report_to: str,
    wage: Decimal,
    requirements: Iterable[Requirement],
    short_call: bool,
    agreement_type: str,
    actor: Actor,
    named_member: Member | None = None,
    attestation: str = "",
    idempotency_key: str | None = None,
) -> LaborRequest:
    """Receive an employer's request, now: its referral day is the one the rules in force
    give for this instant on the book's region's calendar. Refused, with the field at
    fault, for no positions, no wage, a closed book, a start before the referral day, a
    by-name request without the member's attestation, for a member not on the book's list,
    out of good standing (when the rules ask it) or blacked out from that employer. With
    an idempotency key, a retry gets back the first request; the key with other values is
    a conflict (409), nothing written."""
    _require(actor, RECEIVE, "receive labor requests")
    requirements = sorted(set(requirements), key=lambda r: r.pk)
    asked = {
        "employer_id": employer.pk,
        "book_id": book.pk,
        "positions": positions,
        "start_on": start_on,
        "start_at": start_at,
        "worksite": worksite.strip(),
        "report_to": report_to.strip(),
        "wage": wage,
        "short_call": short_call,
        "agreement_type": agreement_type,
        "named_member_id": getattr(named_member, "pk", None),
        "attestation": attestation.strip() if named_member is not None else "",
    }
    if idempotency_key:
        _idempotency_key_locked(idempotency_key)
        before = _asked_before(idempotency_key, asked, [r.pk for r in requirements])
        if before is not None:
            return before
    now = timezone.now()
    rule_set = _rules_on(timezone.localdate(now))
    _calendar_locked(book.region_id)
    referral_day = _referral_day(book, now, rule_set)
    _refusal(asked, book=book, named_member=named_member, rule_set=rule_set, day=referral_day)
    labor_request = LaborRequest(
        **asked,
        referral_day=referral_day,
        attested_by_name=actor_label_for(actor) if named_member is not None else "",
        received_at=now,
        received_by=person(actor),
        received_by_name=actor_label_for(actor),
        rule_set=rule_set,
        idempotency_key=idempotency_key or None,
    )
    saved_by(labor_request, actor=actor)
    labor_request.requirements.set(requirements)
    return labor_request


def _referral_day(book: Book, now: datetime.datetime, rule_set: RuleSet) -> datetime.date:
    today = timezone.localdate(now)
    # A run of closed days is at most a few weeks: a month's holidays are enough to read.
    holidays = set(
        Holiday.objects.filter(
            region_id=book.region_id, day__gte=today, day__lte=today + datetime.timedelta(days=31)
        ).values_list("day", flat=True)
    )
    return rules.referral_day_for(timezone.localtime(now), rule_set.request_cutoff, holidays)


def _refusal(
    asked: dict,
    *,
    book: Book,
    named_member: Member | None,
    rule_set: RuleSet,
    day: datetime.date,
) -> None:
    """Raise every field error of the request at once, or nothing."""
    errors: dict[str, str] = {}
    if asked["positions"] is None or asked["positions"] < 1:
        errors["positions"] = "Ask for at least one worker."
    if asked["wage"] is None or asked["wage"] <= 0:
        errors["wage"] = "Give the hourly wage (more than 0)."
    if not book.active:
        errors["book"] = f"Book {book.code} is closed."
    if asked["agreement_type"] not in AgreementType.values:
        errors["agreement_type"] = f"Choose an agreement type (not {asked['agreement_type']!r})."
    if not asked["worksite"]:
        errors["worksite"] = "Say where the work is."
    if not asked["report_to"]:
        errors["report_to"] = "Say where the worker reports."
    if asked["start_on"] < day:
        errors["start_on"] = (
            f"Received now, this request goes to the referral of {day:%a %b %d, %Y}: the work "
            "cannot start before it."
        )
    if named_member is not None:
        refused = _by_name_refusal(asked, book, named_member, rule_set, day)
        if refused:
            errors.update(refused)
    if errors:
        raise ValidationError(errors)


def _by_name_refusal(
    asked: dict, book: Book, member: Member, rule_set: RuleSet, day: datetime.date
) -> dict[str, str]:
    if not asked["attestation"]:
        return {
            "attestation": f"Record the attestation that {member} did not solicit this "
            "by-name request."
        }
    if rules.status_refused(member.status, rule_set.register_out_of_standing):
        return {
            "named_member": f"{member} is {member.get_status_display().lower()}: the referral "
            f"rules (v{rule_set.version}) refer only members in good standing."
        }
    if not Registration.objects.filter(
        member=member, book=book, status__in=ON_LIST_STATUSES
    ).exists():
        return {"named_member": f"{member} is not on book {book.code}'s list."}
    blackout = blacked_out(member, asked["employer_id"], day)
    if blackout is not None:
        return {
            "named_member": f"{member} is blacked out from this employer's by-name requests "
            f"until {blackout.ends_on:%b %d, %Y} ({blackout.reason})."
        }
    return {}


def _asked_before(key: str, asked: dict, requirement_ids: list[int]) -> LaborRequest | None:
    """The request an earlier call with this key made, if the same; the key with other
    values is refused (409), as a registration's is."""
    idempotency_key_checked(key)
    found = LaborRequest.objects.filter(idempotency_key=key).first()
    if found is None:
        return None
    differ = sorted(name for name, value in asked.items() if getattr(found, name) != value)
    if sorted(found.requirements.values_list("pk", flat=True)) != requirement_ids:
        differ.append("requirements")
    if differ:
        raise ConflictError(
            f"This idempotency key was already used with other values ({', '.join(differ)}); "
            "nothing was written. Use a new key for a new request."
        )
    return found


@transaction.atomic
def labor_request_cancel(*, labor_request: LaborRequest, reason: str, actor: Actor) -> LaborRequest:
    """Cancel a request still open (or partly filled: the dispatches made stand)."""
    _require(actor, CANCEL, "cancel labor requests")
    if not reason.strip():
        raise ValidationError({"reason": "Say why the request is cancelled."})
    labor_request = LaborRequest.objects.select_for_update(no_key=True).get(pk=labor_request.pk)
    if labor_request.status not in OPEN_REQUEST_STATUSES:
        raise ValidationError(
            f"This request is {labor_request.get_status_display().lower()}: only an open one "
            "is cancelled."
        )
    labor_request.status = LaborRequestStatus.CANCELLED
    labor_request.cancel_reason = reason.strip()[:300]
    labor_request.ended_at = timezone.now()
    saved_by(labor_request, actor=actor)
    return labor_request


@transaction.atomic
def labor_requests_expire(*, actor: Actor, now: datetime.datetime | None = None) -> int:
    """Expire the requests whose referral day has passed (before today, the local's date)
    without being filled: open or partly filled. Idempotent: run again the same day, it
    finds none. One statement, with the rows' history and audit events. Returns how many."""
    _require(actor, CANCEL, "expire labor requests")
    now = now or timezone.now()
    due = LaborRequest.objects.filter(
        status__in=OPEN_REQUEST_STATUSES, referral_day__lt=timezone.localdate(now)
    )
    ids = list(due.select_for_update(no_key=True).order_by("pk").values_list("pk", flat=True))
    if not ids:
        return 0
    LaborRequest.objects.filter(pk__in=ids).update(status=LaborRequestStatus.EXPIRED, ended_at=now)
    history_of_updated(LaborRequest, ids, actor=actor)
    return len(ids)


@transaction.atomic
def _filled_by(labor_request: LaborRequest, count: int, *, actor: Actor) -> LaborRequest:
    """Count `count` more positions filled (dispatch calls it, holding no other lock first:
    the request's row is the first lock taken). Refused past the positions asked or on a
    request no longer open; the database's check refuses it too."""
    if count < 1:
        raise ValueError("A request is filled by one position or more.")
    labor_request = LaborRequest.objects.select_for_update(no_key=True).get(pk=labor_request.pk)
    if labor_request.status not in OPEN_REQUEST_STATUSES:
        raise ValidationError(
            f"This request is {labor_request.get_status_display().lower()}: it takes no one."
        )
    left = labor_request.positions - labor_request.filled
    if count > left:
        raise ValidationError(
            {
                "positions": f"This request asks for {labor_request.positions} and has "
                f"{labor_request.filled}: {left} left, not {count}."
            }
        )
    labor_request.filled += count
    labor_request.status = (
        LaborRequestStatus.FILLED
        if labor_request.filled == labor_request.positions
        else LaborRequestStatus.PARTIALLY_FILLED
    )
    saved_by(labor_request, actor=actor)
    return labor_request


def _position_freed(labor_request: LaborRequest, *, actor: Actor) -> LaborRequest:
    """Give back a position a no-show left, on a request the caller has locked: a filled
    request is open to it again; a cancelled or expired one stays as it ended."""
    if labor_request.filled < 1:
        raise ValueError("No position of this request is filled.")
    labor_request.filled -= 1
    if labor_request.status in (LaborRequestStatus.FILLED, LaborRequestStatus.PARTIALLY_FILLED):
        labor_request.status = (
            LaborRequestStatus.PARTIALLY_FILLED if labor_request.filled else LaborRequestStatus.OPEN
        )
    saved_by(labor_request, actor=actor)
    return labor_request
