"""The arrears policy and what it decided (docs/design.md §10): the local's rules, version by
version; each decision on a member's standing, by the policy or an officer; an officer's
hold on the policy's changes."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from audit.history import AuditedHistoricalRecords
from dues.ledger import Counting
from dues.models import money_field
from members.models import Member, MemberStatus


class Convention(models.TextChoices):
    IN_ADVANCE = "in_advance", "Dues in advance: a month is owed from its due date"
    MONTH_END = "month_end", "A month is owed once it is over"
    QUARTERLY = "quarterly", "Dues quarterly in advance: a quarter is owed from its first day"


class ArrearsPolicy(models.Model):
    """The local's arrears rules from `effective_date` on (its constitution's article). A
    change is a new version: a version already saved is never edited, so every decision
    keeps naming the rules it was made by."""

    effective_date = models.DateField(unique=True)
    convention = models.CharField(
        max_length=20, choices=Convention.choices, default=Convention.IN_ADVANCE
    )
    grace_days = models.PositiveSmallIntegerField(
        default=0, help_text="Days after a month is owed before it counts."
    )
    delinquent_after = models.PositiveSmallIntegerField(
        default=1, help_text="Months owed at which the member is sent a notice."
    )
    suspend_after = models.PositiveSmallIntegerField(
        default=3, help_text="Months owed at which the member is suspended."
    )
    drop_after = models.PositiveSmallIntegerField(
        default=6, help_text="Months owed at which the member is dropped from the rolls."
    )
    reinstatement_fee = money_field(
        default=0, help_text="Charged at suspension; owed, with the arrears, to be reinstated."
    )
    notice_subject = models.CharField(max_length=200, default="Your dues are in arrears")
    notice_text = models.TextField(
        help_text="The notice before suspension. It may name {{ member }}, {{ months_owed }}, "
        "{{ amount_owed }}, {{ suspend_after }} and {{ local }}."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = AuditedHistoricalRecords()

    class Meta:
        ordering = ["-effective_date"]
        verbose_name_plural = "arrears policies"
        constraints = [
            models.CheckConstraint(
                condition=Q(delinquent_after__gte=1)
                & Q(suspend_after__gte=F("delinquent_after"))
                & Q(drop_after__gt=F("suspend_after")),
                name="arrears_policy_months_in_order",
                violation_error_message="Months must rise: notice ≤ suspension < drop, "
                "the notice at 1 month or more.",
            ),
            models.CheckConstraint(
                condition=Q(reinstatement_fee__gte=0), name="arrears_policy_fee_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"Arrears policy v{self.pk} (from {self.effective_date})"

    @property
    def version(self) -> str:
        return f"v{self.pk} of {self.effective_date}"

    def counting_on(self, day: datetime.date) -> tuple[Counting, datetime.date]:
        """How the ledger counts this policy's months owed on `day`: its Counting, and the
        day to ask it about (dues counts by due date from the day after; grace pushes the
        day back)."""
        counted = day - datetime.timedelta(days=self.grace_days)
        if self.convention == Convention.IN_ADVANCE:
            # McDermott v. Jamula: owed from the first moment of its due date.
            return Counting.DUE_DATE, counted + datetime.timedelta(days=1)
        if self.convention == Convention.MONTH_END:
            return Counting.MONTH_END, counted
        return Counting.QUARTER_START, counted

    @property
    def in_words(self) -> str:
        """The counting convention as the page states it."""
        owed = {
            Convention.IN_ADVANCE: "A month's dues are owed from the first moment of their "
            "due date",
            Convention.MONTH_END: "A month's dues are owed once the month is over",
            Convention.QUARTERLY: "A quarter's dues are owed from the first day of the quarter",
        }[Convention(self.convention)]
        grace = f", after {self.grace_days} days' grace" if self.grace_days else ", with no grace"
        fee = (
            f" plus a reinstatement fee of ${self.reinstatement_fee:,}"
            if self.reinstatement_fee
            else ""
        )
        return (
            f"{owed}{grace}. A member owing {self.delinquent_after} month(s) is sent a notice; "
            f"owing {self.suspend_after} months, suspended; owing {self.drop_after} months, "
            f"dropped. A suspended member is reinstated once the arrears{fee} are paid; "
            "their continuous good standing stays broken for the gap. Months an employer "
            "deducts but has not yet remitted never count (29 CFR 452.87)."
        )


class ChangeKind(models.TextChoices):
    NOTICE = "notice", "Notice before suspension"
    SUSPEND = "suspend", "Suspension"
    DROP = "drop", "Dropped from the rolls"
    REINSTATE = "reinstate", "Reinstatement"
    OVERRIDE = "override", "Set by an officer"


class StandingChange(models.Model):
    """One decision on a member's standing: by the arrears policy in force (naming its
    version and what it counted), or by an officer with a reason. Kept, never edited."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="standing_changes")
    kind = models.CharField(max_length=20, choices=ChangeKind.choices)
    effective_on = models.DateField()
    from_status = models.CharField(max_length=20, choices=MemberStatus.choices)
    to_status = models.CharField(max_length=20, choices=MemberStatus.choices)
    months_owed = models.PositiveIntegerField(default=0)
    amount_owed = money_field(default=0)
    policy = models.ForeignKey(
        ArrearsPolicy, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = models.TextField()
    # A reinstatement: the member's continuous good standing is broken from this day.
    continuity_broken_from = models.DateField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = AuditedHistoricalRecords()

    class Meta:
        ordering = ["-effective_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="standing_change_reason"),
            models.CheckConstraint(
                condition=Q(kind=ChangeKind.OVERRIDE) | Q(policy__isnull=False),
                name="standing_change_names_its_policy",
            ),
        ]
        indexes = [
            models.Index(fields=["member", "-effective_on"], name="standing_change_member_idx"),
            models.Index(fields=["effective_on"], name="standing_change_day_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of member #{self.member_id} on {self.effective_on}"


class StandingHold(models.Model):
    """An officer's hold on one member: the arrears policy proposes their change but does
    not apply it until the hold is released."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="standing_holds")
    reason = models.TextField()
    held_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    history = AuditedHistoricalRecords()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="standing_hold_reason"),
            models.UniqueConstraint(
                fields=["member"],
                condition=Q(released_at__isnull=True),
                name="standing_hold_one_open_per_member",
            ),
        ]

    def __str__(self) -> str:
        return f"Hold on member #{self.member_id}"
