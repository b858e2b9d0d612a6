"""Employer check-off (docs/design.md §9): employers deduct dues from pay and remit them monthly
with a file; each line of it is matched to a member and posted as their payment, or held
in suspense until an officer applies or returns it."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q

from appkit.templatetags.office import currency
from audit.history import AuditedHistoricalRecords
from dues.models import Adjustment, Payment, money_field
from members.models import Member

# The default layout's columns (docs/design.md §9), in order; `base_wages` is ours (the basis of
# dues on base wages excluding overtime), read when an employer sends it.
COLUMNS = (
    "member_number",
    "last_name",
    "first_name",
    "employee_id",
    "ssn_last4",
    "period",
    "hours",
    "gross_wages",
    "amount",
)
OPTIONAL_COLUMNS = ("base_wages",)
REQUIRED_COLUMNS = ("period", "amount")

# An employer's own fields, as forms, the API and its CSV import name them.
EMPLOYER_FIELDS = (
    "code",
    "name",
    "ein",
    "contact_name",
    "contact_email",
    "contact_phone",
    "due_day",
)

ssn_last4_validator = RegexValidator(r"^\d{4}$", "The last four digits of the SSN, like 1234.")


class Employer(models.Model):
    """An employer that deducts dues from its workers' pay and remits them to the local."""

    code = models.CharField(max_length=20, unique=True, help_text="Short and unique, like ACME.")
    name = models.CharField(max_length=200)
    ein = models.CharField(
        "EIN",
        max_length=10,
        blank=True,
        validators=[RegexValidator(r"^\d{2}-\d{7}$", "An EIN is written like 12-3456789.")],
    )
    contact_name = models.CharField(max_length=200, blank=True)
    contact_email = models.EmailField(blank=True)
    contact_phone = models.CharField(max_length=30, blank=True)
    due_day = models.PositiveSmallIntegerField(
        default=15,
        validators=[MinValueValidator(1), MaxValueValidator(28)],
        help_text="A work month's remittance is due on this day of the following month.",
    )
    # Their file's header for each of our columns (COLUMNS), when their layout is not ours.
    column_mapping = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    history = AuditedHistoricalRecords()

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(due_day__gte=1) & Q(due_day__lte=28), name="employer_due_day_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code}: {self.name}"

    def due_date(self, year: int, month: int) -> datetime.date:
        """When the remittance for work month year-month is due."""
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return datetime.date(year, month, self.due_day)

    @staticmethod
    def code_of(value: str) -> str:
        """An employer's code as it is kept and looked up, however it was typed or exported:
        trimmed and upper case (" acme" is ACME)."""
        return (value or "").strip().upper()


def month_key(day: datetime.date) -> int:
    return day.year * 100 + day.month


class CheckoffAuthorization(models.Model):
    """A member's signed check-off card: this employer may deduct their dues, from
    `signed_on` until `revoked_on`."""

    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="checkoff_authorizations"
    )
    employer = models.ForeignKey(Employer, on_delete=models.PROTECT, related_name="authorizations")
    employee_id = models.CharField("employee id there", max_length=40, blank=True)
    ssn_last4 = models.CharField(
        "SSN, last 4", max_length=4, blank=True, validators=[ssn_last4_validator]
    )
    signed_on = models.DateField()
    revoked_on = models.DateField(null=True, blank=True)
    # The work months it covers, as year * 100 + month (kept by save() from the dates): the
    # ledger's one SQL statement compares them the same way on PostgreSQL and SQLite.
    first_month = models.PositiveIntegerField(editable=False)
    last_month = models.PositiveIntegerField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    history = AuditedHistoricalRecords()

    class Meta:
        verbose_name = "check-off authorization"
        ordering = ["employer__code", "member__member_number"]
        constraints = [
            models.CheckConstraint(
                condition=Q(revoked_on__isnull=True) | Q(revoked_on__gte=F("signed_on")),
                name="checkoff_revoked_after_signed",
                violation_error_message="An authorization cannot be revoked before it is signed.",
            ),
            models.UniqueConstraint(
                fields=["member", "employer"],
                condition=Q(revoked_on__isnull=True),
                name="checkoff_one_active_per_employer",
                violation_error_message="This member already has an active authorization there.",
            ),
        ]
        indexes = [
            models.Index(fields=["employer", "employee_id"], name="checkoff_employee_idx"),
            models.Index(fields=["employer", "ssn_last4"], name="checkoff_ssn_idx"),
            models.Index(fields=["member", "first_month"], name="checkoff_member_idx"),
        ]

    def __str__(self) -> str:
        return f"Check-off of member #{self.member_id} at employer #{self.employer_id}"

    def save(self, *args, **kwargs) -> None:
        self.months_kept()
        super().save(*args, **kwargs)

    def months_kept(self) -> None:
        """It covers a work month signed by its last day and not revoked by its first."""
        self.first_month = month_key(self.signed_on)
        if self.revoked_on is None:
            self.last_month = None
        else:
            self.last_month = month_key(self.revoked_on - datetime.timedelta(days=1))

    def covers(self, year: int, month: int) -> bool:
        if self.first_month is None:
            self.months_kept()
        key = year * 100 + month
        return self.first_month <= key and (self.last_month is None or key <= self.last_month)


class BatchStatus(models.TextChoices):
    CHECKED = "checked", "Checked, not posted"
    POSTED = "posted", "Posted"
    REVERSED = "reversed", "Posted, then reversed"


class RemittanceBatch(models.Model):
    """One employer's remittance: a file and the money that came with it. Checked (every
    line matched, nothing recorded), then posted once; a posted batch is never edited, it is
    undone by a reversing batch."""

    employer = models.ForeignKey(Employer, on_delete=models.PROTECT, related_name="batches")
    year = models.PositiveSmallIntegerField(help_text="The work month most of its lines are for.")
    month = models.PositiveSmallIntegerField()
    received_on = models.DateField(help_text="The day the money was received.")
    reference = models.CharField(max_length=100, blank=True, help_text="Check or EFT number.")
    control_total = money_field(
        null=True, blank=True, help_text="The amount of the check or transfer."
    )
    total = money_field(help_text="The sum of its lines.")
    line_count = models.PositiveIntegerField(default=0)
    file_name = models.CharField(max_length=255, blank=True)
    file_sha256 = models.CharField(max_length=64, blank=True)
    status = models.CharField(
        max_length=20, choices=BatchStatus.choices, default=BatchStatus.CHECKED
    )
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by"
    )
    reason = models.TextField(blank=True, help_text="Why a reversing batch was made.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    posted_at = models.DateTimeField(null=True, blank=True)

    history = AuditedHistoricalRecords()

    class Meta:
        ordering = ["-received_on", "-id"]
        verbose_name = "remittance"
        permissions = [("post_remittance", "Can post and reverse remittances")]
        constraints = [
            models.UniqueConstraint(
                fields=["file_sha256"],
                condition=Q(status="posted") & ~Q(file_sha256=""),
                name="remittance_file_posted_once",
                violation_error_message="This file has already been posted.",
            ),
            models.CheckConstraint(
                condition=Q(month__gte=1) & Q(month__lte=12), name="remittance_month_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["employer", "year", "month"], name="remittance_employer_idx"),
            models.Index(fields=["file_sha256"], name="remittance_sha_idx"),
        ]

    def __str__(self) -> str:
        return f"Remittance #{self.pk} ({self.year}-{self.month:02d})"

    @property
    def work_month(self) -> str:
        return f"{self.year}-{self.month:02d}"

    @property
    def balanced(self) -> bool:
        return self.control_total is None or self.control_total == self.total

    @property
    def imbalance(self) -> str:
        """Why the remittance cannot be posted as it stands: its lines do not add up to the
        control total ("" when they do). The one wording of the preview, the admin and the
        service."""
        if self.balanced:
            return ""
        return (
            f"The lines add up to {currency(self.total)}, not the control total "
            f"{currency(self.control_total)}: this remittance cannot be posted. Check the file "
            "against the employer's check or transfer, and upload it again."
        )


class LineException(models.TextChoices):
    UNMATCHED = "UNMATCHED", "Unmatched: no member found"
    NO_AUTHORIZATION = "NO_AUTHORIZATION", "No check-off authorization for the month"
    SHORT = "SHORT", "Short of the dues expected"
    OVER = "OVER", "Over the dues expected"
    DUPLICATE = "DUPLICATE", "Duplicate: this member's month is already remitted"
    MISSING = "MISSING", "Missing: an authorized member is not in the file"
    INACTIVE_MEMBER = "INACTIVE_MEMBER", "Inactive member"
    CEILING = (
        "CEILING",
        "Over the ceiling: more than one line may carry (REMITTANCE_LINE_MAX) or 3 times "
        "the dues expected; held for an officer",
    )


# Money the office must look at before it reaches anyone's ledger.
SUSPENSE_EXCEPTIONS = (
    LineException.UNMATCHED,
    LineException.NO_AUTHORIZATION,
    LineException.DUPLICATE,
    LineException.INACTIVE_MEMBER,
    LineException.CEILING,
)


class SuspenseStatus(models.TextChoices):
    NONE = "", "Not in suspense"
    OPEN = "open", "In suspense"
    APPLIED = "applied", "Applied to a member"
    RETURNED = "returned", "Returned to the employer"


class RemittanceLine(models.Model):
    """One row of a remittance file, kept verbatim (`raw`), with what it was matched to and
    its exception, if any. A MISSING line stands for an authorized member the file left out."""

    batch = models.ForeignKey(RemittanceBatch, on_delete=models.PROTECT, related_name="lines")
    row_number = models.PositiveIntegerField(null=True, blank=True)
    raw = models.JSONField(default=dict, blank=True)
    member_number = models.CharField(max_length=40, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    first_name = models.CharField(max_length=100, blank=True)
    employee_id = models.CharField(max_length=40, blank=True)
    ssn_last4 = models.CharField(max_length=4, blank=True)
    year = models.PositiveSmallIntegerField()
    month = models.PositiveSmallIntegerField()
    hours = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)
    gross_wages = money_field(null=True, blank=True)
    base_wages = money_field(null=True, blank=True)
    amount = money_field()
    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, null=True, blank=True, related_name="remittance_lines"
    )
    matched_by = models.CharField(max_length=20, blank=True)
    expected = money_field(null=True, blank=True)
    # The working dues within `expected` (on the earnings the line reports), charged when
    # it is posted.
    expected_working = money_field(null=True, blank=True)
    exception = models.CharField(max_length=20, choices=LineException.choices, blank=True)
    payment = models.OneToOneField(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="remittance_line"
    )
    working_dues = models.OneToOneField(
        Adjustment, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    suspense = models.CharField(max_length=20, choices=SuspenseStatus.choices, blank=True)

    class Meta:
        ordering = ["batch_id", "row_number", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(month__gte=1) & Q(month__lte=12), name="remittance_line_month_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["member", "year", "month"], name="remittance_line_member_idx"),
            models.Index(fields=["batch", "exception"], name="remittance_line_batch_idx"),
            models.Index(
                fields=["suspense"],
                condition=Q(suspense="open"),
                name="remittance_line_suspense_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"Remittance line #{self.pk}"

    @property
    def work_month(self) -> str:
        return f"{self.year}-{self.month:02d}"

    @property
    def variance(self):
        return None if self.expected is None else self.amount - self.expected


class SuspenseAction(models.TextChoices):
    APPLIED = "applied", "Applied to a member"
    RETURNED = "returned", "Returned to the employer"


class SuspenseResolution(models.Model):
    """What an officer did with a line held in suspense: applied it to a member (a payment
    then) or returned it to the employer. Recorded once, never edited."""

    line = models.OneToOneField(RemittanceLine, on_delete=models.PROTECT, related_name="resolution")
    action = models.CharField(max_length=20, choices=SuspenseAction.choices)
    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    payment = models.OneToOneField(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.TextField()
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(auto_now_add=True)

    history = AuditedHistoricalRecords()

    class Meta:
        ordering = ["-resolved_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(note=""), name="suspense_note_required"),
            models.CheckConstraint(
                condition=Q(action="returned") | Q(member__isnull=False, payment__isnull=False),
                name="suspense_applied_has_payment",
            ),
        ]

    def __str__(self) -> str:
        return f"Suspense line #{self.line_id} {self.action}"
