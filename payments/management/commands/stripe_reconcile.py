from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from jobs.progress import TerminalProgress
from payments.reconcile import stripe_reconcile
from payments.stripe_client import stripe_configured


class Command(BaseCommand):
    help = (
        "Ask Stripe about checkouts still open or processing, and about events it could not "
        "deliver; apply what it says (idempotently) and report what changed. The scheduler "
        "runs the same every hour."
    )

    def handle(self, *args, **options) -> None:
        if not stripe_configured():
            raise CommandError("Online payment is not set up (no STRIPE_SECRET_KEY).")
        progress = TerminalProgress(self.stderr._out)
        lines = stripe_reconcile(progress)
        progress.close()
        for line in lines:
            self.stdout.write(f"  {line}")
        changes = sum(1 for line in lines if "->" in line)
        self.stdout.write(f"Reconciled: {changes} change(s).")
