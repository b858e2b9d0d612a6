"""Autopay's collecting: when a period is charged, and on the local's retry schedule, each
member on autopay is charged off-session for what they owe, never more, never twice, and
never while their employer deducts their dues (check-off).

Exactly once, whatever is lost on the way:
- A member has one AutopayCollection per period (a unique index). Each attempt at it is a
  PaymentIntent made with the idempotency key (member, period, attempt number), and the
  attempt is written and committed *before* Stripe is asked.
- Stripe's word on an attempt is applied under a lock on the collection, once: the run's
  own answer, Stripe's event for the same PaymentIntent and reconciliation all go through
  payments/collection_reports.py, and a status already applied changes nothing (one
  attempt, one change, one email).
- An answer that never comes back (a timeout, a dropped connection, a 5xx) leaves the
  attempt pending: the member is asked for nothing more while it is, and the retry job and
  reconciliation find out what became of it (the customer's PaymentIntents for that
  attempt; when Stripe made none, the same request again with the same key).
- What Stripe reports is checked against what was asked (amount, currency); a difference
  is held for review and told to the office, never recorded as dues (collection_reports.py).
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
from dues.models import DuesPeriod, MemberLedger
from dues.selectors import members_deducted_at_source
from jobs.progress import Progress
from members.models import Member, MemberStatus

from .autopay import PURPOSE, SYSTEM_ACTOR
from .collection_reports import _answer_applied, _attempt_failed, _locked
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
    payment_intent_create,
    payment_intent_retrieve,
    payment_intents_of_customer,
    to_cents,
)

# An attempt whose answer was lost is asked about once Stripe has surely finished with it
# (each request gives up after STRIPE_TIMEOUT_SECONDS, its network retries included).
UNKNOWN_SETTLED_AFTER = datetime.timedelta(minutes=10)
# Reconciliation asks about collections that moved in this long.
RECONCILE_WINDOW = datetime.timedelta(days=30)
ANSWER_LOST = "answer lost (asked again later)"


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
        return _answer_applied(pk, intent, actor=SYSTEM_ACTOR, today=today)
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


# --- Asking Stripe (its answer is applied by collection_reports.py) -----------------------------


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
    return _answer_applied(collection.pk, intent, actor=SYSTEM_ACTOR, today=today)


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


# --- Reconciliation: asking Stripe about collections not settled here -------------------------


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
                    outcome = _answer_applied(collection.pk, intent, actor=SYSTEM_ACTOR)
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
