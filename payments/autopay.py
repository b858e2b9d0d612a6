"""Autopay: a member saves a card or a bank account with Stripe (Checkout in setup mode);
when a period is charged, and on the local's retry schedule, each member on autopay is
charged off-session for what they owe, never more, never twice, and never while their
employer deducts their dues (check-off).

Exactly once: a member has one AutopayCollection per period (a unique index), and each
attempt at it is a PaymentIntent created with the idempotency key (member, period,
attempt number). The attempt number is written in the same transaction as Stripe's
answer, under a lock on the collection; so a run that dies after Stripe charged, or two
runs at once, ask Stripe again with the same key and get its first answer back."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from audit.actors import Actor, actor_checked, saved_by
from audit.context import acting_as
from dues.models import DuesPeriod
from dues.selectors import dues_rates_on, members_deducted_at_source
from members.models import Member, MemberStatus

from .models import (
    OPEN_COLLECTION,
    Autopay,
    AutopayCollection,
    AutopayStatus,
    CollectionStatus,
)
from .services import CheckoutRefused, StripeUnavailable, customer_for
from .stripe_client import (
    StripeError,
    checkout_session_create,
    customer_default_payment_method_set,
    failure_message,
    metadata_id,
    setup_intent_retrieve,
    stripe_configured,
    stripe_id,
)
from .tasks import autopay_notice_email, payment_method_detach_later

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

SYSTEM_ACTOR = "autopay"
PURPOSE = "autopay"


# --- Enrolment ------------------------------------------------------------------------------


def autopay_setup_start(
    *, member: Member, actor: AbstractBaseUser, success_url: str, cancel_url: str
) -> str:
    """A Stripe Checkout Session in setup mode where the member saves a card or a bank
    account (with its mandate) for autopay; its address. Nothing is charged there."""
    if not stripe_configured():
        raise CheckoutRefused("Online payment is not set up yet. Please pay at the union office.")
    if member.status != MemberStatus.ACTIVE:
        raise CheckoutRefused("Autopay is for active members: please ask the union office.")
    if members_deducted_at_source(timezone.localdate(), [member.pk]):
        raise CheckoutRefused(
            "Your employer deducts your dues from your pay (check-off): autopay is not needed."
        )
    metadata = {
        "unionhall_member_id": str(member.pk),
        "unionhall_purpose": PURPOSE,
        "member_number": member.member_number,
    }
    params = {
        "mode": "setup",
        "currency": settings.STRIPE_CURRENCY,
        "client_reference_id": f"{member.pk}-autopay",
        "payment_method_types": settings.STRIPE_PAYMENT_METHOD_TYPES,
        "metadata": metadata,
        "setup_intent_data": {"metadata": metadata},
        "success_url": f"{success_url}?session_id={{CHECKOUT_SESSION_ID}}",
        "cancel_url": cancel_url,
    }
    autopay = Autopay.objects.filter(member=member).first()
    attempt = Autopay.history.filter(member_id=member.pk).count() + 1 if autopay else 1
    try:
        session, _ = customer_for(
            member,
            lambda customer, suffix: checkout_session_create(
                params={**params, "customer": customer},
                idempotency_key=f"unionhall-autopay-setup-{member.pk}-{attempt}{suffix}",
            ),
            actor=actor,
        )
    except StripeError as exc:
        raise StripeUnavailable(failure_message(exc)) from exc
    with transaction.atomic():
        with acting_as(actor_checked(actor)):  # the autopay row, when this makes it
            autopay, _ = Autopay.objects.select_for_update().get_or_create(member=member)
        autopay.setup_session_id = session["id"]
        if autopay.status != AutopayStatus.ACTIVE:  # a change of card keeps the old one on
            autopay.status = AutopayStatus.SETTING_UP
        saved_by(autopay, actor=actor)
    return session.get("url") or ""


def _method_shown(payment_method: Mapping[str, Any]) -> dict[str, str]:
    kind = payment_method.get("type") or ""
    details = payment_method.get(kind) or {}
    brand = details.get("brand") if kind == "card" else details.get("bank_name")
    return {"method_type": kind, "brand": brand or "", "last4": details.get("last4") or ""}


@transaction.atomic
def autopay_setup_complete(session: Mapping[str, Any], *, actor: Actor) -> str:
    """The member saved a payment method (the setup checkout completed): make it their
    customer's default and turn autopay on. Idempotent. Returns why it was not applied."""
    metadata = session.get("metadata") or {}
    member_id = metadata_id(metadata, "unionhall_member_id")
    member = Member.objects.filter(pk=member_id).first() if member_id else None
    if member is None or metadata.get("unionhall_purpose") != PURPOSE:
        return "Not an autopay setup of ours."
    customer = stripe_id(session.get("customer"))
    if customer != member.stripe_customer_id:
        return f"Customer {customer} is not member {member.member_number}'s."
    intent = session.get("setup_intent")
    if not isinstance(intent, Mapping) or not isinstance(intent.get("payment_method"), Mapping):
        intent = setup_intent_retrieve(stripe_id(intent) or "")
    if intent.get("status") != "succeeded":
        # A bank account still being verified: autopay starts when it is.
        return f"The setup is {intent.get('status')}: autopay starts once it succeeds."
    payment_method = intent["payment_method"]
    # Lock the member's autopay: the webhook and the return page may report it together.
    with acting_as(actor_checked(actor)):  # the autopay row, when this makes it
        autopay, _ = Autopay.objects.select_for_update().get_or_create(member=member)
    if autopay.status == AutopayStatus.ACTIVE and autopay.payment_method_id == payment_method["id"]:
        return ""
    customer_default_payment_method_set(customer=customer, payment_method=payment_method["id"])
    changed_method = autopay.status == AutopayStatus.ACTIVE
    autopay.status = AutopayStatus.ACTIVE
    autopay.payment_method_id = payment_method["id"]
    for name, value in _method_shown(payment_method).items():
        setattr(autopay, name, value)
    autopay.enrolled_at = timezone.now()
    autopay.ended_at, autopay.ended_reason = None, ""
    saved_by(autopay, actor=actor)
    what = "changed" if changed_method else "on"
    transaction.on_commit(lambda: autopay_notice_email.enqueue(member.pk, what))
    return ""


@transaction.atomic
def autopay_cancel(*, member: Member, actor: Actor, reason: str) -> Autopay:
    """Stop autopay: nothing more is collected, retries stop, and the saved payment method
    is removed from Stripe. A bank debit already clearing still clears."""
    autopay = Autopay.objects.select_for_update().filter(member=member).first()
    if autopay is None or autopay.status not in (AutopayStatus.ACTIVE, AutopayStatus.SETTING_UP):
        raise ValidationError("Autopay is not on.")
    _autopay_end(autopay, AutopayStatus.CANCELLED, reason, actor)
    transaction.on_commit(lambda: autopay_notice_email.enqueue(member.pk, "cancelled"))
    return autopay


def _autopay_end(autopay: Autopay, status: str, reason: str, actor: Actor) -> None:
    method = autopay.payment_method_id
    autopay.status = status
    autopay.ended_at = timezone.now()
    autopay.ended_reason = reason[:200]
    saved_by(autopay, actor=actor)
    waiting = AutopayCollection.objects.select_for_update().filter(
        member_id=autopay.member_id,
        # Not a pending attempt: Stripe may have charged it; it is asked about, not dropped.
        status__in=[CollectionStatus.FAILED, CollectionStatus.REQUIRES_ACTION],
    )
    for collection in waiting:
        collection.status = CollectionStatus.CANCELLED
        collection.next_attempt_on = None
        collection.last_error = f"Autopay ended: {reason}"[:500]
        saved_by(collection, actor=actor)
    if method and status == AutopayStatus.CANCELLED:
        transaction.on_commit(lambda: payment_method_detach_later.enqueue(method))


@transaction.atomic
def autopay_method_gone(payment_method_id: str, why: str, *, actor: Actor) -> bool:
    """The saved payment method was detached or has expired: autopay turns off, and the
    member is told. False when it is not an autopay's method (or already off)."""
    autopay = (
        Autopay.objects.select_for_update()
        .filter(payment_method_id=payment_method_id, status=AutopayStatus.ACTIVE)
        .first()
    )
    if autopay is None:
        return False
    _autopay_end(autopay, AutopayStatus.OFF, why, actor)
    member_id = autopay.member_id
    transaction.on_commit(lambda: autopay_notice_email.enqueue(member_id, "off"))
    return True


# --- What the member's page shows -------------------------------------------------------------


@dataclass(frozen=True)
class NextCollection:
    on: datetime.date | None
    amount: Decimal


def autopay_next(member: Member, balance: Decimal) -> NextCollection | None:
    """When autopay next collects from the member, and about how much: a retry's day, or
    the next period's due date (what they owe then: their balance and that month's dues)."""
    today = timezone.localdate()
    retry = (
        AutopayCollection.objects.filter(member=member, status__in=OPEN_COLLECTION)
        .order_by("next_attempt_on")
        .first()
    )
    if retry is not None:
        return NextCollection(retry.next_attempt_on, max(balance, Decimal("0.00")))
    period = (
        DuesPeriod.objects.filter(due_date__gte=today)
        .exclude(charges__member=member)
        .order_by("due_date")
        .first()
    )
    day = period.due_date if period else None
    rate = dues_rates_on(period.first_day if period else today).get(member.classification_id)
    monthly = rate.monthly_amount if rate else Decimal("0.00")
    return NextCollection(day, max(balance, Decimal("0.00")) + monthly)
