"""Web bids (docs/design.md §11): a registrant's bid for a labor request, placed inside the
bidding window by the server's clock with their position then, and what the morning
referral decided of it; and the suspension a second refusal within a year brings."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from audit.history import AuditedHistoricalRecords
from members.models import Member

from .books import RuleSet
from .registrations import Registration
from .requests import LaborRequest


class BidStatus(models.TextChoices):
    PLACED = "placed", "Placed"
    SELECTED = "selected", "Selected"
    NOT_SELECTED = "not_selected", "Not selected"
    REFUSED = "refused", "Refused after selection"


class Bid(models.Model):
    """A bid, placed through referral.services.bid_place only: one per member and request
    (a unique constraint), from the member's registration on the request's book."""

    labor_request = models.ForeignKey(LaborRequest, on_delete=models.PROTECT, related_name="bids")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    registration = models.ForeignKey(Registration, on_delete=models.PROTECT, related_name="+")
    placed_at = models.DateTimeField(help_text="By the server's clock.")
    position = models.PositiveIntegerField(help_text="The bidder's place on the list then.")
    status = models.CharField(max_length=12, choices=BidStatus.choices, default=BidStatus.PLACED)
    decided_at = models.DateTimeField(null=True, blank=True)
    rule_set = models.ForeignKey(RuleSet, on_delete=models.PROTECT, related_name="+")
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    placed_by_name = models.CharField(max_length=150)
    idempotency_key = models.CharField(max_length=100, null=True, blank=True, unique=True)

    history = AuditedHistoricalRecords()

    class Meta:
        ordering = ["labor_request", "placed_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["labor_request", "member"], name="one_bid_per_request")
        ]
        indexes = [
            models.Index(fields=["member", "placed_at"], name="bid_member_placed"),
            models.Index(fields=["placed_at"], name="bid_placed"),
        ]

    def __str__(self) -> str:
        return f"Bid #{self.pk}: member #{self.member_id} on request #{self.labor_request_id}"


class BiddingSuspension(models.Model):
    """No bidding for a member from `starts_on` to `ends_on` (inclusive): a second refusal
    after a successful bid within twelve months (the rule set's days)."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    starts_on = models.DateField()
    ends_on = models.DateField()
    reason = models.CharField(max_length=200)
    rule_set = models.ForeignKey(RuleSet, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    history = AuditedHistoricalRecords()

    class Meta:
        ordering = ["-starts_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="bidding_suspension_ends_after"
            )
        ]
        indexes = [models.Index(fields=["member", "ends_on"], name="bidding_suspension_member")]

    def __str__(self) -> str:
        return f"Bidding suspended {self.starts_on:%Y-%m-%d} to {self.ends_on:%Y-%m-%d}"
