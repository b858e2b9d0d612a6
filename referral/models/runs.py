"""The morning referral run (docs/design.md §11): what it consulted, kept whole with its hash,
and every offer and skip it decided, so "why was I skipped?" has a stored answer and the
run can be replayed from what it read."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from audit.history import AuditedHistoricalRecords
from members.models import Member

from .books import Book, RuleSet
from .registrations import Registration
from .requests import LaborRequest


class SkipReason(models.TextChoices):
    """Why a registrant above the last one offered was passed over (referral.offers)."""

    EXEMPT = "exempt", "Exempt"
    ALREADY_DISPATCHED = "already_dispatched", "Already dispatched"
    OUT_OF_STANDING = "out_of_standing", "Not in good standing"
    BLACKED_OUT = "blacked_out", "Blacked out from this employer"
    LACKS_REQUIREMENT = "lacks_requirement", "Lacks a requirement of the request"
    BIDDING_SUSPENDED = "bidding_suspended", "Bidding suspended"
    DID_NOT_BID = "did_not_bid", "Did not bid on a call its bidders took"


class ReferralRunStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    CONFIRMED = "confirmed", "Confirmed"
    SUPERSEDED = "superseded", "Superseded"


class ReferralRun(models.Model):
    """One morning referral of one referral day: proposed (offers and skips worked out from
    the lists as they stood), then confirmed by a dispatcher (the offers dispatched). What
    it read is kept in `consulted`, its SHA-256 in `list_hash`; referral.offers decides the
    same lines from it again (the replay)."""

    day = models.DateField(help_text="The referral day it served.")
    status = models.CharField(
        max_length=12, choices=ReferralRunStatus.choices, default=ReferralRunStatus.PROPOSED
    )
    rule_set = models.ForeignKey(RuleSet, on_delete=models.PROTECT, related_name="+")
    consulted = models.JSONField(help_text="The books' lists, requests and facts it read.")
    list_hash = models.CharField(max_length=64)
    proposed_at = models.DateTimeField()
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    proposed_by_name = models.CharField(max_length=150)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by_name = models.CharField(max_length=150, blank=True)

    history = AuditedHistoricalRecords(excluded_fields=["consulted"])

    class Meta:
        ordering = ["-day", "-id"]
        permissions = [("confirm_referralrun", "Can confirm a morning referral")]
        indexes = [models.Index(fields=["day", "status"], name="referral_run_day")]

    def __str__(self) -> str:
        return f"Referral run #{self.pk} for {self.day:%Y-%m-%d} ({self.status})"


class ReferralLine(models.Model):
    """One decision of a run: an offer of a request to a registrant, or a registrant passed
    over for it with the reason. Never changed or deleted (the database refuses it)."""

    class Outcome(models.TextChoices):
        OFFER = "offer", "Offered"
        SKIP = "skip", "Skipped"

    run = models.ForeignKey(ReferralRun, on_delete=models.PROTECT, related_name="lines")
    labor_request = models.ForeignKey(LaborRequest, on_delete=models.PROTECT, related_name="+")
    registration = models.ForeignKey(Registration, on_delete=models.PROTECT, related_name="+")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    book = models.ForeignKey(Book, on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(max_length=5, choices=Outcome.choices)
    reason = models.CharField(max_length=20, choices=SkipReason.choices, blank=True)
    position = models.PositiveIntegerField(help_text="The registrant's place on the list read.")
    order = models.PositiveIntegerField(help_text="The order the run decided it in.")

    APPEND_ONLY = True

    class Meta:
        ordering = ["run", "order"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "labor_request", "registration"], name="referral_line_once"
            )
        ]
        indexes = [models.Index(fields=["member", "run"], name="referral_line_member")]

    def __str__(self) -> str:
        said = f"{self.outcome} {self.reason}".strip()
        return f"Run #{self.run_id}: {said}, registration #{self.registration_id}"
