from __future__ import annotations

import calendar
import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from audit.history import AuditedHistoricalRecords
from members.models import Classification, Member

from .ledger import ZERO, Standing, standing_for

# What a money column holds (12 digits, 2 of them cents): one amount is always less.
MONEY_LIMIT = Decimal("10000000000.00")


def money_field(**kwargs) -> models.DecimalField:
    return models.DecimalField(max_digits=12, decimal_places=2, **kwargs)


class WorkingDuesBasis(models.TextChoices):
    """What working dues (dues on earnings, reported by the employer each month) are a
    share of, beside the flat monthly amount."""

    NONE = "", "None (flat monthly dues only)"
    GROSS_WAGES = "gross_wages", "Percent of gross wages"
    BASE_WAGES = "base_wages", "Percent of base wages (excluding overtime)"
    HOURS = "hours", "Amount per hour worked"


class DuesRate(models.Model):
    """A classification's dues from `effective_date` (to `end_date`, if set): a flat
    monthly amount, charged every period, and optionally working dues on what the member
    earned (a percent of wages, or an amount per hour), within a floor and a cap. Working
    dues are known only from an employer's remittance (checkoff), which charges them."""

    classification = models.ForeignKey(
        Classification, on_delete=models.PROTECT, related_name="dues_rates"
    )
    monthly_amount = money_field(help_text="Charged every month; zero for working dues only.")
    working_basis = models.CharField(
        "working dues on", max_length=20, choices=WorkingDuesBasis.choices, blank=True
    )
    working_rate = models.DecimalField(
        max_digits=9,
        decimal_places=4,
        null=True,
        blank=True,
        help_text="A percent (1.25 for 1.25%) of wages, or dollars per hour.",
    )
    working_floor = money_field(
        null=True, blank=True, help_text="Working dues are at least this much a month."
    )
    working_cap = money_field(
        null=True, blank=True, help_text="Working dues are at most this much a month."
    )
    effective_date = models.DateField()
    end_date = models.DateField(null=True, blank=True, help_text="Last day it applies.")

    history = AuditedHistoricalRecords()

    class Meta:
        ordering = ["classification__code", "-effective_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(monthly_amount__gt=0) | (Q(monthly_amount=0) & ~Q(working_basis="")),
                name="dues_rate_amount_positive",
                violation_error_message=(
                    "A monthly rate must be more than zero, unless the rate has working dues."
                ),
            ),
            models.CheckConstraint(
                condition=(Q(working_basis="") & Q(working_rate__isnull=True))
                | (~Q(working_basis="") & Q(working_rate__gt=0)),
                name="dues_rate_working_rate_given",
                violation_error_message=(
                    "Working dues need a rate above zero; flat dues take no working rate."
                ),
            ),
            models.CheckConstraint(
                condition=Q(working_floor__isnull=True)
                | Q(working_cap__isnull=True)
                | Q(working_cap__gte=F("working_floor")),
                name="dues_rate_floor_within_cap",
                violation_error_message="The cap cannot be below the floor.",
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("effective_date")),
                name="dues_rate_window_ordered",
                violation_error_message="The end date cannot be before the effective date.",
            ),
        ]
        indexes = [
            models.Index(fields=["classification", "effective_date"], name="dues_rate_lookup_idx")
        ]

    def __str__(self) -> str:
        until = f" to {self.end_date}" if self.end_date else ""
        working = f" + {self.working_label}" if self.working_basis else ""
        return f"{self.monthly_amount}/month{working} from {self.effective_date}{until}"

    @property
    def working_label(self) -> str:
        if self.working_basis == WorkingDuesBasis.HOURS:
            return f"{self.working_rate.normalize():f}/hour"
        if self.working_basis:
            wages = "gross" if self.working_basis == WorkingDuesBasis.GROSS_WAGES else "base"
            return f"{self.working_rate.normalize():f}% of {wages} wages"
        return ""


class DuesPeriod(models.Model):
    """One month of dues."""

    year = models.PositiveSmallIntegerField(
        validators=[
            MinValueValidator(1900, "Enter a year from 1900 to 2200."),
            MaxValueValidator(2200, "Enter a year from 1900 to 2200."),
        ]
    )
    month = models.PositiveSmallIntegerField(
        validators=[
            MinValueValidator(1, "Enter a month from 1 (January) to 12 (December)."),
            MaxValueValidator(12, "Enter a month from 1 (January) to 12 (December)."),
        ]
    )
    due_date = models.DateField()

    history = AuditedHistoricalRecords()

    class Meta:
        ordering = ["-year", "-month"]
        permissions = [("generate_charges", "Can generate a period's dues charges")]
        constraints = [
            models.UniqueConstraint(
                fields=["year", "month"],
                name="dues_period_unique_month",
                violation_error_message="That month already has a dues period.",
            ),
            models.CheckConstraint(
                condition=Q(month__gte=1, month__lte=12), name="dues_period_month_valid"
            ),
            models.CheckConstraint(
                condition=Q(year__gte=1900, year__lte=2200), name="dues_period_year_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year}-{self.month:02d}"

    def clean(self) -> None:
        # Charges are covered in due-date order: a due date before its own month would
        # put this period ahead of earlier ones.
        complete = self.year and self.month and self.due_date and 1 <= self.month <= 12
        if complete and self.due_date < self.first_day:
            raise ValidationError({"due_date": "A period falls due in its month or after."})

    @property
    def first_day(self) -> datetime.date:
        return datetime.date(self.year, self.month, 1)

    @property
    def last_day(self) -> datetime.date:
        return datetime.date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])


class DuesCharge(models.Model):
    """What one member owes for one period. Generated, never edited."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="dues_charges")
    # Indexed by charge_period_idx below, with the amounts (a period's total from the index).
    period = models.ForeignKey(
        DuesPeriod, on_delete=models.PROTECT, related_name="charges", db_index=False
    )
    amount = money_field()
    rate = models.ForeignKey(
        DuesRate, on_delete=models.PROTECT, null=True, blank=True, related_name="charges"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = AuditedHistoricalRecords()

    class Meta:
        ordering = ["period__year", "period__month", "id"]
        permissions = [("view_standing", "Can see members' dues standing")]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "period"],
                name="dues_charge_one_per_member_period",
                violation_error_message="This member is already charged for that period.",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="dues_charge_amount_positive"),
        ]
        indexes = [
            models.Index(fields=["period"], include=["amount"], name="charge_period_idx"),
        ]

    def __str__(self) -> str:
        # Cheap on purpose: the audit trail names thousands of charges at once.
        return f"Dues charge #{self.pk} ({self.amount})"


class RecordedByStaff(models.Model):
    """Who recorded a money record, when, and the key that makes recording it idempotent."""

    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # Set by whoever sends the same request twice (a double-click, an API retry): the
    # second one finds the first record instead of making another.
    idempotency_key = models.CharField(max_length=100, unique=True, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True


class PaymentMethod(models.TextChoices):
    CASH = "cash", "Cash"
    CHECK = "check", "Check"
    MONEY_ORDER = "money_order", "Money order"
    PAYROLL_DEDUCTION = "payroll_deduction", "Payroll deduction"
    ACH = "ach", "ACH (bank transfer)"
    STRIPE_CARD = "stripe_card", "Online, card"
    STRIPE_ACH = "stripe_ach", "Online, bank account"
    STRIPE_OTHER = "stripe_other", "Online, other"


# What staff record by hand; the others arrive from Stripe.
MANUAL_METHODS = (
    PaymentMethod.CASH,
    PaymentMethod.CHECK,
    PaymentMethod.MONEY_ORDER,
    PaymentMethod.PAYROLL_DEDUCTION,
    PaymentMethod.ACH,
)


class PaymentStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    REFUNDED = "refunded", "Refunded"
    PARTIALLY_REFUNDED = "partially_refunded", "Partially refunded"


# Statuses whose money was received: they count, net of their refunds.
RECEIVED_STATUSES = (
    PaymentStatus.SUCCEEDED,
    PaymentStatus.PARTIALLY_REFUNDED,
    PaymentStatus.REFUNDED,
)


class Payment(RecordedByStaff):
    """Money received from a member. Never edited away: refunds are recorded against it."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="payments")
    amount = money_field()
    # Kept equal to the sum of this payment's refunds by refund_record(), so the database
    # itself can refuse refunds beyond the payment.
    refunded_amount = money_field(default=ZERO)
    method = models.CharField(max_length=20, choices=PaymentMethod.choices)
    status = models.CharField(
        max_length=20, choices=PaymentStatus.choices, default=PaymentStatus.PENDING
    )
    received_date = models.DateField(null=True, blank=True)
    reference = models.CharField(
        max_length=100, blank=True, help_text="Check or money order number, payroll batch..."
    )
    note = models.TextField(blank=True)
    # Sequential and gapless: given when the money is received (services.receipt_number_next).
    receipt_number = models.PositiveBigIntegerField(unique=True, null=True, blank=True)
    stripe_checkout_session_id = models.CharField(
        max_length=255, unique=True, null=True, blank=True
    )
    stripe_payment_intent_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    # Set when the money is in question (a card dispute): officers look at it.
    flagged_at = models.DateTimeField(null=True, blank=True)
    flag_reason = models.CharField(max_length=200, blank=True)

    history = AuditedHistoricalRecords()

    class Meta:
        ordering = ["-received_date", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(refunded_amount__gte=0) & Q(refunded_amount__lte=F("amount")),
                name="payment_refunds_within_amount",
                violation_error_message="Refunds cannot exceed the payment.",
            ),
            models.CheckConstraint(
                condition=Q(method__in=PaymentMethod.values), name="payment_method_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=PaymentStatus.values), name="payment_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status__in=RECEIVED_STATUSES)
                | (Q(receipt_number__isnull=False) & Q(received_date__isnull=False)),
                name="payment_received_has_receipt",
            ),
        ]
        indexes = [
            models.Index(fields=["member", "status"], name="payment_member_status_idx"),
            # Newest first (the lists' order), and a month's money from the index alone.
            models.Index(
                fields=["received_date", "id"],
                include=["amount", "status", "method"],
                name="payment_received_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.receipt or 'Payment #' + str(self.pk)}: {self.amount}"

    @property
    def receipt(self) -> str:
        return f"R-{self.receipt_number:06d}" if self.receipt_number else ""

    @property
    def refundable(self) -> Decimal:
        if self.status not in RECEIVED_STATUSES:
            return ZERO
        return self.amount - self.refunded_amount


def receipt_number_of(text: str) -> int | None:
    """The number of a receipt as printed ("R-001295") or typed ("1295"); None if not one."""
    digits = text.strip().upper().removeprefix("R-").removeprefix("R")
    if not (digits.isascii() and digits.isdigit()) or len(digits) > 18:
        return None
    return int(digits)


class Refund(RecordedByStaff):
    """Money given back on a payment; the payment itself keeps its amount."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount = money_field()
    reason = models.TextField()
    refunded_date = models.DateField()
    stripe_refund_id = models.CharField(max_length=255, unique=True, null=True, blank=True)

    history = AuditedHistoricalRecords()

    class Meta:
        ordering = ["-refunded_date", "-id"]
        indexes = [models.Index(fields=["refunded_date", "id"], name="refund_refunded_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
            models.CheckConstraint(condition=~Q(reason=""), name="refund_reason_required"),
        ]

    def __str__(self) -> str:
        return f"Refund #{self.pk}: {self.amount}"


class Adjustment(RecordedByStaff):
    """A signed correction to a member's balance: negative credits them (a waiver),
    positive charges them (a correction). Recorded by an officer, with a reason."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="dues_adjustments")
    amount = money_field(help_text="Negative credits the member; positive charges them.")
    reason = models.TextField()

    history = AuditedHistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="adjustment_amount_nonzero"),
            models.CheckConstraint(condition=~Q(reason=""), name="adjustment_reason_required"),
        ]

    def __str__(self) -> str:
        return f"Adjustment #{self.pk}: {self.amount}"


class ReceiptCounter(models.Model):
    """The last receipt number given; its row is locked while the next is taken."""

    last_number = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"Last receipt {self.last_number}"


class MemberLedger(models.Model):
    """A member's dues as the ledger rules last worked them out (selectors' SQL twin of
    dues/ledger.py), kept in the same transaction as every charge, payment, refund and
    adjustment. Pages that show standing for many members read it rather than work out the
    whole local again; `manage.py ledger_check` recomputes it and names any difference.

    A cached answer, never a second set of rules; not history: it is derived, not kept."""

    member = models.OneToOneField(
        Member, on_delete=models.PROTECT, primary_key=True, related_name="ledger"
    )
    # Copies of the member's, set and kept by the database (dues/kept_totals.py): the
    # arrears report filters and sorts a million ledgers by one index, with no join.
    member_status = models.CharField(max_length=20, db_default="")
    member_number = models.CharField(max_length=20, db_default="")
    charged = models.DecimalField(max_digits=16, decimal_places=2, default=ZERO)
    # Received payments net of refunds, less adjustments: what covers the charges.
    credit = models.DecimalField(max_digits=16, decimal_places=2, default=ZERO)
    balance = models.DecimalField(max_digits=16, decimal_places=2, default=ZERO)
    paid_through = models.PositiveIntegerField(null=True, blank=True, help_text="YYYYMM")
    first_uncovered_due = models.DateField(null=True, blank=True)
    months_in_arrears = models.PositiveIntegerField(default=0)
    # The day `months_in_arrears` was counted for, and the due date of the next uncovered
    # charge after it: once that date has passed, the count is refreshed.
    as_of = models.DateField()
    next_due = models.DateField(null=True, blank=True)
    # Where the member's latest charge sorts ("due date|YYYYMM", compared as text): a new
    # charge that sorts after it is added in place; one before it means working out again.
    last_charge_order = models.CharField(max_length=20, blank=True)

    class Meta:
        default_permissions = ()
        indexes = [
            # The arrears report's order, for any status and for one.
            models.Index(
                fields=["-months_in_arrears", "-balance", "member_number"],
                name="ledger_arrears_idx",
            ),
            models.Index(
                fields=["member_status", "-months_in_arrears", "-balance", "member_number"],
                name="ledger_status_arrears_idx",
            ),
            models.Index(fields=["next_due"], name="ledger_next_due_idx"),
        ]

    def __str__(self) -> str:
        return f"Ledger of member #{self.member_id}: {self.balance}"

    @property
    def standing(self) -> Standing:
        return standing_for(self.months_in_arrears)

    @property
    def paid_through_label(self) -> str:
        """ "YYYY-MM", as periods are written; "" when nothing is paid through."""
        if not self.paid_through:
            return ""
        return f"{self.paid_through // 100}-{self.paid_through % 100:02d}"


class KeptTotal(models.Model):
    """A running total the database keeps, one change per row (dues/kept_totals.py): how
    many members of a status; how many stand behind by a count of months (the key) and what
    they owe; what a period billed (key: its id); what a month (key: YYYYMM) received or
    refunded. A total is the sum of its rows; the nightly check folds them."""

    measure = models.CharField(max_length=16)
    status = models.CharField(max_length=20, blank=True)
    key = models.IntegerField(default=0)
    count = models.BigIntegerField(default=0)
    amount = models.DecimalField(max_digits=18, decimal_places=2, default=ZERO)

    class Meta:
        default_permissions = ()
        indexes = [models.Index(fields=["measure", "key", "status"], name="kept_total_idx")]

    def __str__(self) -> str:
        return f"{self.measure} {self.status} {self.key}: {self.count}, {self.amount}"
