"""Governance records (docs/design.md §10): the arrears policy and what it decided, eligibility
lists and who inspected them, per-capita reports, and the facts of a fiscal year the LM
figures need. The money itself stays in dues; this app reads it."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from audit.history import AuditedHistoricalRecords
from dues.ledger import Counting
from dues.models import money_field
from members.models import Classification, Member, MemberStatus


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


# --- Eligibility lists -------------------------------------------------------------------


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


# --- Per capita -------------------------------------------------------------------------


class CountRule(models.TextChoices):
    GOOD_STANDING = "good_standing", "Members in good standing at month end"
    DUES_RECEIVED = "dues_received", "Members whose dues for the month were received"
    ON_ROLL = "on_roll", "Active members on the roll at month end"


PER_CAPITA_COLUMNS = {
    "local": "Our local's name",
    "affiliate": "The affiliate's code",
    "month": "The month, YYYY-MM",
    "category": "The category's code",
    "category_name": "The category's name",
    "count": "Members counted",
    "rate": "Per capita rate",
    "amount": "Amount",
}


class Affiliate(models.Model):
    """A body the local pays per capita to (its International, a state federation, a
    council), with the rule it counts members by and the CSV layout it asks for."""

    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=200)
    count_rule = models.CharField(
        max_length=20, choices=CountRule.choices, default=CountRule.GOOD_STANDING
    )
    csv_columns = models.CharField(
        max_length=200,
        default="month,category,count,rate,amount",
        help_text="The columns of its CSV, in its order, comma-separated, from: "
        + ", ".join(PER_CAPITA_COLUMNS)
        + ".",
    )
    opening_count = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="The count last reported before Union Hall: the first report rolls forward "
        "from it.",
    )
    due_day = models.PositiveSmallIntegerField(
        default=15, help_text="Day of the next month its report and payment are due."
    )

    history = AuditedHistoricalRecords()

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"

    @property
    def columns(self) -> list[str]:
        return [c.strip() for c in self.csv_columns.split(",") if c.strip()]


class PerCapitaRate(models.Model):
    """What an affiliate charges per member a month, for one category (or every category
    without a rate of its own), over a window of dates."""

    affiliate = models.ForeignKey(Affiliate, on_delete=models.PROTECT, related_name="rates")
    classification = models.ForeignKey(
        Classification,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Blank: every category without a rate of its own.",
    )
    amount = money_field()
    effective_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)

    history = AuditedHistoricalRecords()

    class Meta:
        ordering = ["affiliate", "classification", "-effective_date"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="per_capita_rate_not_negative"),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("effective_date")),
                name="per_capita_rate_window",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.affiliate.code} {self.classification or 'all'}: {self.amount}"


class ReportStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    PAID = "paid", "Paid"


class PerCapitaReport(models.Model):
    """A month's per capita to one affiliate: the count per category, the rate, the
    amount, and the roll-forward from last month's count."""

    affiliate = models.ForeignKey(Affiliate, on_delete=models.PROTECT, related_name="reports")
    year = models.PositiveSmallIntegerField()
    month = models.PositiveSmallIntegerField()
    status = models.CharField(
        max_length=20, choices=ReportStatus.choices, default=ReportStatus.DRAFT
    )
    count = models.PositiveIntegerField(default=0)
    amount = money_field(default=0)
    previous_count = models.PositiveIntegerField(default=0)
    added = models.PositiveIntegerField(default=0)
    dropped = models.PositiveIntegerField(default=0)
    worked_out_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    paid_on = models.DateField(null=True, blank=True)

    history = AuditedHistoricalRecords()

    class Meta:
        ordering = ["-year", "-month", "affiliate"]
        permissions = [("submit_percapitareport", "Can mark a per-capita report submitted or paid")]
        constraints = [
            models.UniqueConstraint(
                fields=["affiliate", "year", "month"], name="per_capita_report_once"
            ),
            models.CheckConstraint(
                condition=Q(month__gte=1, month__lte=12), name="per_capita_report_month"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.affiliate.code} per capita {self.label}"

    @property
    def label(self) -> str:
        return f"{self.year}-{self.month:02d}"

    @property
    def rolled_count(self) -> int:
        """Last month's count, plus the members added, less those dropped."""
        return self.previous_count + self.added - self.dropped

    @property
    def rolls_forward(self) -> bool:
        return self.rolled_count == self.count


class PerCapitaLine(models.Model):
    report = models.ForeignKey(PerCapitaReport, on_delete=models.CASCADE, related_name="lines")
    classification = models.ForeignKey(Classification, on_delete=models.PROTECT, related_name="+")
    count = models.PositiveIntegerField()
    rate = money_field()
    amount = money_field()

    class Meta:
        ordering = ["classification__code"]
        default_permissions = ()

    def __str__(self) -> str:
        return f"{self.classification_id}: {self.count} at {self.rate}"


class RollChange(models.TextChoices):
    ADDED = "added", "Added"
    DROPPED = "dropped", "Dropped"


class PerCapitaChange(models.Model):
    """A member behind the roll-forward: counted this month and not last, or the reverse."""

    report = models.ForeignKey(PerCapitaReport, on_delete=models.CASCADE, related_name="changes")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    change = models.CharField(max_length=10, choices=RollChange.choices)
    reason = models.CharField(max_length=200)

    class Meta:
        ordering = ["change", "member__member_number"]
        default_permissions = ()

    def __str__(self) -> str:
        return f"{self.change} member #{self.member_id}"


# --- LM figures --------------------------------------------------------------------------


class FiscalYear(models.Model):
    """What the LM figures need that Union Hall does not keep: receipts outside dues (all
    funds count toward the form) and whether the local was under trusteeship."""

    year = models.PositiveSmallIntegerField(
        unique=True, help_text="The year the fiscal year ends in."
    )
    other_receipts = money_field(
        default=0, help_text="Receipts outside dues (interest, rents, grants...): they count."
    )
    in_trusteeship = models.BooleanField(
        default=False, help_text="A local in trusteeship files the LM-2 whatever its receipts."
    )
    note = models.TextField(blank=True)

    history = AuditedHistoricalRecords()

    class Meta:
        ordering = ["-year"]

    def __str__(self) -> str:
        return f"Fiscal year {self.year}"
