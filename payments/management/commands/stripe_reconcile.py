from __future__ import annotations

import stripe
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from audit.context import acting_as
from payments.models import StripeEvent
from payments.services import checkout_fulfil, checkout_unsettled
from payments.stripe_client import StripeNotConfigured, stripe_client
from payments.webhooks import stripe_event_process, stripe_event_receive


class Command(BaseCommand):
    help = (
        "Ask Stripe about checkouts still open or processing, and about events it could not "
        "deliver; apply what it says (idempotently) and report what changed."
    )

    def handle(self, *args, **options) -> None:
        try:
            client = stripe_client()
        except StripeNotConfigured as exc:
            raise CommandError(str(exc)) from None
        changed = self._checkouts(client) + self._undelivered_events(client)
        self.stdout.write(f"Reconciled: {changed} change(s).")

    def _checkouts(self, client) -> int:
        changed = 0
        for checkout in checkout_unsettled():
            try:
                session = client.v1.checkout.sessions.retrieve(checkout.stripe_session_id)
            except stripe.StripeError as exc:
                self.stderr.write(f"  {checkout.stripe_session_id}: Stripe error: {exc}")
                continue
            before = checkout.status
            with transaction.atomic(), acting_as("stripe_reconcile"):
                result = checkout_fulfil(session.to_dict())
            after = result.checkout.status if result.checkout else before
            if result.changed or after != before:
                changed += 1
                self.stdout.write(f"  checkout {checkout.stripe_session_id}: {before} -> {after}")
        return changed

    def _undelivered_events(self, client) -> int:
        changed = 0
        try:
            events = client.v1.events.list(params={"delivery_success": False, "limit": 100})
        except stripe.StripeError as exc:
            self.stderr.write(f"  could not list undelivered events: {exc}")
            return 0
        for event in events.auto_paging_iter():
            payload = event.to_dict()
            known = StripeEvent.objects.filter(event_id=payload["id"]).first()
            before = known.state if known else None
            row = stripe_event_process(stripe_event_receive(payload))
            if row.state != before:
                changed += 1
                self.stdout.write(
                    f"  event {row.event_id} ({row.type}): {before or 'new'} -> {row.state}"
                )
        return changed
