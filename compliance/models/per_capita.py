"""Per capita (docs/design.md §10): the bodies the local pays per capita to, their rates,
and each month's report with its roll-forward."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from audit.history import AuditedHistoricalRecords
from dues.models import money_field
from members.models import Classification, Member


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
