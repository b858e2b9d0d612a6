"""Autopay's collecting: when a period is charged, and on the local's retry schedule, each
member on autopay is charged off-session for what they owe, never more, never twice, and
never while their employer deducts their dues (check-off).

Exactly once, whatever is lost on the way:
- A member has one AutopayCollection per period (a unique index). Each attempt at it is a
  PaymentIntent made with the idempotency key (member, period, attempt number), and the
  attempt is written and committed *before* Stripe is asked.
- Stripe's word on an attempt is applied under a lock on the collection, once: the run's
  own answer, Stripe's event for the same PaymentIntent and reconciliation all go through
  `_reported`, and a status already applied changes nothing (one attempt, one change,
  one email).
- An answer that never comes back (a timeout, a dropped connection, a 5xx) leaves the
  attempt pending: the member is asked for nothing more while it is, and the retry job and
  reconciliation find out what became of it (the customer's PaymentIntents for that
  attempt; when Stripe made none, the same request again with the same key).
- What Stripe reports is checked against what was asked (amount, currency); a difference
  is held for review and told to the office, never recorded as dues.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from audit.context import acting_as
from dues.models import DuesPeriod, MemberLedger, PaymentMethod, PaymentStatus
from dues.selectors import members_deducted_at_source
from dues.services import payment_online_record
from dues.tasks import receipt_email
from jobs.progress import Progress
from members.models import Member, MemberStatus

from .autopay import PURPOSE, SYSTEM_ACTOR, autopay_method_gone
from .models import (
    Autopay,
    AutopayCollection,
    AutopayStatus,
    CheckoutSession,
    CheckoutStatus,
    CollectionStatus,
)
from .stripe_client import (
    StripeError,
    answer_lost,
    failure_message,
    metadata_id,
    payment_intent_create,
    payment_intent_retrieve,
    payment_intents_of_customer,
    stripe_id,
    to_cents,
)
from .tasks import autopay_notice_email

# An attempt whose answer was lost is asked about once Stripe has surely finished with it
# (each request gives up after STRIPE_TIMEOUT_SECONDS, its network retries included).
UNKNOWN_SETTLED_AFTER = datetime.timedelta(minutes=10)
# Reconciliation asks about collections that moved in this long.
RECONCILE_WINDOW = datetime.timedelta(days=30)
ANSWER_LOST = "answer lost (asked again later)"


class BadReport(ValueError):
    """A report about an autopay PaymentIntent that cannot be ours as it stands."""


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


# --- A period's collection --------------------------------------------------------------------


def autopay_collect(
    *, period: DuesPeriod, progress: Progress | None = None, today: datetime.date | None = None
) -> CollectionRun:
    """Charge every member on autopay what they owe now (their kept balance), once for this
    period: a member already collected for it, on check-off, or owing nothing is skipped,
    and so is one with an attempt whose outcome is not known yet."""
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
    skipped = _skipped(period, list(owing))
    _superseded(period, set(owing).difference(*skipped.values()))
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


def _skipped(period: DuesPeriod, member_ids: list[int]) -> dict[str, set[int]]:
    """Members not to ask now, by why: a bank payment still clearing already covers what
    they owe; an attempt whose answer is awaited, or one held for review, may have taken
    money already; and this period's collection is asked once."""
    collections = AutopayCollection.objects.filter(member_id__in=member_ids)

    def members(queryset) -> set[int]:
        return set(queryset.values_list("member_id", flat=True))

    return {
        "clearing": members(
            CheckoutSession.objects.filter(
                member_id__in=member_ids, status=CheckoutStatus.PROCESSING
            )
        )
        | members(collections.filter(status=CollectionStatus.PROCESSING)),
        "awaiting Stripe's answer": members(
            collections.filter(status__in=[CollectionStatus.PENDING, CollectionStatus.NEEDS_REVIEW])
        ),
        "already": members(collections.filter(period=period)),
    }


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
    """Write the attempt, commit it, then ask Stripe. Two runs at once: the unique index
    keeps one collection, and the run that did not write it asks nothing."""
    try:
        with transaction.atomic():
            collection = AutopayCollection.objects.create(
                member=member, period=period, amount=amount, attempts=1, asked_at=timezone.now()
            )
    except IntegrityError:
        return "already"
    return _ask(collection, member.autopay, pace, run, today)


# --- Retries, and attempts whose answer was lost ------------------------------------------------


def autopay_retry_due(
    *, today: datetime.date | None = None, progress: Progress | None = None
) -> CollectionRun:
    """Find out what became of attempts whose answer was lost, and try again the
    collections whose retry day has come (AUTOPAY_RETRY_DAYS)."""
    progress = progress or Progress()
    today = today or timezone.localdate()
    run = CollectionRun(period=None)
    unknown = list(_unknown_attempts().values_list("pk", flat=True))
    due = list(
        AutopayCollection.objects.filter(
            status__in=[CollectionStatus.FAILED, CollectionStatus.REQUIRES_ACTION],
            next_attempt_on__lte=today,
            member__autopay__status=AutopayStatus.ACTIVE,
        ).values_list("pk", flat=True)
    )
    progress.step("Retrying autopay collections", total=len(unknown) + len(due))
    pace = RequestPace(settings.STRIPE_REQUESTS_PER_SECOND)
    started = time.monotonic()
    with acting_as(SYSTEM_ACTOR):
        for pk in unknown:
            run.count(_unknown_settled(pk, pace, run, today))
            progress.advance()
        for pk in due:
            run.count(_attempt(pk, pace, run, today))
            progress.advance()
    run.seconds = time.monotonic() - started
    run.asked = len(unknown) + len(due)
    return run


def _unknown_attempts():
    return AutopayCollection.objects.filter(
        status=CollectionStatus.PENDING, asked_at__lte=timezone.now() - UNKNOWN_SETTLED_AFTER
    )


def _attempt(pk: int, pace: RequestPace, run: CollectionRun, today) -> str:
    """A retry of a collection: the next attempt (a new key), for no more than is owed
    now, written and committed before Stripe is asked."""
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
        collection.status = CollectionStatus.PENDING
        collection.payment_intent_id, collection.intent_status = None, ""
        collection.asked_at, collection.next_attempt_on = timezone.now(), None
        collection.save()
    return _ask(collection, collection.member.autopay, pace, run, today)


def _unknown_settled(pk: int, pace: RequestPace, run: CollectionRun, today) -> str:
    """What became of an attempt whose answer was lost: the PaymentIntent Stripe made for
    it, if it made one; if it made none, nothing was charged, and the attempt is asked
    again with its own key (or dropped, when autopay has ended meanwhile)."""
    collection = (
        AutopayCollection.objects.select_related("member__autopay", "period").filter(pk=pk).first()
    )
    if collection is None or collection.status != CollectionStatus.PENDING:
        return "already"
    run.requests += 1
    try:
        intent = _intent_of_attempt(collection)
    except StripeError:
        return ANSWER_LOST
    if intent is not None:
        return _answer_applied(pk, intent, today=today)
    autopay = getattr(collection.member, "autopay", None)
    if autopay is None or autopay.status != AutopayStatus.ACTIVE:
        with transaction.atomic():
            collection = _locked(pk)
            if collection.status != CollectionStatus.PENDING:
                return collection.status
            collection.status, collection.next_attempt_on = CollectionStatus.CANCELLED, None
            collection.last_error = "Autopay ended; Stripe made no charge for this attempt."
            collection.save()
        return CollectionStatus.CANCELLED
    return _ask(collection, autopay, pace, run, today)


def _intent_of_attempt(collection: AutopayCollection) -> Mapping[str, Any] | None:
    customer = collection.member.stripe_customer_id
    if not customer:
        return None
    asked = collection.asked_at or collection.created_at
    wanted = {
        "unionhall_purpose": PURPOSE,
        "unionhall_member_id": str(collection.member_id),
        "unionhall_period_id": str(collection.period_id),
        "unionhall_attempt": str(collection.attempts),
    }
    # A few minutes' margin: Stripe's clock and ours differ a little.
    since = int(asked.timestamp()) - 300
    for intent in payment_intents_of_customer(customer, created_since=since):
        metadata = intent.get("metadata") or {}
        if all(metadata.get(key) == value for key, value in wanted.items()):
            return intent
    return None


# --- Asking Stripe, and applying what it says ---------------------------------------------------


def _ask(collection: AutopayCollection, autopay: Autopay, pace: RequestPace, run, today) -> str:
    """Ask Stripe for the collection's current attempt (already written) and apply its
    answer. A refusal is a failed attempt like any other; a lost answer leaves the attempt
    pending, to be asked about again."""
    pace.wait()
    run.requests += 1
    try:
        intent = payment_intent_create(
            params=_intent_params(collection, autopay),
            idempotency_key=collection.idempotency_key,
        )
    except StripeError as exc:
        if answer_lost(exc):
            return _answer_lost(collection.pk, exc)
        return _refused(collection.pk, exc, today)
    return _answer_applied(collection.pk, intent, today=today)


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
            "unionhall_attempt": str(collection.attempts),
            "unionhall_purpose": PURPOSE,
            "member_number": member.member_number,
        },
    }


def _locked(pk: int) -> AutopayCollection:
    # Lock the collection: Stripe's answer to a run, its event for the same PaymentIntent
    # and reconciliation may arrive at once; each report is applied whole, one at a time.
    return (
        AutopayCollection.objects.select_for_update(of=("self",))
        .select_related("member__autopay", "period")
        .get(pk=pk)
    )


def _answer_lost(pk: int, exc: Exception) -> str:
    with transaction.atomic():
        collection = _locked(pk)
        if collection.status != CollectionStatus.PENDING or collection.payment_intent_id:
            return collection.status  # Stripe's event told us meanwhile
        collection.last_error = (
            f"Stripe's answer was lost ({failure_message(exc)[:200]}); it may have charged. "
            "Asked about again before anything more is collected."
        )[:500]
        collection.save()
    return ANSWER_LOST


def _refused(pk: int, exc: Exception, today) -> str:
    with transaction.atomic():
        collection = _locked(pk)
        if collection.status != CollectionStatus.PENDING or collection.payment_intent_id:
            return collection.status
        return _attempt_failed(
            collection, f"Stripe refused the payment: {failure_message(exc)}", False, today
        )


def _answer_applied(
    pk: int,
    intent: Mapping[str, Any],
    *,
    today: datetime.date | None = None,
    reported_at: datetime.datetime | None = None,
) -> str:
    with transaction.atomic():
        return _reported(_locked(pk), intent, today=today, reported_at=reported_at)


def _reported(
    collection: AutopayCollection,
    intent: Mapping[str, Any],
    *,
    today: datetime.date | None,
    reported_at: datetime.datetime | None,
) -> str:
    """Apply one report of the collection's PaymentIntent, under the collection's lock.
    "" when it changes nothing; "earlier" when it is of an earlier attempt."""
    if not _of_this_attempt(collection, intent):
        return "earlier"
    status = intent.get("status")
    if collection.payment_intent_id == intent["id"] and collection.intent_status == status:
        return ""  # applied already: the run's answer, then Stripe's event of the same
    if collection.status in (CollectionStatus.SUCCEEDED, CollectionStatus.NEEDS_REVIEW):
        return ""  # a late report of an earlier state, or one for the office to settle
    if (
        collection.status in (CollectionStatus.GAVE_UP, CollectionStatus.CANCELLED)
        and status != "succeeded"
    ):
        return ""
    problems = intent_mismatches(collection, intent)
    if problems:
        return _held(collection, intent, "; ".join(problems))
    return _intent_applied(collection, intent, today=today, reported_at=reported_at)


def _of_this_attempt(collection: AutopayCollection, intent: Mapping[str, Any]) -> bool:
    if collection.payment_intent_id:
        return collection.payment_intent_id == intent["id"]
    attempt = (intent.get("metadata") or {}).get("unionhall_attempt")
    return attempt == str(collection.attempts)


def intent_mismatches(collection: AutopayCollection, intent: Mapping[str, Any]) -> list[str]:
    """What Stripe reports of the PaymentIntent that differs from what was asked."""
    asked = to_cents(collection.amount)
    checks = [
        ("amount", intent.get("amount"), asked),
        ("currency", str(intent.get("currency") or "").lower(), settings.STRIPE_CURRENCY.lower()),
    ]
    if intent.get("status") == "succeeded":
        checks.append(("amount_received", intent.get("amount_received"), asked))
    return [
        f"{name}: Stripe says {got!r}, we asked {wanted!r}"
        for name, got, wanted in checks
        if got != wanted
    ]


def _held(collection: AutopayCollection, intent: Mapping[str, Any], why: str) -> str:
    collection.status = CollectionStatus.NEEDS_REVIEW
    collection.payment_intent_id, collection.intent_status = intent["id"], intent.get("status")
    collection.next_attempt_on = None
    collection.last_error = f"Held for review, nothing recorded: {why}"[:500]
    collection.save()
    member_id, pk = collection.member_id, collection.pk
    transaction.on_commit(lambda: autopay_notice_email.enqueue(member_id, "held", pk))
    return "held for review"


def _method(collection: AutopayCollection) -> str:
    if collection.member.autopay.method_type == "us_bank_account":
        return PaymentMethod.STRIPE_ACH
    return PaymentMethod.STRIPE_CARD


def _intent_applied(
    collection: AutopayCollection,
    intent: Mapping[str, Any],
    *,
    today: datetime.date | None = None,
    reported_at: datetime.datetime | None = None,
) -> str:
    """Record what Stripe says of the collection's PaymentIntent: money only when it has
    arrived (a bank debit when it clears); a failure or a card that needs its owner
    schedules a retry and tells the member."""
    status = intent.get("status")
    collection.payment_intent_id, collection.intent_status = intent["id"], status
    if status in ("succeeded", "processing"):
        change = payment_online_record(
            member=collection.member,
            amount=collection.amount,
            method=_method(collection),
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
            method=_method(collection),
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
    message = (
        "The bank or card asks the member to confirm this payment."
        if needs_owner
        else (error.get("message") or f"Stripe says {status}.")
    )
    outcome = _attempt_failed(collection, message, needs_owner, today)
    if error.get("code") == "expired_card" or error.get("decline_code") == "expired_card":
        autopay_method_gone(collection.member.autopay.payment_method_id, "The card has expired.")
    return outcome


def _attempt_failed(collection: AutopayCollection, message: str, needs_owner: bool, today) -> str:
    """The attempt did not collect: the next one is scheduled (or autopay gives up), and
    the member is told, once."""
    today = today or timezone.localdate()
    collection.last_error = message[:500]
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
    return collection.status


# --- Reports from Stripe (webhooks, reconciliation) ---------------------------------------------


def autopay_intent_reported(
    intent: Mapping[str, Any], reported_at: datetime.datetime | None = None
) -> str | None:
    """A webhook (or reconciliation) about an autopay PaymentIntent, applied to its
    collection once. None when the PaymentIntent is not autopay's; "not ours" when no
    collection of ours asked for it (another environment on the same Stripe account);
    "earlier" when it is an earlier attempt's; "" when it was applied already. Raises
    BadReport when its metadata cannot be ours."""
    metadata = intent.get("metadata") or {}
    if metadata.get("unionhall_purpose") != PURPOSE:
        return None
    member_id = metadata_id(metadata, "unionhall_member_id")
    period_id = metadata_id(metadata, "unionhall_period_id")
    if member_id is None or period_id is None or not stripe_id(intent.get("id")):
        raise BadReport("Its member, period or PaymentIntent id is not one of ours.")
    customer = stripe_id(intent.get("customer"))
    pk = (
        AutopayCollection.objects.filter(
            member_id=member_id, period_id=period_id, member__stripe_customer_id=customer
        )
        .values_list("pk", flat=True)
        .first()
        if customer
        else None
    )
    if pk is None:
        return "not ours"
    return _answer_applied(pk, intent, reported_at=reported_at)


def autopay_collections_reconcile(progress: Progress | None = None) -> list[str]:
    """Ask Stripe about every collection not final here (an answer awaited, a bank debit
    clearing, a card waiting for its owner, a failure that may since have been paid) and
    apply what it says. A line per change or problem."""
    progress = progress or Progress()
    now = timezone.now()
    with_intent = Q(payment_intent_id__isnull=False) & ~Q(
        status__in=[CollectionStatus.SUCCEEDED, CollectionStatus.NEEDS_REVIEW]
    )
    collections = list(
        AutopayCollection.objects.filter(updated_at__gte=now - RECONCILE_WINDOW)
        .filter(with_intent | Q(pk__in=_unknown_attempts()))
        .order_by("created_at")
    )
    progress.step("Asking Stripe about autopay collections not settled", total=len(collections))
    pace = RequestPace(settings.STRIPE_REQUESTS_PER_SECOND)
    run = CollectionRun(period=None)
    lines = []
    with acting_as(SYSTEM_ACTOR):
        for collection in collections:
            before = collection.status
            try:
                if before == CollectionStatus.PENDING:
                    outcome = _unknown_settled(collection.pk, pace, run, timezone.localdate())
                else:
                    intent = payment_intent_retrieve(collection.payment_intent_id)
                    outcome = _answer_applied(collection.pk, intent)
            except StripeError as exc:
                lines.append(f"autopay {collection.pk}: Stripe error: {failure_message(exc)}")
                outcome = ""
            after, intent_id = AutopayCollection.objects.values_list(
                "status", "payment_intent_id"
            ).get(pk=collection.pk)
            if after != before:
                lines.append(f"autopay {intent_id or collection.pk}: {before} -> {after}")
            elif outcome == ANSWER_LOST:
                lines.append(f"autopay {collection.pk}: Stripe's answer still unknown")
            progress.advance()
    return lines
