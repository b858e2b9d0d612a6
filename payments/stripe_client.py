"""The one place that talks to Stripe: every call to its API, and the webhook signature
check, are functions here; nothing else imports the SDK (a test holds this). They return
plain dicts, and raise `StripeError` (the SDK's own) when Stripe refuses or cannot be
reached."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import stripe
from django.conf import settings

_http_client: stripe.HTTPClient | None = None

# What Stripe raises: refused (a 4xx), unreachable, or timed out.
StripeError = stripe.StripeError


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


# --- Calls ------------------------------------------------------------------------------


def customer_create(*, params: dict[str, Any], idempotency_key: str) -> str:
    """A new customer; its id."""
    return (
        stripe_client()
        .v1.customers.create(params=params, options={"idempotency_key": idempotency_key})
        .id
    )


def checkout_session_create(*, params: dict[str, Any], idempotency_key: str) -> dict[str, Any]:
    session = stripe_client().v1.checkout.sessions.create(
        params=params, options={"idempotency_key": idempotency_key}
    )
    return session.to_dict()


def checkout_session_retrieve(session_id: str) -> dict[str, Any]:
    return stripe_client().v1.checkout.sessions.retrieve(session_id).to_dict()


def setup_intent_retrieve(setup_intent_id: str) -> dict[str, Any]:
    """A SetupIntent with its payment method expanded (brand or bank, last 4)."""
    return (
        stripe_client()
        .v1.setup_intents.retrieve(setup_intent_id, params={"expand": ["payment_method"]})
        .to_dict()
    )


def customer_default_payment_method_set(*, customer: str, payment_method: str) -> None:
    stripe_client().v1.customers.update(
        customer, params={"invoice_settings": {"default_payment_method": payment_method}}
    )


def payment_method_detach(payment_method: str) -> None:
    stripe_client().v1.payment_methods.detach(payment_method)


def payment_intent_create(*, params: dict[str, Any], idempotency_key: str) -> dict[str, Any]:
    """Create and confirm a PaymentIntent. A declined card is not an exception here: the
    PaymentIntent Stripe made is returned, with its `last_payment_error`."""
    try:
        intent = stripe_client().v1.payment_intents.create(
            params=params, options={"idempotency_key": idempotency_key}
        )
    except stripe.CardError as exc:
        intent = (exc.error and exc.error.payment_intent) or None
        if intent is None:
            raise
    return intent.to_dict() if hasattr(intent, "to_dict") else dict(intent)


def payment_intent_retrieve(payment_intent_id: str) -> dict[str, Any]:
    return stripe_client().v1.payment_intents.retrieve(payment_intent_id).to_dict()


def payment_intents_of_customer(customer: str, *, created_since: int) -> Iterator[dict[str, Any]]:
    """The customer's PaymentIntents created since a Unix time, newest first."""
    intents = stripe_client().v1.payment_intents.list(
        params={"customer": customer, "created": {"gte": created_since}, "limit": 100}
    )
    for intent in intents.auto_paging_iter():
        yield intent.to_dict()


def events_undelivered() -> Iterator[dict[str, Any]]:
    """Events Stripe could not deliver to our webhook (its last 30 days)."""
    events = stripe_client().v1.events.list(params={"delivery_success": False, "limit": 100})
    for event in events.auto_paging_iter():
        yield event.to_dict()


def is_unknown_customer(exc: Exception) -> bool:
    """Stripe does not know the customer we sent (deleted, or of the other mode)."""
    return (
        isinstance(exc, stripe.InvalidRequestError)
        and exc.code == "resource_missing"
        and getattr(exc, "param", None) == "customer"
    )


def answer_lost(exc: Exception) -> bool:
    """Whether Stripe may have acted on a request whose answer we did not get: no answer at
    all (a timeout, a dropped connection), its own failure (5xx), or a refusal to run it
    now (409: the same key is still being worked on; 429: too many requests). A 4xx other
    than those is Stripe's answer: it did nothing."""
    status = getattr(exc, "http_status", None)
    return status is None or status >= 500 or status in (409, 429)


def failure_message(exc: Exception) -> str:
    """What to log of a Stripe failure, in Stripe's words where it gave some."""
    return str(getattr(exc, "user_message", None) or exc)


class SignatureInvalid(Exception):
    """A webhook body not signed, in the last `tolerance` seconds, by one of our secrets."""


def webhook_signature_verify(
    text: str, header: str | None, secrets: list[str], tolerance: int
) -> None:
    """Stripe's own check of a Stripe-Signature header, against each of our secrets (one
    is being rotated out while the other comes in)."""
    failure = "no secret"
    for secret in secrets:
        try:
            stripe.WebhookSignature.verify_header(text, header, secret, tolerance)
            return
        except stripe.SignatureVerificationError as exc:
            failure = str(exc)
    raise SignatureInvalid(failure)


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


def metadata_id(metadata: Mapping[str, Any], key: str) -> int | None:
    """An id of ours in Stripe metadata: ASCII digits that fit a database id, else None
    ("²" is a digit to Python, and no id of ours)."""
    value = metadata.get(key)
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 18:
        return int(value)
    return None


def to_cents(amount: Decimal) -> int:
    """Dollars with two decimals to Stripe's integer cents, exactly."""
    cents = amount * 100
    if cents != cents.to_integral_value():
        raise ValueError(f"{amount} has fractions of a cent.")
    return int(cents)


def from_cents(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))
