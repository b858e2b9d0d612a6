"""What online payment reads: nothing here writes."""

from __future__ import annotations

from .models import UNSETTLED_CHECKOUT, CheckoutSession


def checkouts_unsettled() -> list[CheckoutSession]:
    """Checkouts Stripe may still settle (open, waiting for the member, or a bank transfer
    clearing), oldest first: what reconciliation asks Stripe about."""
    return list(
        CheckoutSession.objects.filter(status__in=UNSETTLED_CHECKOUT).order_by("created_at")
    )
