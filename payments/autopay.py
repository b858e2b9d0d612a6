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
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.context import acting_as
from dues.models import DuesPeriod, MemberLedger, PaymentMethod, PaymentStatus
from dues.selectors import dues_rates_on, members_deducted_at_source
from dues.services import payment_online_record
from dues.tasks import receipt_email
from jobs.progress import Progress
from members.models import Member, MemberStatus

from .models import (
    OPEN_COLLECTION,
    Autopay,
    AutopayCollection,
    AutopayStatus,
    CheckoutSession,
    CheckoutStatus,
    CollectionStatus,
)
from .services import CheckoutRefused, StripeUnavailable, customer_for
from .stripe_client import (
    StripeError,
    checkout_session_create,
    customer_default_payment_method_set,
    failure_message,
    payment_intent_create,
    setup_intent_retrieve,
    stripe_configured,
    stripe_id,
    to_cents,
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
        autopay, _ = Autopay.objects.select_for_update().get_or_create(member=member)
        autopay.setup_session_id = session["id"]
        if autopay.status != AutopayStatus.ACTIVE:  # a change of card keeps the old one on
            autopay.status = AutopayStatus.SETTING_UP
        autopay._history_user = actor
        autopay.save()
    return session.get("url") or ""


def _method_shown(payment_method: Mapping[str, Any]) -> dict[str, str]:
    kind = payment_method.get("type") or ""
    details = payment_method.get(kind) or {}
    brand = details.get("brand") if kind == "card" else details.get("bank_name")
    return {"method_type": kind, "brand": brand or "", "last4": details.get("last4") or ""}


@transaction.atomic
def autopay_setup_complete(session: Mapping[str, Any]) -> str:
    """The member saved a payment method (the setup checkout completed): make it their
    customer's default and turn autopay on. Idempotent. Returns why it was not applied."""
    metadata = session.get("metadata") or {}
    member = Member.objects.filter(pk=int(metadata.get("unionhall_member_id") or 0)).first()
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
    autopay.save()
    what = "changed" if changed_method else "on"
    transaction.on_commit(lambda: autopay_notice_email.enqueue(member.pk, what))
    return ""


@transaction.atomic
def autopay_cancel(*, member: Member, actor: AbstractBaseUser | None, reason: str) -> Autopay:
    """Stop autopay: nothing more is collected, retries stop, and the saved payment method
    is removed from Stripe. A bank debit already clearing still clears."""
    autopay = Autopay.objects.select_for_update().filter(member=member).first()
    if autopay is None or autopay.status not in (AutopayStatus.ACTIVE, AutopayStatus.SETTING_UP):
        raise ValidationError("Autopay is not on.")
    _autopay_end(autopay, AutopayStatus.CANCELLED, reason, actor)
    transaction.on_commit(lambda: autopay_notice_email.enqueue(member.pk, "cancelled"))
    return autopay


def _autopay_end(autopay: Autopay, status: str, reason: str, actor) -> None:
    method = autopay.payment_method_id
    autopay.status = status
    autopay.ended_at = timezone.now()
    autopay.ended_reason = reason[:200]
    autopay._history_user = actor
    autopay.save()
    waiting = AutopayCollection.objects.select_for_update().filter(
        member_id=autopay.member_id,
        status__in=[
            CollectionStatus.PENDING,
            CollectionStatus.FAILED,
            CollectionStatus.REQUIRES_ACTION,
        ],
    )
    for collection in waiting:
        collection.status = CollectionStatus.CANCELLED
        collection.next_attempt_on = None
        collection.last_error = f"Autopay ended: {reason}"[:500]
        collection._history_user = actor
        collection.save()
    if method and status == AutopayStatus.CANCELLED:
        transaction.on_commit(lambda: payment_method_detach_later.enqueue(method))


@transaction.atomic
def autopay_method_gone(payment_method_id: str, why: str) -> bool:
    """The saved payment method was detached or has expired: autopay turns off, and the
    member is told. False when it is not an autopay's method (or already off)."""
    autopay = (
        Autopay.objects.select_for_update()
        .filter(payment_method_id=payment_method_id, status=AutopayStatus.ACTIVE)
        .first()
    )
    if autopay is None:
        return False
    _autopay_end(autopay, AutopayStatus.OFF, why, None)
    member_id = autopay.member_id
    transaction.on_commit(lambda: autopay_notice_email.enqueue(member_id, "off"))
    return True


# --- Collecting -----------------------------------------------------------------------------


def retry_days() -> list[int]:
    """Days after a collection's first attempt when it is tried again (AUTOPAY_RETRY_DAYS)."""
    return sorted(settings.AUTOPAY_RETRY_DAYS)


@dataclass
class CollectionRun:
    period: DuesPeriod | None
    asked: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    skipped_checkoff: int = 0
    requests: int = 0
    seconds: float = 0.0

    def count(self, outcome: str) -> None:
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1

    def __str__(self) -> str:
        done = ", ".join(f"{n} {what}" for what, n in sorted(self.outcomes.items())) or "nothing"
        skipped = f"; {self.skipped_checkoff} on check-off skipped" if self.skipped_checkoff else ""
        rate = f" ({self.requests / self.seconds:.0f} requests/s)" if self.seconds else ""
        return f"Autopay {self.period or 'retries'}: {done}{skipped}{rate}."


class RequestPace:
    """At most `per_second` requests to Stripe a second (its live-mode limit is 100; we keep
    well under it, leaving room for members paying at the same time)."""

    def __init__(self, per_second: float):
        self.interval = 1 / per_second if per_second > 0 else 0
        self.next_at = time.monotonic()

    def wait(self) -> None:
        now = time.monotonic()
        if self.next_at > now:
            time.sleep(self.next_at - now)
        self.next_at = max(now, self.next_at) + self.interval


def autopay_collect(
    *, period: DuesPeriod, progress: Progress | None = None, today: datetime.date | None = None
) -> CollectionRun:
    """Charge every member on autopay what they owe now (their kept balance), once for this
    period: a member already collected for it, on check-off, or owing nothing is skipped."""
    progress = progress or Progress()
    today = today or timezone.localdate()
    run = CollectionRun(period=period)
    on_autopay = list(
        Autopay.objects.filter(
            status=AutopayStatus.ACTIVE, member__status=MemberStatus.ACTIVE
        ).values_list("member_id", flat=True)
    )
    deducted = members_deducted_at_source(today, on_autopay)
    run.skipped_checkoff = len(deducted)
    owing = dict(
        MemberLedger.objects.filter(
            member_id__in=[m for m in on_autopay if m not in deducted], balance__gt=0
        ).values_list("member_id", "balance")
    )
    # A bank payment still clearing (a checkout or an earlier collection) already covers it;
    # a member collected for this period already is not asked again.
    skipped = {
        "clearing": set(
            CheckoutSession.objects.filter(
                member_id__in=list(owing), status=CheckoutStatus.PROCESSING
            ).values_list("member_id", flat=True)
        )
        | set(
            AutopayCollection.objects.filter(
                member_id__in=list(owing), status=CollectionStatus.PROCESSING
            ).values_list("member_id", flat=True)
        ),
        "already": set(
            AutopayCollection.objects.filter(member_id__in=list(owing), period=period).values_list(
                "member_id", flat=True
            )
        ),
    }
    _superseded(period, set(owing) - skipped["clearing"] - skipped["already"])
    members = Member.objects.select_related("autopay").in_bulk(list(owing))
    progress.step(f"Collecting autopay for {period}", total=len(owing))
    pace = RequestPace(settings.STRIPE_REQUESTS_PER_SECOND)
    started = time.monotonic()
    with acting_as(SYSTEM_ACTOR):
        for member_id, balance in sorted(owing.items()):
            why_not = next((why for why, ids in skipped.items() if member_id in ids), None)
            if why_not:
                run.count(why_not)
            else:
                run.count(_first_attempt(members[member_id], period, balance, pace, run, today))
            progress.advance()
    run.seconds = time.monotonic() - started
    run.asked = len(owing)
    return run


def _superseded(period: DuesPeriod, member_ids: set[int]) -> None:
    """An earlier period's collection still being retried is replaced by this period's,
    which asks for all the member owes."""
    with transaction.atomic():
        for old in AutopayCollection.objects.select_for_update().filter(
            member_id__in=list(member_ids),
            status__in=[CollectionStatus.FAILED, CollectionStatus.REQUIRES_ACTION],
        ):
            old.status, old.next_attempt_on = CollectionStatus.CANCELLED, None
            old.last_error = f"Replaced by the collection for {period}."
            old.save()


def _first_attempt(
    member: Member, period: DuesPeriod, amount: Decimal, pace: RequestPace, run, today
) -> str:
    """The first attempt at the member's collection for the period: Stripe is asked with
    the key of attempt 1, and the collection is written once, with the answer. Two runs at
    once both ask with that key and get the same PaymentIntent back; the unique index keeps
    one collection, and the other run's writing is undone whole."""
    collection = AutopayCollection(member=member, period=period, amount=amount, attempts=1)
    pace.wait()
    run.requests += 1
    try:
        intent = payment_intent_create(
            params=_intent_params(collection, member.autopay),
            idempotency_key=collection.idempotency_key,
        )
    except StripeError as exc:
        return f"stripe error ({failure_message(exc)[:60]})"
    try:
        with transaction.atomic():
            return _intent_applied(collection, intent, today=today)
    except IntegrityError:
        return "already"


def autopay_retry_due(
    *, today: datetime.date | None = None, progress: Progress | None = None
) -> CollectionRun:
    """Try again the collections whose retry day has come (AUTOPAY_RETRY_DAYS)."""
    progress = progress or Progress()
    today = today or timezone.localdate()
    run = CollectionRun(period=None)
    due = list(
        AutopayCollection.objects.filter(
            status__in=[CollectionStatus.FAILED, CollectionStatus.REQUIRES_ACTION],
            next_attempt_on__lte=today,
            member__autopay__status=AutopayStatus.ACTIVE,
        ).values_list("pk", flat=True)
    )
    progress.step("Retrying autopay collections", total=len(due))
    pace = RequestPace(settings.STRIPE_REQUESTS_PER_SECOND)
    started = time.monotonic()
    with acting_as(SYSTEM_ACTOR):
        for pk in due:
            run.count(_attempt(pk, pace, run, today))
            progress.advance()
    run.seconds = time.monotonic() - started
    run.asked = len(due)
    return run


def _attempt(pk: int, pace: RequestPace, run: CollectionRun, today) -> str:
    """A retry of a collection: a new PaymentIntent (the key of the next attempt),
    confirmed off-session with the saved payment method, for no more than is owed now, and
    Stripe's answer, written together under a lock on the collection."""
    with transaction.atomic():
        # Lock the collection; another run holding it is doing this very attempt: skip.
        collection = (
            AutopayCollection.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("member__autopay", "period")
            .filter(
                pk=pk,
                status__in=[CollectionStatus.FAILED, CollectionStatus.REQUIRES_ACTION],
            )
            .first()
        )
        if collection is None:
            return "already"
        owed = MemberLedger.objects.filter(member_id=collection.member_id).values_list(
            "balance", flat=True
        ).first() or Decimal("0.00")
        if owed <= 0:
            collection.status, collection.next_attempt_on = CollectionStatus.CANCELLED, None
            collection.last_error = "Paid otherwise before the retry."
            collection.save()
            return "paid otherwise"
        collection.amount = min(collection.amount, owed)
        collection.attempts += 1
        pace.wait()
        run.requests += 1
        try:
            intent = payment_intent_create(
                params=_intent_params(collection, collection.member.autopay),
                idempotency_key=collection.idempotency_key,
            )
        except StripeError as exc:
            # Nothing is kept: the next run asks again with the same key.
            transaction.set_rollback(True)
            return f"stripe error ({failure_message(exc)[:60]})"
        return _intent_applied(collection, intent, today=today)


def _intent_params(collection: AutopayCollection, autopay: Autopay) -> dict[str, Any]:
    member = collection.member
    return {
        "amount": to_cents(collection.amount),
        "currency": settings.STRIPE_CURRENCY,
        "customer": member.stripe_customer_id,
        "payment_method": autopay.payment_method_id,
        "payment_method_types": [autopay.method_type or "card"],
        "off_session": True,
        "confirm": True,
        "description": f"Union dues {collection.period} (member {member.member_number}), autopay",
        "metadata": {
            "unionhall_member_id": str(member.pk),
            "unionhall_period_id": str(collection.period_id),
            "unionhall_purpose": PURPOSE,
            "member_number": member.member_number,
        },
    }


def _intent_applied(
    collection: AutopayCollection,
    intent: Mapping[str, Any],
    *,
    today: datetime.date | None = None,
    reported_at: datetime.datetime | None = None,
) -> str:
    """Record what Stripe says of the collection's PaymentIntent (its answer, or a webhook):
    money only when it has arrived (a bank debit when it clears); a failure or a card that
    needs its owner schedules a retry and tells the member."""
    today = today or timezone.localdate()
    status = intent.get("status")
    collection.payment_intent_id = intent["id"]
    method = (
        PaymentMethod.STRIPE_ACH
        if collection.member.autopay.method_type == "us_bank_account"
        else PaymentMethod.STRIPE_CARD
    )
    if status in ("succeeded", "processing"):
        change = payment_online_record(
            member=collection.member,
            amount=collection.amount,
            method=method,
            status=PaymentStatus.SUCCEEDED if status == "succeeded" else PaymentStatus.PENDING,
            payment_intent_id=intent["id"],
            received_date=timezone.localdate(reported_at) if reported_at else None,
        )
        collection.payment = change.payment
        collection.status = (
            CollectionStatus.SUCCEEDED if status == "succeeded" else CollectionStatus.PROCESSING
        )
        collection.next_attempt_on, collection.last_error = None, ""
        collection.save()
        if change.changed and change.payment.status == PaymentStatus.SUCCEEDED:
            receipt_email.enqueue(change.payment.pk)
        return collection.status
    error = intent.get("last_payment_error") or {}
    if collection.payment_id and collection.status == CollectionStatus.PROCESSING:
        # The bank debit failed after all.
        payment_online_record(
            member=collection.member,
            amount=collection.amount,
            method=method,
            status=PaymentStatus.FAILED,
            payment_intent_id=intent["id"],
        )
    # Off-session, a bank that wants its customer fails the attempt as
    # `authentication_required`; confirmed on-session it waits in `requires_action`.
    needs_owner = (
        status in ("requires_action", "requires_confirmation")
        or error.get("code") == "authentication_required"
        or error.get("decline_code") == "authentication_required"
    )
    collection.last_error = (
        "The bank or card asks the member to confirm this payment."
        if needs_owner
        else (error.get("message") or f"Stripe says {status}.")
    )[:500]
    days = retry_days()
    first_day = collection.created_at.date() if collection.created_at else today
    if collection.attempts <= len(days):
        collection.status = (
            CollectionStatus.REQUIRES_ACTION if needs_owner else CollectionStatus.FAILED
        )
        collection.next_attempt_on = first_day + datetime.timedelta(
            days=days[collection.attempts - 1]
        )
    else:
        collection.status, collection.next_attempt_on = CollectionStatus.GAVE_UP, None
    collection.save()
    member_id, pk = collection.member_id, collection.pk
    what = "gave_up" if collection.status == CollectionStatus.GAVE_UP else "failed"
    transaction.on_commit(lambda: autopay_notice_email.enqueue(member_id, what, pk))
    if error.get("code") == "expired_card" or error.get("decline_code") == "expired_card":
        autopay_method_gone(collection.member.autopay.payment_method_id, "The card has expired.")
    return collection.status


def autopay_intent_reported(
    intent: Mapping[str, Any], reported_at: datetime.datetime | None = None
) -> str | None:
    """A webhook (or reconciliation) about an autopay PaymentIntent: applied to its
    collection, once. None when the PaymentIntent is not one of autopay's; "" when it is
    an earlier attempt's, or already applied."""
    metadata = intent.get("metadata") or {}
    if metadata.get("unionhall_purpose") != PURPOSE:
        return None
    with transaction.atomic():
        # Lock the collection: Stripe's answer to the run and this event may arrive at once.
        collection = (
            AutopayCollection.objects.select_for_update(of=("self",))
            .select_related("member__autopay", "period")
            .filter(
                member_id=int(metadata.get("unionhall_member_id") or 0),
                period_id=int(metadata.get("unionhall_period_id") or 0),
            )
            .first()
        )
        if collection is None or not collection.payment_intent_id:
            # The run's own answer is not written yet: Stripe will deliver this again.
            return "later"
        if collection.payment_intent_id != intent["id"]:
            return ""  # an earlier attempt's
        status = intent.get("status")
        settled = {
            CollectionStatus.SUCCEEDED: ("succeeded",),
            CollectionStatus.PROCESSING: ("processing",),
        }
        if status in settled.get(collection.status, ()):
            return ""
        if collection.status == CollectionStatus.SUCCEEDED:
            return ""  # a late report of an earlier state
        if (
            collection.status in (CollectionStatus.GAVE_UP, CollectionStatus.CANCELLED)
            and status != "succeeded"
        ):
            return ""
        return _intent_applied(collection, intent, reported_at=reported_at)


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
