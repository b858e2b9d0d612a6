"""Reconciliation with Stripe: what a lost or late webhook would have said, asked for."""

from __future__ import annotations

from django.db import transaction

from audit.context import acting_as
from jobs.progress import Progress

from .collecting import autopay_collections_reconcile
from .models import StripeEvent
from .selectors import checkouts_unsettled
from .services import checkout_fulfil
from .stripe_client import (
    StripeError,
    checkout_session_retrieve,
    events_undelivered,
)
from .webhooks import stripe_event_process, stripe_event_receive

SYSTEM_ACTOR = "stripe_reconcile"


def stripe_reconcile(progress: Progress | None = None) -> list[str]:
    """Ask Stripe about checkouts still open or processing, autopay collections not settled
    here (card and bank alike), and events it could not deliver; apply what it says
    (idempotently). Returns a line per change or problem."""
    progress = progress or Progress()
    lines: list[str] = []
    unsettled = checkouts_unsettled()
    progress.step("Asking Stripe about unsettled checkouts", total=len(unsettled))
    for checkout in unsettled:
        lines += _checkout(checkout)
        progress.advance()
    lines += autopay_collections_reconcile(progress)
    progress.step("Asking Stripe for events it could not deliver")
    try:
        events = list(events_undelivered())
    except StripeError as exc:
        return [*lines, f"could not list undelivered events: {exc}"]
    for payload in events:
        known = StripeEvent.objects.filter(event_id=payload["id"]).first()
        before = known.state if known else None
        row = stripe_event_process(stripe_event_receive(payload))
        if row.state != before:
            lines.append(f"event {row.event_id} ({row.type}): {before or 'new'} -> {row.state}")
        progress.advance()
    return lines


def _checkout(checkout) -> list[str]:
    try:
        session = checkout_session_retrieve(checkout.stripe_session_id)
    except StripeError as exc:
        return [f"{checkout.stripe_session_id}: Stripe error: {exc}"]
    before = checkout.status
    with transaction.atomic(), acting_as(SYSTEM_ACTOR):
        result = checkout_fulfil(session, actor=SYSTEM_ACTOR)
    after = result.checkout.status if result.checkout else before
    if result.changed or after != before:
        return [f"checkout {checkout.stripe_session_id}: {before} -> {after}"]
    return []
