"""Stripe's word on an autopay collection's attempt, applied under a lock on the
collection, once, whichever way it comes: the collecting run's own answer
(payments/collecting.py), Stripe's event for the same PaymentIntent (payments/webhooks.py)
or reconciliation. Each goes through `_reported`, and a status already applied changes
nothing (one attempt, one change, one email). What Stripe reports is checked against what
was asked (amount, currency); a difference is held for review and told to the office,
never recorded as dues.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from audit.actors import Actor, actor_checked
from audit.context import acting_as
from dues.models import PaymentMethod, PaymentStatus
from dues.services import payment_online_record
from dues.tasks import receipt_email

from .autopay import PURPOSE, autopay_method_gone
from .models import AutopayCollection, CollectionStatus
from .stripe_client import metadata_id, stripe_id, to_cents
from .tasks import autopay_notice_email


class BadReport(ValueError):
    """A report about an autopay PaymentIntent that cannot be ours as it stands."""


def retry_days() -> list[int]:
    """Days after a collection's first attempt when it is tried again (AUTOPAY_RETRY_DAYS)."""
    return sorted(settings.AUTOPAY_RETRY_DAYS)


def _locked(pk: int) -> AutopayCollection:
    # Lock the collection: Stripe's answer to a run, its event for the same PaymentIntent
    # and reconciliation may arrive at once; each report is applied whole, one at a time.
    return (
        AutopayCollection.objects.select_for_update(of=("self",))
        .select_related("member__autopay", "period")
        .get(pk=pk)
    )


def _answer_applied(
    pk: int,
    intent: Mapping[str, Any],
    *,
    actor: Actor,
    today: datetime.date | None = None,
    reported_at: datetime.datetime | None = None,
) -> str:
    # Every row the answer changes names who brought it (autopay's run, the webhook).
    with transaction.atomic(), acting_as(actor_checked(actor)):
        return _reported(_locked(pk), intent, actor=actor, today=today, reported_at=reported_at)


def _reported(
    collection: AutopayCollection,
    intent: Mapping[str, Any],
    *,
    actor: Actor,
    today: datetime.date | None,
    reported_at: datetime.datetime | None,
) -> str:
    """Apply one report of the collection's PaymentIntent, under the collection's lock.
    "" when it changes nothing; "earlier" when it is of an earlier attempt."""
    if not _of_this_attempt(collection, intent):
        return "earlier"
    status = intent.get("status")
    if collection.payment_intent_id == intent["id"] and collection.intent_status == status:
        return ""  # applied already: the run's answer, then Stripe's event of the same
    if collection.status in (CollectionStatus.SUCCEEDED, CollectionStatus.NEEDS_REVIEW):
        return ""  # a late report of an earlier state, or one for the office to settle
    if (
        collection.status in (CollectionStatus.GAVE_UP, CollectionStatus.CANCELLED)
        and status != "succeeded"
    ):
        return ""
    problems = intent_mismatches(collection, intent)
    if problems:
        return _held(collection, intent, "; ".join(problems))
    return _intent_applied(collection, intent, actor=actor, today=today, reported_at=reported_at)


def _of_this_attempt(collection: AutopayCollection, intent: Mapping[str, Any]) -> bool:
    if collection.payment_intent_id:
        return collection.payment_intent_id == intent["id"]
    attempt = (intent.get("metadata") or {}).get("unionhall_attempt")
    return attempt == str(collection.attempts)


def intent_mismatches(collection: AutopayCollection, intent: Mapping[str, Any]) -> list[str]:
    """What Stripe reports of the PaymentIntent that differs from what was asked."""
    asked = to_cents(collection.amount)
    checks = [
        ("amount", intent.get("amount"), asked),
        ("currency", str(intent.get("currency") or "").lower(), settings.STRIPE_CURRENCY.lower()),
    ]
    if intent.get("status") == "succeeded":
        checks.append(("amount_received", intent.get("amount_received"), asked))
    return [
        f"{name}: Stripe says {got!r}, we asked {wanted!r}"
        for name, got, wanted in checks
        if got != wanted
    ]


def _held(collection: AutopayCollection, intent: Mapping[str, Any], why: str) -> str:
    collection.status = CollectionStatus.NEEDS_REVIEW
    collection.payment_intent_id, collection.intent_status = intent["id"], intent.get("status")
    collection.next_attempt_on = None
    collection.last_error = f"Held for review, nothing recorded: {why}"[:500]
    collection.save()
    member_id, pk = collection.member_id, collection.pk
    transaction.on_commit(lambda: autopay_notice_email.enqueue(member_id, "held", pk))
    return "held for review"


def _method(collection: AutopayCollection) -> str:
    if collection.member.autopay.method_type == "us_bank_account":
        return PaymentMethod.STRIPE_ACH
    return PaymentMethod.STRIPE_CARD


def _intent_applied(
    collection: AutopayCollection,
    intent: Mapping[str, Any],
    *,
    actor: Actor,
    today: datetime.date | None = None,
    reported_at: datetime.datetime | None = None,
) -> str:
    """Record what Stripe says of the collection's PaymentIntent: money only when it has
    arrived (a bank debit when it clears); a failure or a card that needs its owner
    schedules a retry and tells the member."""
    status = intent.get("status")
    collection.payment_intent_id, collection.intent_status = intent["id"], status
    if status in ("succeeded", "processing"):
        change = payment_online_record(
            actor=actor,
            member=collection.member,
            amount=collection.amount,
            method=_method(collection),
            status=PaymentStatus.SUCCEEDED if status == "succeeded" else PaymentStatus.PENDING,
            payment_intent_id=intent["id"],
            received_date=timezone.localdate(reported_at) if reported_at else None,
        )
        collection.payment = change.payment
        collection.status = (
            CollectionStatus.SUCCEEDED if status == "succeeded" else CollectionStatus.PROCESSING
        )
        collection.next_attempt_on, collection.last_error = None, ""
        collection.save()
        if change.changed and change.payment.status == PaymentStatus.SUCCEEDED:
            receipt_email.enqueue(change.payment.pk)
        return collection.status
    error = intent.get("last_payment_error") or {}
    if collection.payment_id and collection.status == CollectionStatus.PROCESSING:
        # The bank debit failed after all.
        payment_online_record(
            actor=actor,
            member=collection.member,
            amount=collection.amount,
            method=_method(collection),
            status=PaymentStatus.FAILED,
            payment_intent_id=intent["id"],
        )
    # Off-session, a bank that wants its customer fails the attempt as
    # `authentication_required`; confirmed on-session it waits in `requires_action`.
    needs_owner = (
        status in ("requires_action", "requires_confirmation")
        or error.get("code") == "authentication_required"
        or error.get("decline_code") == "authentication_required"
    )
    message = (
        "The bank or card asks the member to confirm this payment."
        if needs_owner
        else (error.get("message") or f"Stripe says {status}.")
    )
    outcome = _attempt_failed(collection, message, needs_owner, today)
    if error.get("code") == "expired_card" or error.get("decline_code") == "expired_card":
        autopay_method_gone(
            collection.member.autopay.payment_method_id, "The card has expired.", actor=actor
        )
    return outcome


def _attempt_failed(collection: AutopayCollection, message: str, needs_owner: bool, today) -> str:
    """The attempt did not collect: the next one is scheduled (or autopay gives up), and
    the member is told, once."""
    today = today or timezone.localdate()
    collection.last_error = message[:500]
    days = retry_days()
    # The local's date of the first attempt (in the evening, UTC's is already tomorrow).
    first_day = timezone.localdate(collection.created_at) if collection.created_at else today
    if collection.attempts <= len(days):
        collection.status = (
            CollectionStatus.REQUIRES_ACTION if needs_owner else CollectionStatus.FAILED
        )
        collection.next_attempt_on = first_day + datetime.timedelta(
            days=days[collection.attempts - 1]
        )
    else:
        collection.status, collection.next_attempt_on = CollectionStatus.GAVE_UP, None
    collection.save()
    member_id, pk = collection.member_id, collection.pk
    what = "gave_up" if collection.status == CollectionStatus.GAVE_UP else "failed"
    transaction.on_commit(lambda: autopay_notice_email.enqueue(member_id, what, pk))
    return collection.status


# --- Stripe's events (webhooks, and events reconciliation finds undelivered) -------------------


def autopay_intent_reported(
    intent: Mapping[str, Any], *, actor: Actor, reported_at: datetime.datetime | None = None
) -> str | None:
    """A webhook (or reconciliation) about an autopay PaymentIntent, applied to its
    collection once. None when the PaymentIntent is not autopay's; "not ours" when no
    collection of ours asked for it (another environment on the same Stripe account);
    "earlier" when it is an earlier attempt's; "" when it was applied already. Raises
    BadReport when its metadata cannot be ours."""
    metadata = intent.get("metadata") or {}
    if metadata.get("unionhall_purpose") != PURPOSE:
        return None
    member_id = metadata_id(metadata, "unionhall_member_id")
    period_id = metadata_id(metadata, "unionhall_period_id")
    if member_id is None or period_id is None or not stripe_id(intent.get("id")):
        raise BadReport("Its member, period or PaymentIntent id is not one of ours.")
    customer = stripe_id(intent.get("customer"))
    pk = (
        AutopayCollection.objects.filter(
            member_id=member_id, period_id=period_id, member__stripe_customer_id=customer
        )
        .values_list("pk", flat=True)
        .first()
        if customer
        else None
    )
    if pk is None:
        return "not ours"
    return _answer_applied(pk, intent, actor=actor, reported_at=reported_at)
