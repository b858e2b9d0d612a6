"""Eligibility lists and who inspected them (docs/design.md §10): who may vote, on a
record date, by the ledger as it stood then."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from audit.history import AuditedHistoricalRecords
from members.models import Member

from .arrears import ArrearsPolicy


class Ineligible(models.TextChoices):
    NOT_YET_MEMBER = "not_yet_member", "Not yet a member on the record date"
    STATUS = "status", "Not an active member on the record date"
    MONTHS_OWED = "months_owed", "Owed dues on the record date"


class EligibilityList(models.Model):
    """Who may vote in an election or a vote, on its record date, by the ledger as it
    stood then. Frozen once published: its snapshot and SHA-256 never change."""

    title = models.CharField(max_length=200)
    record_date = models.DateField()
    policy = models.ForeignKey(ArrearsPolicy, on_delete=models.PROTECT, related_name="+")
    eligible_count = models.PositiveIntegerField(default=0)
    ineligible_count = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The published list as CSV, and its SHA-256: what a court or the Department of Labor
    # can check the list against years later.
    snapshot = models.TextField(blank=True)
    sha256 = models.CharField(max_length=64, blank=True)

    history = AuditedHistoricalRecords(excluded_fields=["snapshot"])

    class Meta:
        ordering = ["-record_date", "-id"]
        permissions = [("inspect_eligibilitylist", "Can record a candidate's inspection")]
        constraints = [
            models.CheckConstraint(
                condition=Q(published_at__isnull=True) | ~Q(sha256=""),
                name="eligibility_published_has_hash",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} (record date {self.record_date})"

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class EligibilityEntry(models.Model):
    """One member on a list: eligible or not, and why."""

    eligibility_list = models.ForeignKey(
        EligibilityList, on_delete=models.CASCADE, related_name="entries"
    )
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    member_number = models.CharField(max_length=20)
    name = models.CharField(max_length=201)
    classification = models.CharField(max_length=10)
    status = models.CharField(max_length=20)
    eligible = models.BooleanField()
    reason_code = models.CharField(max_length=20, choices=Ineligible.choices, blank=True)
    reason = models.CharField(max_length=300, blank=True)
    months_owed = models.PositiveIntegerField(default=0)
    checkoff_protected = models.BooleanField(default=False)

    class Meta:
        ordering = ["member_number"]
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(
                fields=["eligibility_list", "member"], name="eligibility_entry_once"
            ),
        ]
        indexes = [
            models.Index(
                fields=["eligibility_list", "eligible", "member_number"],
                name="eligibility_entry_list_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member_number} on list #{self.eligibility_list_id}"


class Inspection(models.Model):
    """A candidate's inspection of a published list (LMRDA 401(c): once within 30 days
    before the election), recorded by the officer who supervised it."""

    eligibility_list = models.ForeignKey(
        EligibilityList, on_delete=models.PROTECT, related_name="inspections"
    )
    candidate = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    inspected_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(blank=True)

    history = AuditedHistoricalRecords()

    class Meta:
        ordering = ["-inspected_at"]
        indexes = [
            models.Index(fields=["candidate", "-inspected_at"], name="inspection_candidate_idx")
        ]

    def __str__(self) -> str:
        return f"Inspection by member #{self.candidate_id} on {self.inspected_at:%Y-%m-%d}"
