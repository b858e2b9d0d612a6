"""Stripe webhook events: verified, stored, and handled exactly once.

A delivery is answered 400 when its signature or body is wrong (nothing stored), 200 once
its event is handled (or was already), and 500 when handling failed: the handler's
transaction is rolled back, the failure is kept on the stored event for staff to see, and
Stripe delivers it again later.
"""

from __future__ import annotations

import datetime
import json
import time
from collections.abc import Callable, Mapping
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from audit.context import acting_as
from dues.models import RECEIVED_STATUSES, Payment
from dues.services import payment_flag, refund_record

from .autopay import autopay_method_gone, autopay_setup_complete
from .collection_reports import BadReport, autopay_intent_reported
from .models import DONE_EVENT_STATES, EventState, StripeEvent
from .services import Fulfilment, checkout_fulfil
from .stripe_client import (
    SignatureInvalid,
    from_cents,
    stripe_id,
    stripe_livemode,
    webhook_signature_verify,
)
from .tasks import dispute_alert_email

TOLERANCE_SECONDS = 300
# Clocks differ a little; a signature dated further ahead than this is refused.
FUTURE_SKEW_SECONDS = 5
SYSTEM_ACTOR = "stripe-webhook"


class InvalidWebhook(Exception):
    """Not a genuine, well-formed Stripe delivery: answered 400, nothing stored."""


# What a handler raises when the event's own content is wrong (not a failure of ours to retry).
MALFORMED = (BadReport, KeyError, TypeError, ValueError, ArithmeticError)


class RetryLater(Exception):
    """The event is ours but cannot be applied yet (its payment is not recorded yet)."""


def webhook_event_verify(payload: bytes, signature_header: str | None) -> dict[str, Any]:
    """The event in `payload`, if one of our signing secrets signed it in the last 300 s."""
    if not settings.STRIPE_WEBHOOK_SECRETS:
        raise InvalidWebhook("No webhook signing secret is configured.")
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidWebhook("The body is not UTF-8 text.") from None
    try:
        webhook_signature_verify(
            text, signature_header, settings.STRIPE_WEBHOOK_SECRETS, TOLERANCE_SECONDS
        )
    except SignatureInvalid as exc:
        raise InvalidWebhook(f"Signature not valid: {exc}") from None
    if _signed_at(signature_header) > time.time() + FUTURE_SKEW_SECONDS:
        raise InvalidWebhook("The signature is dated in the future.")
    try:
        event = json.loads(text)
    except (ValueError, RecursionError):
        raise InvalidWebhook("The body is not JSON.") from None
    if not (
        isinstance(event, dict)
        and event.get("object") == "event"
        and isinstance(event.get("id"), str)
        and isinstance(event.get("type"), str)
        and isinstance((event.get("data") or {}).get("object"), dict)
    ):
        raise InvalidWebhook("The body is not a Stripe event.")
    return event


def _signed_at(header: str | None) -> int:
    for part in (header or "").split(","):
        key, _, value = part.partition("=")
        if key.strip() == "t" and value.strip().isdigit():
            return int(value)
    return 0


def stripe_event_receive(event: Mapping[str, Any]) -> StripeEvent:
    """Keep the delivery (once per event id, however often Stripe sends it)."""
    # One INSERT that does nothing when the event is already stored (a redelivery).
    StripeEvent.objects.bulk_create(
        [
            StripeEvent(
                event_id=event["id"],
                type=event["type"],
                livemode=bool(event.get("livemode")),
                payload=event,
            )
        ],
        ignore_conflicts=True,
    )
    return StripeEvent.objects.get(event_id=event["id"])


def stripe_event_process(row: StripeEvent) -> StripeEvent:
    """Handle a stored event unless it already was; record the outcome either way."""
    try:
        with transaction.atomic(), acting_as(SYSTEM_ACTOR):
            # Lock the event: the same event delivered twice at once is handled once.
            row = StripeEvent.objects.select_for_update().get(pk=row.pk)
            if row.state in DONE_EVENT_STATES:
                return row
            try:
                with transaction.atomic():
                    state, note = _handle(row.payload)
            except MALFORMED as exc:
                # Signed by Stripe, yet not what we can apply (an id "²", a missing field):
                # refused and kept for review, not a 500 that Stripe retries for three days.
                state = EventState.NEEDS_REVIEW
                note = f"Refused: its content cannot be applied ({type(exc).__name__}: {exc})"
            row.state, row.error = state, note[:2000]
            row.attempts += 1
            row.processed_at = timezone.now()
            row.save()
            return row
    except Exception as exc:
        StripeEvent.objects.filter(pk=row.pk).update(
            state=EventState.FAILED,
            error=f"{type(exc).__name__}: {exc}"[:2000],
            attempts=row.attempts + 1,
        )
        row.refresh_from_db()
        return row


Outcome = tuple[str, str]
# When Stripe said so (its event's time), if it says.
Moment = datetime.datetime | None


def _handle(event: Mapping[str, Any]) -> Outcome:
    if bool(event.get("livemode")) != stripe_livemode():
        mode = "live" if event.get("livemode") else "test"
        return EventState.NEEDS_REVIEW, f"A {mode}-mode event, but our key is the other mode."
    handler = HANDLERS.get(event["type"])
    if handler is None:
        return EventState.IGNORED, "Union Hall does not act on this event type."
    return handler(event["data"]["object"], _event_time(event))


def _event_time(event: Mapping[str, Any]) -> datetime.datetime | None:
    created = event.get("created")
    if not isinstance(created, int) or isinstance(created, bool):
        return None
    try:
        return datetime.datetime.fromtimestamp(created, tz=datetime.UTC)
    except (OverflowError, OSError, ValueError):  # no time a calendar holds
        return None


def _fulfilment_outcome(result: Fulfilment) -> Outcome:
    if result.checkout is None:
        return EventState.IGNORED, result.review
    if result.review:
        return EventState.NEEDS_REVIEW, result.review
    return EventState.PROCESSED, ""


def _checkout_completed(session: Mapping[str, Any], at: Moment) -> Outcome:
    if session.get("mode") == "setup":
        review = autopay_setup_complete(session, actor=SYSTEM_ACTOR)
        return (EventState.IGNORED if review else EventState.PROCESSED), review
    return _fulfilment_outcome(checkout_fulfil(session, actor=SYSTEM_ACTOR, reported_at=at))


def _payment_intent(intent: Mapping[str, Any], at: Moment) -> Outcome:
    """An autopay PaymentIntent moved (a checkout's are fulfilled by the checkout's events)."""
    outcome = autopay_intent_reported(intent, actor=SYSTEM_ACTOR, reported_at=at)
    if outcome is None:
        return EventState.IGNORED, "Not an autopay PaymentIntent of ours."
    if outcome == "not ours":
        return EventState.IGNORED, "No autopay collection of ours asked for this PaymentIntent."
    if outcome == "earlier" and intent.get("status") == "succeeded":
        return EventState.NEEDS_REVIEW, (
            "An earlier autopay attempt's PaymentIntent succeeded: money taken that the ledger "
            "does not show. Refund it in Stripe, or record it."
        )
    if outcome == "held for review":
        return EventState.NEEDS_REVIEW, "Stripe's amount or currency differs from what was asked."
    return EventState.PROCESSED, "" if outcome else "Already recorded, or an earlier attempt."


def _payment_method_detached(payment_method: Mapping[str, Any], at: Moment) -> Outcome:
    if autopay_method_gone(
        payment_method["id"], "The payment method was removed in Stripe.", actor=SYSTEM_ACTOR
    ):
        return EventState.PROCESSED, ""
    return EventState.IGNORED, "Not an autopay's payment method."


def _checkout_async_succeeded(session: Mapping[str, Any], at: Moment) -> Outcome:
    return _fulfilment_outcome(
        checkout_fulfil(session, actor=SYSTEM_ACTOR, settled_later=True, reported_at=at)
    )


def _checkout_async_failed(session: Mapping[str, Any], at: Moment) -> Outcome:
    return _fulfilment_outcome(
        checkout_fulfil(session, actor=SYSTEM_ACTOR, failed=True, reported_at=at)
    )


def _checkout_expired(session: Mapping[str, Any], at: Moment) -> Outcome:
    return _fulfilment_outcome(checkout_fulfil(session, actor=SYSTEM_ACTOR, reported_at=at))


def _our_payment(charge_like: Mapping[str, Any]) -> Payment | None:
    """The payment of this charge or dispute, if Union Hall itself started it in Stripe.

    Only a payment made by one of our checkouts or autopay carries a PaymentIntent id; a charge
    without one (Stripe's own example objects have `payment_intent: null`) must never
    match the payments that have none (every payment taken at the office)."""
    intent = stripe_id(charge_like.get("payment_intent"))
    if intent is None:
        return None
    payment = Payment.objects.filter(
        Q(stripe_checkout_session_id__isnull=False) | Q(autopay_collection__isnull=False),
        stripe_payment_intent_id=intent,
    ).first()
    if payment is None and "unionhall_member_id" in (charge_like.get("metadata") or {}):
        raise RetryLater("This charge is ours, but its payment is not recorded yet.")
    return payment


def _charge_refunded(charge: Mapping[str, Any], at: Moment) -> Outcome:
    """Stripe reports the charge's total refunded so far: record what we have not yet."""
    payment = _our_payment(charge)
    if payment is None:
        return EventState.IGNORED, "Not a charge of ours."
    # Lock the payment before comparing totals: two refund events may arrive together.
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if payment.status not in RECEIVED_STATUSES:
        raise RetryLater("Refunded in Stripe before we recorded the payment as received.")
    refunded = from_cents(charge["amount_refunded"])
    missing = refunded - payment.refunded_amount
    if missing <= 0:
        return EventState.PROCESSED, "Already recorded."
    refunds = (charge.get("refunds") or {}).get("data") or []
    refund_record(
        payment=payment,
        amount=missing,
        reason=f"Refunded in Stripe (charge {charge['id']}).",
        stripe_refund_id=refunds[0]["id"] if refunds else None,
        idempotency_key=f"stripe-{charge['id']}-{charge['amount_refunded']}",
        refunded_date=timezone.localdate(at) if at else None,
        actor=SYSTEM_ACTOR,
    )
    return EventState.PROCESSED, ""


def _dispute_created(dispute: Mapping[str, Any], at: Moment) -> Outcome:
    payment = _our_payment(dispute)
    if payment is None:
        return EventState.IGNORED, "Not a charge of ours."
    reason = f"Card dispute {dispute['id']} ({dispute.get('reason', 'no reason given')})"
    payment_flag(payment=payment, reason=reason, actor=SYSTEM_ACTOR)
    dispute_alert_email.enqueue(payment.pk, reason)  # queued with the flag, sent by a worker
    return EventState.PROCESSED, ""


# event type -> handler(the event's object, the event's time)
HANDLERS: dict[str, Callable[[Mapping[str, Any], datetime.datetime | None], Outcome]] = {
    "checkout.session.completed": _checkout_completed,
    "checkout.session.async_payment_succeeded": _checkout_async_succeeded,
    "checkout.session.async_payment_failed": _checkout_async_failed,
    "checkout.session.expired": _checkout_expired,
    "charge.refunded": _charge_refunded,
    "charge.dispute.created": _dispute_created,
    "payment_intent.succeeded": _payment_intent,
    "payment_intent.processing": _payment_intent,
    "payment_intent.payment_failed": _payment_intent,
    "payment_intent.requires_action": _payment_intent,
    "payment_method.detached": _payment_method_detached,
}
