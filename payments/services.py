"""Online dues payment: starting a Stripe Checkout, and fulfilling it exactly once."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from audit.actors import Actor, actor_checked, person, saved_by
from audit.context import acting_as
from dues.models import DuesPeriod, PaymentMethod, PaymentStatus
from dues.selectors import member_dues_summary, period_outstanding
from dues.services import payment_online_record
from dues.tasks import receipt_email
from members.models import Member

from .models import CheckoutSession, CheckoutStatus
from .stripe_client import (
    StripeError,
    checkout_session_create,
    customer_create,
    failure_message,
    is_unknown_customer,
    stripe_configured,
    stripe_id,
    stripe_livemode,
    to_cents,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

# An unfinished checkout for the same amount is offered again for this long.
REUSE_OPEN_CHECKOUT_FOR = datetime.timedelta(hours=1)


class CheckoutRefused(Exception):
    """Nothing to pay, or online payment is not set up: said to the member as it is."""


class StripeUnavailable(Exception):
    """Stripe did not answer, or refused: nothing was written."""


def checkout_start(
    *,
    member: Member,
    period: DuesPeriod | None,
    actor: AbstractBaseUser,
    success_url: str,
    cancel_url: str,
) -> CheckoutSession:
    """A Stripe Checkout Session for what the member owes on `period` (no period: all they
    owe, in one payment), and our record of it.

    The amount is computed here, never taken from the browser. The same click sent twice
    gets the same session (a deterministic idempotency key per attempt)."""
    what = str(period) if period else "your dues"
    owed = period_outstanding(member, period) if period else member_dues_summary(member).balance
    if owed <= 0:
        raise CheckoutRefused(f"Nothing is owed for {what}: no payment is needed.")
    # A bank payment still clearing for this period, or for everything, covers it already.
    clearing = (
        CheckoutSession.objects.filter(member=member, status=CheckoutStatus.PROCESSING)
        .filter(Q(period__isnull=True) | Q(period=period) if period else Q())
        .first()
    )
    if clearing is not None:
        raise CheckoutRefused(
            f"A bank payment of {clearing.amount} for {what} is still clearing (started "
            f"{clearing.created_at:%b %d}). It usually takes a few business days; if it "
            "fails, you can pay again."
        )
    if not stripe_configured():
        raise CheckoutRefused("Online payment is not set up yet. Please pay at the union office.")

    recent = (
        CheckoutSession.objects.filter(
            member=member,
            period=period,
            amount=owed,
            status=CheckoutStatus.OPEN,
            created_at__gte=timezone.now() - REUSE_OPEN_CHECKOUT_FOR,
        )
        .order_by("-created_at")
        .first()
    )
    if recent is not None:
        return recent

    cents = to_cents(owed)
    attempt = CheckoutSession.objects.filter(member=member, period=period).count() + 1
    key = f"unionhall-checkout-{member.pk}-{_period_ref(period)}-{cents}-{attempt}"
    params = _checkout_params(member, period, cents, success_url, cancel_url)
    try:
        session, _ = customer_for(
            member,
            lambda customer, suffix: checkout_session_create(
                params={**params, "customer": customer}, idempotency_key=f"{key}{suffix}"
            ),
            actor=actor,
        )
    except StripeError as exc:
        raise StripeUnavailable(failure_message(exc)) from exc

    with transaction.atomic():
        try:
            with transaction.atomic():
                return CheckoutSession.objects.create(
                    member=member,
                    period=period,
                    amount=owed,
                    currency=settings.STRIPE_CURRENCY,
                    livemode=stripe_livemode(),
                    stripe_session_id=session["id"],
                    url=session.get("url") or "",
                    idempotency_key=key,
                    started_by=person(actor),
                )
        except IntegrityError:  # the same click, twice: Stripe gave both the same session
            return CheckoutSession.objects.get(stripe_session_id=session["id"])


def customer_for(
    member: Member,
    create: Callable[[str, str], dict[str, Any]],
    *,
    actor: Actor,
) -> tuple[dict[str, Any], str]:
    """`create(customer_id, key_suffix)` with the member's Stripe customer, made first if
    they have none, and made again if Stripe no longer knows theirs (deleted, or from the
    other mode, test or live); the customer kept on the member. Returns what `create` gave
    and the customer id."""
    customer_id = member.stripe_customer_id or _customer_create(member)
    try:
        made = create(customer_id, "")
    except StripeError as exc:
        if not is_unknown_customer(exc):
            raise
        customer_id = _customer_create(member, replacing=customer_id)
        made = create(customer_id, f"-{customer_id}")
    if customer_id != member.stripe_customer_id:
        with transaction.atomic():
            # Lock the member row: another request may be saving its customer too.
            locked = Member.objects.select_for_update().get(pk=member.pk)
            locked.stripe_customer_id = customer_id
            saved_by(locked, actor=actor, update_fields=["stripe_customer_id", "updated_at"])
        member.stripe_customer_id = customer_id
    return made, customer_id


def _customer_create(member: Member, replacing: str | None = None) -> str:
    return customer_create(
        params={
            "name": member.full_name,
            "email": member.email or None,
            "metadata": {
                "unionhall_member_id": str(member.pk),
                "member_number": member.member_number,
            },
        },
        idempotency_key=f"unionhall-customer-{member.pk}-{replacing or 'first'}",
    )


def _period_ref(period: DuesPeriod | None) -> str:
    """How a checkout names its period to Stripe: its id, or "all" for all that is owed."""
    return str(period.pk) if period else "all"


def _metadata(member: Member, period: DuesPeriod | None) -> dict[str, str]:
    return {
        "unionhall_member_id": str(member.pk),
        "unionhall_period_id": str(period.pk) if period else "",
        "member_number": member.member_number,
        "period": str(period) if period else "all owed",
    }


def _checkout_params(
    member: Member, period: DuesPeriod | None, cents: int, success_url: str, cancel_url: str
) -> dict[str, Any]:
    metadata = _metadata(member, period)
    what = f"Union dues {period}" if period else "Union dues, all owed"
    return {
        "mode": "payment",
        "client_reference_id": f"{member.pk}-{_period_ref(period)}",
        "payment_method_types": settings.STRIPE_PAYMENT_METHOD_TYPES,
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": settings.STRIPE_CURRENCY,
                    "unit_amount": cents,
                    "product_data": {"name": f"{what} (member {member.member_number})"},
                },
            }
        ],
        "metadata": metadata,
        "payment_intent_data": {"metadata": metadata},
        "success_url": f"{success_url}?session_id={{CHECKOUT_SESSION_ID}}",
        "cancel_url": cancel_url,
    }


# --- Fulfilment ---------------------------------------------------------------------------


@dataclass
class Fulfilment:
    checkout: CheckoutSession | None
    changed: bool = False
    review: str = ""  # why it was not applied


def checkout_mismatches(checkout: CheckoutSession, session: Mapping[str, Any]) -> list[str]:
    """What Stripe reports that differs from what we asked for."""
    metadata = session.get("metadata") or {}
    checks = [
        ("livemode", session.get("livemode"), checkout.livemode),
        ("amount_total", session.get("amount_total"), to_cents(checkout.amount)),
        ("currency", (session.get("currency") or "").lower(), checkout.currency.lower()),
        (
            "metadata.unionhall_member_id",
            metadata.get("unionhall_member_id"),
            str(checkout.member_id),
        ),
        (
            "metadata.unionhall_period_id",
            metadata.get("unionhall_period_id"),
            str(checkout.period_id or ""),
        ),
    ]
    return [
        f"{name}: Stripe says {got!r}, we asked {asked!r}"
        for name, got, asked in checks
        if got != asked
    ]


@transaction.atomic
def checkout_fulfil(
    session: Mapping[str, Any],
    *,
    actor: Actor,
    settled_later: bool = False,
    failed: bool = False,
    reported_at: datetime.datetime | None = None,
) -> Fulfilment:
    """Apply what Stripe says of a checkout session to our ledger, once, whoever asks (the
    webhook, the success page, reconciliation: `actor`) and however often.

    `settled_later`: the report is Stripe's async success (a bank payment that cleared).
    `failed`: the report is Stripe's async failure.
    `reported_at`: when Stripe said so (its event's time): the money's received date,
    however late the event is delivered or reconciled."""
    with acting_as(actor_checked(actor)):  # every row it changes names who asked
        return _fulfilled(
            session,
            actor=actor,
            settled_later=settled_later,
            failed=failed,
            reported_at=reported_at,
        )


def _fulfilled(
    session: Mapping[str, Any],
    *,
    actor: Actor,
    settled_later: bool,
    failed: bool,
    reported_at: datetime.datetime | None,
) -> Fulfilment:
    session_id = stripe_id(session.get("id"))
    # Lock our record: the webhook, the success page and a retry may arrive together.
    checkout = (
        # Our row alone: the period may be none (everything owed), an outer join that
        # PostgreSQL will not lock.
        CheckoutSession.objects.select_for_update(of=("self",))
        .select_related("member", "period")
        .filter(stripe_session_id=session_id)
        .first()
        if session_id
        else None
    )
    if checkout is None:
        return Fulfilment(None, review="No checkout of ours has this session id.")
    if checkout.status == CheckoutStatus.NEEDS_REVIEW:
        return Fulfilment(checkout, review=checkout.review_note)
    problems = checkout_mismatches(checkout, session)
    if problems:
        return _hold_for_review(checkout, "; ".join(problems))

    if failed:
        status = PaymentStatus.FAILED
    elif session.get("payment_status") == "paid":
        status = PaymentStatus.SUCCEEDED
    elif session.get("status") == "complete":
        status = PaymentStatus.PENDING  # a bank payment, not cleared yet: it covers nothing
    elif session.get("status") == "expired":
        if checkout.status == CheckoutStatus.OPEN:
            _checkout_status(checkout, CheckoutStatus.EXPIRED)
            return Fulfilment(checkout, changed=True)
        return Fulfilment(checkout)
    else:
        return Fulfilment(checkout)  # still open: the member has not paid yet

    change = payment_online_record(
        actor=actor,
        member=checkout.member,
        amount=checkout.amount,
        method=_method(checkout, session, status, settled_later),
        status=status,
        checkout_session_id=checkout.stripe_session_id,
        payment_intent_id=stripe_id(session.get("payment_intent")),
        received_date=timezone.localdate(reported_at) if reported_at else None,
    )
    if change.conflict:
        return _hold_for_review(checkout, change.conflict)
    # A refunded payment was paid first: its checkout stays paid.
    new_status = _CHECKOUT_STATUS_OF_PAYMENT.get(change.payment.status, CheckoutStatus.PAID)
    if checkout.payment_id != change.payment.pk or checkout.status != new_status:
        checkout.payment = change.payment
        _checkout_status(checkout, new_status)
    if change.changed and change.payment.status == PaymentStatus.SUCCEEDED:
        # Queued with the payment (it goes out only if the payment is kept), sent by a
        # worker: a mail server that fails never fails the payment.
        receipt_email.enqueue(change.payment.pk)
    return Fulfilment(checkout, changed=change.changed)


_CHECKOUT_STATUS_OF_PAYMENT = {
    PaymentStatus.PENDING: CheckoutStatus.PROCESSING,
    PaymentStatus.SUCCEEDED: CheckoutStatus.PAID,
    PaymentStatus.FAILED: CheckoutStatus.FAILED,
}


def _method(
    checkout: CheckoutSession, session: Mapping[str, Any], status: str, settled_later: bool
) -> str:
    """Card payments are paid when the checkout completes; bank (ACH) payments settle
    later, or fail later."""
    later = settled_later or checkout.status == CheckoutStatus.PROCESSING
    if later or status != PaymentStatus.SUCCEEDED:
        return PaymentMethod.STRIPE_ACH
    methods = session.get("payment_method_types") or ["card"]
    return PaymentMethod.STRIPE_CARD if "card" in methods else PaymentMethod.STRIPE_OTHER


def _checkout_status(checkout: CheckoutSession, status: str, note: str = "") -> None:
    checkout.status = status
    if note:
        checkout.review_note = note
    checkout.save()


def _hold_for_review(checkout: CheckoutSession, why: str) -> Fulfilment:
    _checkout_status(checkout, CheckoutStatus.NEEDS_REVIEW, why)
    return Fulfilment(checkout, review=why)
