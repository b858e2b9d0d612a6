from __future__ import annotations

from django.http import HttpRequest

from .stripe_client import stripe_configured


def online_payment(request: HttpRequest) -> dict:
    """Whether the "Pay Now Online" buttons can work (a Stripe key is set)."""
    return {"online_payment": stripe_configured()}
