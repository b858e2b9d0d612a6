"""Stripe's side of the conversation, for tests: an HTTP client for the SDK's own
`http_client` hook that records what Union Hall sent and answers with Stripe-shaped JSON.
Nothing leaves the machine."""

from __future__ import annotations

import copy
import functools
import hashlib
import hmac
import itertools
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import stripe

API_VERSION = "2026-10-28.endive"


@dataclass
class SentRequest:
    method: str
    path: str
    params: dict[str, str]
    headers: dict[str, str]

    @property
    def idempotency_key(self) -> str | None:
        return self.headers.get("Idempotency-Key")


@dataclass
class FakeStripe(stripe.HTTPClient):
    name = "fake-stripe"
    sent: list[SentRequest] = field(default_factory=list)
    customers: dict[str, dict] = field(default_factory=dict)
    sessions: dict[str, dict] = field(default_factory=dict)
    undelivered_events: list[dict] = field(default_factory=list)
    setup_intents: dict[str, dict] = field(default_factory=dict)
    payment_methods: dict[str, dict] = field(default_factory=dict)
    payment_intents: dict[str, dict] = field(default_factory=dict)
    # Payment method id -> what its next charges do, in turn: "succeeded", "declined",
    # "authentication_required", "expired_card", "processing" (a bank debit). When the
    # list is empty: a card succeeds, a bank account is processing.
    outcomes: dict[str, list[str]] = field(default_factory=dict)
    down: bool = False  # every request fails to connect
    # Stripe acts on each request, and its answer is lost on the way back (a timeout, a
    # dropped connection): the caller sees no answer.
    answers_lost: bool = False
    refuse: dict | None = None  # the next request gets this Stripe error (status 400)
    _replies: dict[str, tuple[str, int, dict]] = field(default_factory=dict)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        super().__init__()

    # --- the SDK's HTTPClient interface ---------------------------------------------

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        parts = urlsplit(url)
        params = dict(parse_qsl(post_data or parts.query, keep_blank_values=True))
        sent = SentRequest(method.upper(), parts.path, params, dict(headers or {}))
        self.sent.append(sent)
        if self.down:
            raise stripe.APIConnectionError(
                "Could not connect to Stripe (the test says it is down)."
            )
        if self.refuse is not None:
            error, self.refuse = self.refuse, None
            return json.dumps({"error": error}), 400, {"request-id": "req_refused"}
        key = sent.idempotency_key
        if key and key in self._replies:
            return self._replies[key]  # Stripe answers a repeated key with its first answer
        status, body = self._route(sent)
        reply = (json.dumps(body), status, {"request-id": f"req_{next(self._ids)}"})
        if key and sent.method == "POST":
            self._replies[key] = reply
        if self.answers_lost:
            raise stripe.APIConnectionError("Read timed out (the test lost Stripe's answer).")
        return reply

    def close(self) -> None:
        pass

    # --- routes -------------------------------------------------------------------

    def _route(self, sent: SentRequest) -> tuple[int, dict]:
        path = sent.path
        if sent.method == "POST" and path == "/v1/customers":
            return 200, self._customer_create(sent.params)
        if sent.method == "POST" and path == "/v1/checkout/sessions":
            customer = sent.params.get("customer")
            if customer and customer not in self.customers:
                return 400, _error(
                    f"No such customer: '{customer}'", code="resource_missing", param="customer"
                )
            return 200, self._session_create(sent.params)
        if sent.method == "GET" and path.startswith("/v1/checkout/sessions/"):
            session = self.sessions.get(path.rsplit("/", 1)[1])
            if session is None:
                return 404, _error("No such checkout.session", code="resource_missing", param="id")
            return 200, session
        if sent.method == "GET" and path.startswith("/v1/setup_intents/"):
            intent = self.setup_intents.get(path.rsplit("/", 1)[1])
            if intent is None:
                return 404, _error("No such setupintent", code="resource_missing", param="intent")
            expanded = dict(intent)
            if "expand[0]" in sent.params and intent["payment_method"]:
                expanded["payment_method"] = self.payment_methods[intent["payment_method"]]
            return 200, expanded
        if sent.method == "POST" and path.startswith("/v1/customers/"):
            customer = self.customers.get(path.rsplit("/", 1)[1])
            if customer is None:
                return 404, _error("No such customer", code="resource_missing", param="customer")
            default = sent.params.get("invoice_settings[default_payment_method]")
            customer.setdefault("invoice_settings", {})["default_payment_method"] = default
            return 200, customer
        if sent.method == "POST" and path.endswith("/detach"):
            method = self.payment_methods.get(path.split("/")[-2])
            if method is None:
                return 404, _error("No such PaymentMethod", code="resource_missing")
            method["customer"] = None
            return 200, method
        if sent.method == "POST" and path == "/v1/payment_intents":
            return self._payment_intent_create(sent.params)
        if sent.method == "GET" and path == "/v1/payment_intents":
            since = int(sent.params.get("created[gte]", 0))
            found = [
                intent
                for intent in self.payment_intents.values()
                if intent["customer"] == sent.params.get("customer") and intent["created"] >= since
            ]
            return 200, {
                "object": "list",
                "url": "/v1/payment_intents",
                "has_more": False,
                "data": sorted(found, key=lambda intent: -intent["created"]),
            }
        if sent.method == "GET" and path.startswith("/v1/payment_intents/"):
            intent = self.payment_intents.get(path.rsplit("/", 1)[1])
            if intent is None:
                return 404, _error("No such payment_intent", code="resource_missing")
            return 200, intent
        if sent.method == "GET" and path == "/v1/events":
            return 200, {
                "object": "list",
                "url": "/v1/events",
                "has_more": False,
                "data": self.undelivered_events,
            }
        return 404, _error(f"Unrecognized request URL ({sent.method}: {path})")

    def _customer_create(self, params: dict[str, str]) -> dict:
        customer = {
            "id": f"cus_test{next(self._ids):06d}",
            "object": "customer",
            "email": params.get("email"),
            "name": params.get("name"),
            "livemode": False,
            "metadata": _nested(params, "metadata"),
            "created": int(time.time()),
        }
        self.customers[customer["id"]] = customer
        return customer

    def _session_create(self, params: dict[str, str]) -> dict:
        if params["mode"] == "setup":
            return self._setup_session_create(params)
        session_id = f"cs_test_{next(self._ids):06d}"
        session = {
            "id": session_id,
            "object": "checkout.session",
            "amount_subtotal": int(params["line_items[0][price_data][unit_amount]"]),
            "amount_total": int(params["line_items[0][price_data][unit_amount]"]),
            "client_reference_id": params.get("client_reference_id"),
            "created": int(time.time()),
            "currency": params["line_items[0][price_data][currency]"],
            "customer": params.get("customer"),
            "expires_at": int(time.time()) + 86400,
            "livemode": False,
            "metadata": _nested(params, "metadata"),
            "mode": params["mode"],
            "payment_intent": None,
            "payment_method_types": [
                value
                for key, value in sorted(params.items())
                if key.startswith("payment_method_types[")
            ],
            "payment_status": "unpaid",
            "status": "open",
            "success_url": params["success_url"],
            "cancel_url": params["cancel_url"],
            "url": f"https://checkout.stripe.com/c/pay/{session_id}",
        }
        self.sessions[session_id] = session
        return session

    def _setup_session_create(self, params: dict[str, str]) -> dict:
        session = canonical("checkout.session")
        session_id = f"cs_test_{next(self._ids):06d}"
        session.update(
            id=session_id,
            amount_subtotal=None,
            amount_total=None,
            client_reference_id=params.get("client_reference_id"),
            created=int(time.time()),
            currency=params.get("currency"),
            customer=params.get("customer"),
            livemode=False,
            metadata=_nested(params, "metadata"),
            mode="setup",
            payment_intent=None,
            payment_status="no_payment_required",
            setup_intent=None,
            status="open",
            success_url=params["success_url"],
            cancel_url=params["cancel_url"],
            url=f"https://checkout.stripe.com/c/pay/{session_id}",
        )
        self.sessions[session_id] = session
        return session

    def _payment_intent_create(self, params: dict[str, str]) -> tuple[int, dict]:
        method = self.payment_methods.get(params.get("payment_method", ""))
        if method is None or method.get("customer") != params.get("customer"):
            return 400, _error("No such PaymentMethod", code="resource_missing")
        planned = self.outcomes.get(method["id"]) or []
        default = "processing" if method["type"] == "us_bank_account" else "succeeded"
        outcome = planned.pop(0) if planned else default
        intent = canonical("payment_intent")
        intent.update(
            id=f"pi_test_{next(self._ids):06d}",
            amount=int(params["amount"]),
            amount_received=int(params["amount"]) if outcome == "succeeded" else 0,
            automatic_payment_methods=None,
            canceled_at=None,
            client_secret=None,
            confirmation_method="automatic",
            created=int(time.time()),
            currency=params["currency"],
            customer=params["customer"],
            description=params.get("description"),
            last_payment_error=None,
            latest_charge=None,
            livemode=False,
            metadata=_nested(params, "metadata"),
            next_action=None,
            payment_method=method["id"],
            payment_method_types=[method["type"]],
            processing=None,
            status=outcome if outcome in ("succeeded", "processing") else "requires_payment_method",
        )
        self.payment_intents[intent["id"]] = intent
        if outcome in ("succeeded", "processing"):
            return 200, intent
        messages = {
            "declined": ("card_declined", "generic_decline", "Your card was declined."),
            "authentication_required": (
                "authentication_required",
                "authentication_required",
                "Your card was declined. This transaction requires authentication.",
            ),
            "expired_card": ("expired_card", "expired_card", "Your card has expired."),
        }
        code, decline_code, message = messages[outcome]
        error = {
            "type": "card_error",
            "code": code,
            "decline_code": decline_code,
            "message": message,
            "payment_method": method,
        }
        intent["last_payment_error"] = error
        return 402, {"error": {**error, "payment_intent": intent}}

    # --- what happens on Stripe's side --------------------------------------------

    def complete_setup(
        self, session_id: str, *, kind: str = "card", last4: str = "4242", brand: str = "visa"
    ) -> dict:
        """The member saved a card (or a bank account, with its mandate) at Checkout."""
        session = self.sessions[session_id]
        method = canonical("payment_method")
        method.update(id=f"pm_test_{next(self._ids):06d}", customer=session["customer"], type=kind)
        if kind == "card":
            method["card"].update(brand=brand, display_brand=brand, last4=last4)
        else:
            method.pop("card", None)
            method["us_bank_account"] = {
                "account_holder_type": "individual",
                "account_type": "checking",
                "bank_name": brand,
                "last4": last4,
                "routing_number": "110000000",
            }
        self.payment_methods[method["id"]] = method
        intent = canonical("setup_intent")
        intent.update(
            id=f"seti_test_{next(self._ids):06d}",
            customer=session["customer"],
            last_setup_error=None,
            next_action=None,
            metadata=session["metadata"],
            payment_method=method["id"],
            payment_method_types=[kind],
            status="succeeded",
        )
        self.setup_intents[intent["id"]] = intent
        session.update(status="complete", setup_intent=intent["id"])
        return dict(session)

    def intent_settles(self, intent_id: str, *, succeeded: bool = True) -> dict:
        """A bank debit cleared (or bounced)."""
        intent = self.payment_intents[intent_id]
        if succeeded:
            intent.update(status="succeeded", amount_received=intent["amount"])
        else:
            intent.update(
                status="requires_payment_method",
                last_payment_error={
                    "type": "card_error",
                    "code": "payment_intent_payment_attempt_failed",
                    "message": "The customer's bank account has insufficient funds.",
                },
            )
        return dict(intent)

    def complete(self, session_id: str, *, paid: bool = True) -> dict:
        """The member finished Checkout: paid by card, or an ACH debit still clearing."""
        session = self.sessions[session_id]
        session.update(
            status="complete",
            payment_status="paid" if paid else "unpaid",
            payment_intent=session["payment_intent"] or f"pi_test_{session_id[8:]}",
        )
        return dict(session)

    def settle(self, session_id: str) -> dict:
        """The bank debit cleared."""
        self.sessions[session_id]["payment_status"] = "paid"
        return dict(self.sessions[session_id])

    def expire(self, session_id: str) -> dict:
        self.sessions[session_id]["status"] = "expired"
        return dict(self.sessions[session_id])

    def requests_to(self, method: str, path: str) -> list[SentRequest]:
        return [r for r in self.sent if r.method == method and r.path == path]


def _nested(params: dict[str, str], name: str) -> dict[str, str]:
    prefix = f"{name}["
    return {
        k[len(prefix) : -1]: v
        for k, v in params.items()
        if k.startswith(prefix) and k.count("[") == 1
    }


def _error(message: str, *, code: str | None = None, param: str | None = None) -> dict:
    return {
        "error": {"type": "invalid_request_error", "message": message, "code": code, "param": param}
    }


# --- Events, signed as Stripe signs them ----------------------------------------------

_event_ids = itertools.count(1)


def stripe_event(
    event_type: str, obj: dict, *, livemode: bool = False, event_id: str | None = None
) -> dict:
    return {
        "id": event_id or f"evt_test_{next(_event_ids):06d}",
        "object": "event",
        "api_version": API_VERSION,
        "created": int(time.time()),
        "data": {"object": obj},
        "livemode": livemode,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
    }


def sign(body: str, secret: str, timestamp: int | None = None) -> str:
    """The Stripe-Signature header: t=<ts>,v1=HMAC-SHA256(secret, "<ts>.<body>")."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


CANONICAL = Path(__file__).with_name("data") / "stripe_canonical.json"


def canonical(resource: str) -> dict:
    """A fresh copy of Stripe's own example object (its OpenAPI fixtures), every field
    present, including those that are null in real life (a charge's `payment_intent`)."""
    return copy.deepcopy(_canonical_objects()[resource])


@functools.cache
def _canonical_objects() -> dict:
    return json.loads(CANONICAL.read_text())["resources"]


def charge(
    payment_intent: str | None, *, amount: int, refunded: int = 0, metadata: dict | None = None
) -> dict:
    """Stripe's canonical charge, changed only where the case needs it."""
    obj = canonical("charge")
    if payment_intent:
        obj["id"] = f"ch_{payment_intent[3:]}"
    obj.update(
        amount=amount,
        amount_captured=amount,
        amount_refunded=refunded,
        captured=True,
        metadata=metadata or {},
        payment_intent=payment_intent,
        refunded=refunded == amount,
        status="succeeded",
    )
    return obj


def dispute(payment_intent: str | None, *, amount: int, reason: str = "fraudulent") -> dict:
    """Stripe's canonical dispute, changed only where the case needs it."""
    obj = canonical("dispute")
    if payment_intent:
        obj.update(id=f"dp_{payment_intent[3:]}", charge=f"ch_{payment_intent[3:]}")
    obj.update(amount=amount, payment_intent=payment_intent, reason=reason)
    return obj
