from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from audit.history import AuditedHistoricalRecords
from dues.models import DuesPeriod, Payment
from members.models import Member


class CheckoutStatus(models.TextChoices):
    OPEN = "open", "Open (waiting for the member)"
    PROCESSING = "processing", "Processing (bank transfer clearing)"
    PAID = "paid", "Paid"
    FAILED = "failed", "Failed"
    EXPIRED = "expired", "Expired"
    NEEDS_REVIEW = "needs_review", "Needs review"


# Still waiting on Stripe: reconciliation asks about these.
UNSETTLED_CHECKOUT = (CheckoutStatus.OPEN, CheckoutStatus.PROCESSING)


class CheckoutSession(models.Model):
    """Our record of a Stripe Checkout Session, written before the member is sent to it:
    what we asked for (member, period, amount, currency, mode), so that what Stripe
    reports back can be checked against it. No period: everything the member owed."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="checkouts")
    period = models.ForeignKey(
        DuesPeriod, on_delete=models.PROTECT, null=True, blank=True, related_name="checkouts"
    )
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    livemode = models.BooleanField()
    stripe_session_id = models.CharField(max_length=255, unique=True)
    url = models.URLField(max_length=2000, blank=True)
    idempotency_key = models.CharField(max_length=100, unique=True)
    status = models.CharField(
        max_length=20, choices=CheckoutStatus.choices, default=CheckoutStatus.OPEN
    )
    payment = models.OneToOneField(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="checkout"
    )
    review_note = models.TextField(blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = AuditedHistoricalRecords()

    class Meta:
        ordering = ["-created_at"]
        default_permissions = ("view",)  # written by the payment flow only
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="checkout_amount_positive"),
            models.CheckConstraint(
                condition=Q(status__in=CheckoutStatus.values), name="checkout_status_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["member", "period", "status"], name="checkout_member_period_idx"),
            models.Index(fields=["status", "created_at"], name="checkout_status_idx"),
        ]

    def __str__(self) -> str:
        return f"Checkout {self.stripe_session_id} ({self.amount} {self.currency.upper()})"


class EventState(models.TextChoices):
    RECEIVED = "received", "Received"
    PROCESSED = "processed", "Processed"
    IGNORED = "ignored", "Ignored (not ours, or nothing to do)"
    NEEDS_REVIEW = "needs_review", "Needs review (not applied)"
    FAILED = "failed", "Failed (Stripe will retry)"


DONE_EVENT_STATES = (EventState.PROCESSED, EventState.IGNORED, EventState.NEEDS_REVIEW)


class StripeEvent(models.Model):
    """Every webhook delivery we accepted, with what became of it."""

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    livemode = models.BooleanField()
    payload = models.JSONField()
    state = models.CharField(max_length=20, choices=EventState.choices, default=EventState.RECEIVED)
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]
        default_permissions = ("view",)
        permissions = [("rerun_stripeevent", "Can re-run a failed Stripe event")]
        indexes = [models.Index(fields=["state", "received_at"], name="stripe_event_state_idx")]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"


class AutopayStatus(models.TextChoices):
    SETTING_UP = "setting_up", "Being set up (the member is at Stripe)"
    ACTIVE = "active", "On"
    CANCELLED = "cancelled", "Cancelled by the member or the office"
    OFF = "off", "Turned off (the payment method is gone)"


class Autopay(models.Model):
    """A member's standing instruction to collect their dues from a card or bank account
    they saved with Stripe (Checkout in setup mode). Its payment method is the default of
    their Stripe customer; only what it shows (brand or bank, last 4) is kept here."""

    member = models.OneToOneField(Member, on_delete=models.PROTECT, related_name="autopay")
    status = models.CharField(
        max_length=20, choices=AutopayStatus.choices, default=AutopayStatus.SETTING_UP
    )
    setup_session_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    payment_method_id = models.CharField(max_length=255, blank=True)
    method_type = models.CharField(max_length=30, blank=True, help_text="card or us_bank_account")
    brand = models.CharField(max_length=50, blank=True, help_text="Card brand, or the bank")
    last4 = models.CharField(max_length=4, blank=True)
    enrolled_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_reason = models.CharField(max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = AuditedHistoricalRecords()

    class Meta:
        default_permissions = ("view",)  # written by the member's enrolment and the office
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=AutopayStatus.values), name="autopay_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status=AutopayStatus.ACTIVE) | ~Q(payment_method_id=""),
                name="autopay_active_has_method",
            ),
        ]
        indexes = [models.Index(fields=["status"], name="autopay_status_idx")]

    def __str__(self) -> str:
        return f"Autopay of member #{self.member_id} ({self.status})"

    @property
    def on_file(self) -> str:
        """What the member sees of their payment method: "Visa •••• 4242"."""
        if not self.last4:
            return ""
        name = self.brand.title() if self.method_type == "card" else (self.brand or "Bank")
        return f"{name} •••• {self.last4}"


class CollectionStatus(models.TextChoices):
    # Asked of Stripe, and its answer not yet had (or lost): it may have charged.
    PENDING = "pending", "Asked of Stripe, answer awaited"
    PROCESSING = "processing", "Processing (a bank debit clearing)"
    SUCCEEDED = "succeeded", "Collected"
    FAILED = "failed", "Failed; a retry is scheduled"
    REQUIRES_ACTION = "requires_action", "Waiting for the member to authenticate"
    GAVE_UP = "gave_up", "Given up after the last retry"
    CANCELLED = "cancelled", "Not collected (autopay ended, or nothing was owed)"
    NEEDS_REVIEW = "needs_review", "Held for review (Stripe reports another amount or currency)"


# Still to be settled by Stripe or by a retry.
OPEN_COLLECTION = (
    CollectionStatus.PENDING,
    CollectionStatus.PROCESSING,
    CollectionStatus.FAILED,
    CollectionStatus.REQUIRES_ACTION,
)


class AutopayCollection(models.Model):
    """What autopay collects from one member for one period: at most once, whatever runs
    twice. Each attempt is a PaymentIntent with the idempotency key of (member, period,
    attempt), so that a re-run of an attempt finds Stripe's first answer. The row and its
    attempt number are written (and committed) before Stripe is asked: an answer lost on the
    way back leaves a pending attempt to ask about again, never a charge nobody knows of."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="autopay_collections")
    period = models.ForeignKey(DuesPeriod, on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    status = models.CharField(
        max_length=20, choices=CollectionStatus.choices, default=CollectionStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    payment_intent_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    # The PaymentIntent's status last applied: a report of the same status again (the run's
    # own answer, then Stripe's event for it) changes nothing and tells nobody twice.
    intent_status = models.CharField(max_length=40, blank=True)
    asked_at = models.DateTimeField(null=True, blank=True, help_text="When this attempt was sent.")
    next_attempt_on = models.DateField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    payment = models.OneToOneField(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="autopay_collection"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = AuditedHistoricalRecords()

    class Meta:
        ordering = ["-created_at"]
        default_permissions = ("view",)
        constraints = [
            models.UniqueConstraint(fields=["member", "period"], name="autopay_once_per_period"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="autopay_amount_positive"),
            models.CheckConstraint(
                condition=Q(status__in=CollectionStatus.values), name="autopay_collection_status"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_on"], name="autopay_retry_idx"),
        ]

    def __str__(self) -> str:
        return f"Autopay of member #{self.member_id} for period #{self.period_id}: {self.amount}"

    @property
    def idempotency_key(self) -> str:
        return f"autopay-{self.member_id}-{self.period_id}-{self.attempts}"
