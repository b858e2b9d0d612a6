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
