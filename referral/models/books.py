"""Books and their configuration: regions (office hours, holidays), books, the versioned
rules, and the employers' contracts the vendor's list gives."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from audit.history import AuditedHistoricalRecords
from checkoff.models import Employer
from members.models import Classification, Member

from ..rules import TierCriteria, tier_for


class Region(models.Model):
    """A region of the local with its own office (hours, holidays); each book belongs to one."""

    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=100)
    opens_at = models.TimeField(default=datetime.time(8, 0))
    closes_at = models.TimeField(default=datetime.time(16, 30))

    history = AuditedHistoricalRecords()

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Holiday(models.Model):
    """A day a region's office is closed: no re-sign falls due on it (nor on a weekend)."""

    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="holidays")
    day = models.DateField()
    name = models.CharField(max_length=100)

    history = AuditedHistoricalRecords()

    class Meta:
        ordering = ["day"]
        constraints = [
            models.UniqueConstraint(fields=["region", "day"], name="holiday_once_per_region")
        ]

    def __str__(self) -> str:
        return f"{self.day:%b %d, %Y}: {self.name}"


class AgreementType(models.TextChoices):
    STANDARD = "standard", "Standard"
    PLA = "pla", "Project labor agreement (PLA)"
    CWA = "cwa", "Community workforce agreement (CWA)"
    TERO = "tero", "Tribal employment rights (TERO)"


class WorkLevel(models.TextChoices):
    JOURNEYMAN = "journeyman", "Journeyman"
    APPRENTICE = "apprentice", "Apprentice"


class CheckMarkReason(models.TextChoices):
    """Why a registrant gets a check mark: a code, never guessed from free text, so a rule
    set can excuse some of them (docs/domain.md §6: the predecessor guessed)."""

    REFUSED = "refused", "Refused a referral"
    UNFILLED_CALL = "unfilled_call", "Passed over a call that went unfilled"
    NO_ANSWER = "no_answer", "Did not answer the hall's call"
    FAILED_TO_REPORT = "failed_to_report", "Did not report to the job"
    QUIT_SHORT_CALL = "quit_short_call", "Quit a short call before it ended"


def check_mark_reasons_known(value: object) -> None:
    """The reasons a rule set excuses: a list of CheckMarkReason codes, each once."""
    if not isinstance(value, list) or not all(isinstance(code, str) for code in value):
        raise ValidationError("Give the excused check-mark reasons as a list of codes.")
    unknown = sorted(set(value) - set(CheckMarkReason.values))
    if unknown:
        raise ValidationError(
            f"Unknown check-mark reasons: {', '.join(unknown)}. Known: "
            f"{', '.join(CheckMarkReason.values)}."
        )
    if len(set(value)) != len(value):
        raise ValidationError("Name each excused check-mark reason once.")


class Book(models.Model):
    """An out-of-work book: one classification's list in one region, in up to four tiers
    (Book 1 is referred first)."""

    code = models.CharField(max_length=20, unique=True, help_text="Short and unique, like WIRE-N.")
    name = models.CharField(max_length=100)
    classification = models.ForeignKey(Classification, on_delete=models.PROTECT)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="books")
    tiers = models.PositiveSmallIntegerField(
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(4)],
        help_text="How many tiers (Book 1 to Book 4) it has.",
    )
    contract_code = models.CharField(max_length=20, blank=True)
    agreement_type = models.CharField(
        max_length=10, choices=AgreementType.choices, default=AgreementType.STANDARD
    )
    work_level = models.CharField(
        max_length=12, choices=WorkLevel.choices, default=WorkLevel.JOURNEYMAN
    )
    supplemental = models.BooleanField(
        default=False, help_text="A supplemental book, beside a primary one."
    )
    referral_time = models.TimeField(
        default=datetime.time(8, 30), help_text="When its morning referral starts (local time)."
    )
    referral_order = models.PositiveSmallIntegerField(
        default=1, help_text="Its place in the morning's order of books (1 first)."
    )
    active = models.BooleanField(default=True)

    history = AuditedHistoricalRecords()

    class Meta:
        ordering = ["referral_order", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(tiers__gte=1) & Q(tiers__lte=4), name="book_tiers_one_to_four"
            )
        ]

    def __str__(self) -> str:
        return f"{self.code}: {self.name}"


# What says which version a rule set is and when it applies, rather than a rule it sets.
_NOT_RULES = frozenset({"id", "version", "effective_on", "notice_given_on"})


class RuleSet(models.Model):
    """One version of the local's referral rules. It is written, given notice (its notice
    date), then activated, which is refused unless the notice came settings.REFERRAL_NOTICE_DAYS
    before it takes effect (a rule applied to someone not told of it is a violation: docs/
    domain.md §6). Once activated it never changes; the rules in force on a day are the
    activated version with the latest effective date on or before it."""

    version = models.PositiveIntegerField(unique=True)
    effective_on = models.DateField()
    notice_given_on = models.DateField(
        null=True, blank=True, help_text="The day registrants were given notice of this version."
    )
    activated_at = models.DateTimeField(null=True, blank=True, editable=False)
    activated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    text = models.TextField("the rules as written", blank=True)
    resign_days = models.PositiveSmallIntegerField(
        default=30, help_text="Days a registration runs before it must be re-signed."
    )
    resign_online = models.BooleanField(
        "re-sign online",
        default=True,
        help_text="Registrants may re-sign on their own page of the hall (/referral/my/).",
    )
    reminder_days = models.PositiveSmallIntegerField(
        default=7, help_text="Days before a re-sign falls due that the registrant is reminded."
    )
    check_marks_tolerated = models.PositiveSmallIntegerField(
        default=2, help_text="Check marks a registrant may have; the next rolls them off the book."
    )
    check_marks_excused = models.JSONField(
        "check-mark reasons excused",
        default=list,
        blank=True,
        validators=[check_mark_reasons_known],
        help_text="Marks for these reasons are recorded but not counted.",
    )
    short_call_days = models.PositiveSmallIntegerField(
        default=10, help_text="Business days a short call lasts at most."
    )
    short_call_restorations = models.PositiveSmallIntegerField(
        default=2, help_text="Times per cycle a short call's end restores the registration."
    )
    short_call_uncounted_days = models.PositiveSmallIntegerField(
        default=3, help_text="Calls of this many working days or fewer are not counted."
    )
    request_cutoff = models.TimeField(
        default=datetime.time(15, 0), help_text="Requests after this go to the next working day."
    )
    bidding_opens = models.TimeField(default=datetime.time(17, 30))
    bidding_closes = models.TimeField(default=datetime.time(7, 0))
    bid_refusal_suspension_days = models.PositiveSmallIntegerField(
        default=365, help_text="Days without bidding after a second refusal within 12 months."
    )
    blackout_days = models.PositiveSmallIntegerField(
        default=14,
        help_text="Days a quit or discharge blacks out by-name requests by that employer.",
    )
    exemption_cap_days = models.PositiveSmallIntegerField(
        default=183, help_text="Days a capped exemption lasts unless an officer extends it."
    )
    dispatch_leaves_other_books = models.BooleanField(
        default=False, help_text="A dispatch takes the member off their other books."
    )
    register_out_of_standing = models.BooleanField(
        default=False,
        help_text="Suspended or dropped members may register (refused, with the reason, if not).",
    )
    # Book 1's criteria (referral.rules.tier_for); the defaults give Book 1 to a member of
    # the book's classification and the last tier to others.
    book_one_own_classification = models.BooleanField(
        "Book 1: the book's classification only",
        default=True,
        help_text="Books 1 and 2 take members of the book's classification; others go on its "
        "last tier. Off: every member may.",
    )
    book_one_years = models.PositiveSmallIntegerField(
        "Book 1: years in the local",
        default=0,
        validators=[MaxValueValidator(60)],
        help_text="Whole years since joining the local that Book 1 asks (0: none); those with "
        "fewer go on Book 2.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = AuditedHistoricalRecords()

    class Meta:
        ordering = ["-effective_on", "-version"]
        permissions = [("activate_ruleset", "Can activate a referral rule set")]

    def __str__(self) -> str:
        return f"Rules v{self.version} (from {self.effective_on:%b %d, %Y})"

    @property
    def active(self) -> bool:
        return self.activated_at is not None

    @classmethod
    def rule_fields(cls) -> list[models.Field]:
        """The fields that are rules, of which registrants are given notice: not those that
        say which version it is and when, nor those activating it writes."""
        return [
            field
            for field in cls._meta.concrete_fields
            if field.editable and field.name not in _NOT_RULES
        ]

    @property
    def tier_criteria(self) -> TierCriteria:
        return TierCriteria(
            own_classification=self.book_one_own_classification, years=self.book_one_years
        )

    def tier_of(self, member: Member, book: Book, today: datetime.date) -> int:
        """The tier these rules give a member registering on a book today."""
        return tier_for(
            self.tier_criteria,
            member_classification_id=member.classification_id,
            joined_on=member.join_date,
            book_classification_id=book.classification_id,
            tiers=book.tiers,
            today=today,
        )

    def excuses(self, reason: str) -> bool:
        """Whether a check mark for this reason is recorded without counting."""
        return reason in self.check_marks_excused


class EmployerContract(models.Model):
    """An employer signatory to one of the local's contracts, as the vendor's
    employer-contract export lists them (referral/importing/): several contracts per
    employer, and a book's `contract_code` names the contract its requests come under."""

    employer = models.ForeignKey(Employer, on_delete=models.PROTECT, related_name="contracts")
    contract_code = models.CharField(max_length=20)
    agreement_type = models.CharField(
        max_length=10, choices=AgreementType.choices, default=AgreementType.STANDARD
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = AuditedHistoricalRecords()

    class Meta:
        ordering = ["contract_code", "employer_id"]
        # The vendor's exports are the hall's to bring in, not Staff's: the import permission
        # lives here, on the model the hall's own import made (both imports need it).
        permissions = [
            ("import_vendor_lists", "Can import the vendor's registration lists and contracts")
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["employer", "contract_code"], name="employer_contract_once"
            )
        ]
        indexes = [models.Index(fields=["contract_code"], name="employer_contract_code")]

    def __str__(self) -> str:
        return f"{self.employer.code} on {self.contract_code}"
