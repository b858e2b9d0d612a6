from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from audit.context import acting_as
from payments.models import StripeEvent
from payments.services import checkout_fulfil, checkout_unsettled
from payments.stripe_client import (
    StripeError,
    checkout_session_retrieve,
    events_undelivered,
    stripe_configured,
)
from payments.webhooks import stripe_event_process, stripe_event_receive


class Command(BaseCommand):
    help = (
        "Ask Stripe about checkouts still open or processing, and about events it could not "
        "deliver; apply what it says (idempotently) and report what changed."
    )

    def handle(self, *args, **options) -> None:
        if not stripe_configured():
            raise CommandError("Online payment is not set up (no STRIPE_SECRET_KEY).")
        changed = self._checkouts() + self._undelivered_events()
        self.stdout.write(f"Reconciled: {changed} change(s).")

    def _checkouts(self) -> int:
        changed = 0
        for checkout in checkout_unsettled():
            try:
                session = checkout_session_retrieve(checkout.stripe_session_id)
            except StripeError as exc:
                self.stderr.write(f"  {checkout.stripe_session_id}: Stripe error: {exc}")
                continue
            before = checkout.status
            with transaction.atomic(), acting_as("stripe_reconcile"):
                result = checkout_fulfil(session)
            after = result.checkout.status if result.checkout else before
            if result.changed or after != before:
                changed += 1
                self.stdout.write(f"  checkout {checkout.stripe_session_id}: {before} -> {after}")
        return changed

    def _undelivered_events(self) -> int:
        changed = 0
        try:
            events = list(events_undelivered())
        except StripeError as exc:
            self.stderr.write(f"  could not list undelivered events: {exc}")
            return 0
        for payload in events:
            known = StripeEvent.objects.filter(event_id=payload["id"]).first()
            before = known.state if known else None
            row = stripe_event_process(stripe_event_receive(payload))
            if row.state != before:
                changed += 1
                self.stdout.write(
                    f"  event {row.event_id} ({row.type}): {before or 'new'} -> {row.state}"
                )
        return changed
