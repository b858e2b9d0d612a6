"""Employers' labor requests (docs/design.md §11): what an employer asks the hall for, the
requirements it names (rows, never words), and the by-name blackouts a quit or discharge
leaves behind. The morning referral and dispatch fill them (runs.py, dispatches.py)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from audit.history import AuditedHistoricalRecords
from checkoff.models import Employer
from members.models import Member

from .books import AgreementType, Book, RuleSet


class Requirement(models.Model):
    """A certification or condition a request may ask of the worker (OSHA 30, a drug test):
    a code the referral can check a registrant against, never free text in a request."""

    code = models.CharField(max_length=30, unique=True, help_text="Short and unique: OSHA-30.")
    name = models.CharField(max_length=100)

    history = AuditedHistoricalRecords()

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code}: {self.name}"


class LaborRequestStatus(models.TextChoices):
    OPEN = "open", "Open"
    PARTIALLY_FILLED = "partially_filled", "Partially filled"
    FILLED = "filled", "Filled"
    CANCELLED = "cancelled", "Cancelled"
    EXPIRED = "expired", "Expired"


# A request that may still be filled, cancelled or expire.
OPEN_REQUEST_STATUSES = (LaborRequestStatus.OPEN, LaborRequestStatus.PARTIALLY_FILLED)


class LaborRequest(models.Model):
    """An employer's request for workers from one book. Received through
    referral.services.labor_request_receive only: the rules in force then decide its
    referral day (the local's working day whose morning referral serves it) and are kept
    with it. `filled` counts the positions dispatched; the database refuses more than
    `positions` and refuses a by-name request without its attestation."""

    employer = models.ForeignKey(Employer, on_delete=models.PROTECT, related_name="+")
    book = models.ForeignKey(Book, on_delete=models.PROTECT, related_name="labor_requests")
    positions = models.PositiveSmallIntegerField(help_text="How many workers (1 or more).")
    start_on = models.DateField(help_text="The day the work starts.")
    start_at = models.TimeField(help_text="The time it starts (the local's wall clock).")
    referral_day = models.DateField(
        help_text="The local's working day whose morning referral serves this request."
    )
    worksite = models.CharField(max_length=300, help_text="Where the work is.")
    report_to = models.CharField(max_length=300, help_text="Where the worker reports.")
    wage = models.DecimalField(max_digits=8, decimal_places=2, help_text="Per hour.")
    short_call = models.BooleanField(default=False)
    agreement_type = models.CharField(
        max_length=10, choices=AgreementType.choices, default=AgreementType.STANDARD
    )
    requirements = models.ManyToManyField(Requirement, blank=True, related_name="+")
    # By name: the member the employer asks for, and the hall's record that the member did
    # not solicit it (docs/domain.md §6); the three go together.
    named_member = models.ForeignKey(
        Member, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    attestation = models.TextField(
        blank=True, help_text="By name: that the member did not solicit the request, as given."
    )
    attested_by_name = models.CharField(max_length=150, blank=True)
    status = models.CharField(
        max_length=20, choices=LaborRequestStatus.choices, default=LaborRequestStatus.OPEN
    )
    filled = models.PositiveSmallIntegerField(default=0)
    received_at = models.DateTimeField()
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    received_by_name = models.CharField(max_length=150)
    rule_set = models.ForeignKey(RuleSet, on_delete=models.PROTECT, related_name="+")
    ended_at = models.DateTimeField(null=True, blank=True, help_text="Cancelled or expired at.")
    cancel_reason = models.CharField(max_length=300, blank=True)
    idempotency_key = models.CharField(max_length=100, null=True, blank=True, unique=True)

    history = AuditedHistoricalRecords()

    class Meta:
        ordering = ["referral_day", "id"]
        permissions = [("cancel_laborrequest", "Can cancel a labor request")]
        constraints = [
            models.CheckConstraint(
                condition=Q(positions__gte=1), name="labor_request_positions_at_least_one"
            ),
            # Never over-filled (docs/domain.md §6: the predecessor over-filled).
            models.CheckConstraint(
                condition=Q(filled__gte=0) & Q(filled__lte=F("positions")),
                name="labor_request_never_over_filled",
            ),
            models.CheckConstraint(condition=Q(wage__gt=0), name="labor_request_wage_positive"),
            models.CheckConstraint(
                condition=(
                    Q(named_member__isnull=True, attestation="", attested_by_name="")
                    | (Q(named_member__isnull=False) & ~Q(attestation="") & ~Q(attested_by_name=""))
                ),
                name="labor_request_by_name_attested",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "referral_day"], name="labor_request_board"),
            models.Index(fields=["book", "status"], name="labor_request_book_status"),
        ]

    def __str__(self) -> str:
        return f"Request #{self.pk}: {self.positions} on {self.book_id and self.book.code}"

    @property
    def by_name(self) -> bool:
        return self.named_member_id is not None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_REQUEST_STATUSES


class Blackout(models.Model):
    """A member an employer may not ask for by name, from `starts_on` to `ends_on`
    (inclusive): what a quit or discharge leaves (the rule set's blackout_days)."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    employer = models.ForeignKey(Employer, on_delete=models.PROTECT, related_name="+")
    starts_on = models.DateField()
    ends_on = models.DateField()
    reason = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    history = AuditedHistoricalRecords()

    class Meta:
        ordering = ["-starts_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="blackout_ends_after_it_starts"
            )
        ]
        indexes = [models.Index(fields=["member", "employer"], name="blackout_member_employer")]

    def __str__(self) -> str:
        return (
            f"Blackout {self.starts_on:%Y-%m-%d} to {self.ends_on:%Y-%m-%d}: "
            f"member #{self.member_id}"
        )
