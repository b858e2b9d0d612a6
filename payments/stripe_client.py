"""The one place that talks to Stripe: everything else asks this module for the client."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from decimal import Decimal

import stripe
from django.conf import settings

_http_client: stripe.HTTPClient | None = None


class StripeNotConfigured(Exception):
    """No STRIPE_SECRET_KEY: online payment is not set up."""


def stripe_configured() -> bool:
    return bool(settings.STRIPE_SECRET_KEY)


def stripe_livemode() -> bool:
    """Whether our key is a live one: Stripe objects from the other mode are not ours."""
    return settings.STRIPE_SECRET_KEY.startswith(("sk_live_", "rk_live_"))


def stripe_client() -> stripe.StripeClient:
    if not stripe_configured():
        raise StripeNotConfigured("Online payment is not set up (no STRIPE_SECRET_KEY).")
    base_addresses = {"api": settings.STRIPE_API_BASE} if settings.STRIPE_API_BASE else None
    # A Stripe that hangs must not hold a member's request past the server's own timeout
    # (gunicorn's 30 s): each try waits STRIPE_TIMEOUT_SECONDS, and is retried (with the
    # same idempotency key, so a retry never charges twice) STRIPE_NETWORK_RETRIES times.
    http_client = _http_client or stripe.RequestsClient(timeout=settings.STRIPE_TIMEOUT_SECONDS)
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        stripe_version=settings.STRIPE_API_VERSION,
        base_addresses=base_addresses,
        max_network_retries=settings.STRIPE_NETWORK_RETRIES,
        http_client=http_client,
    )


@contextmanager
def stripe_http_client(client: stripe.HTTPClient) -> Iterator[None]:
    """Send this process's Stripe requests through `client` (the SDK's own HTTP client
    hook): how the tests answer for Stripe without reaching the internet."""
    global _http_client
    previous, _http_client = _http_client, client
    try:
        yield
    finally:
        _http_client = previous


def stripe_id(value: object) -> str | None:
    """The id in a field that holds a Stripe id, or the object itself when expanded; None
    when the field is empty. Lookups by an optional id go through this, so that an empty
    one never matches every record that has none (`filter(x=None)` is `IS NULL`)."""
    if isinstance(value, Mapping):
        value = value.get("id")
    return value if isinstance(value, str) and value.strip() else None


def to_cents(amount: Decimal) -> int:
    """Dollars with two decimals to Stripe's integer cents, exactly."""
    cents = amount * 100
    if cents != cents.to_integral_value():
        raise ValueError(f"{amount} has fractions of a cent.")
    return int(cents)


def from_cents(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))
