"""The hiring hall's ledger (docs/design.md §11): out-of-work books, the versioned rules
that order them, members' registrations and the append-only events that are their record.

A registrant's place is derived, never stored: the book's current registrations in (tier,
APN, sequence) order (referral.selectors.book_list). `RegistrationEvent` keeps, with every
change, the registration's place after it, so a book's list as it stood at any instant is
rebuilt from events alone (referral.selectors.book_list_as_of)."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from audit.history import AuditedHistoricalRecords
from checkoff.models import Employer
from members.models import Classification, Member


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
    reminder_days = models.PositiveSmallIntegerField(
        default=7, help_text="Days before a re-sign falls due that the registrant is reminded."
    )
    check_marks_tolerated = models.PositiveSmallIntegerField(
        default=2, help_text="Check marks a registrant may have; the next rolls them off the book."
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


class RegistrationStatus(models.TextChoices):
    REGISTERED = "registered", "Registered"
    EXEMPT = "exempt", "Exempt"
    DISPATCHED = "dispatched", "Dispatched"
    ROLLED_OFF = "rolled_off", "Rolled off"


# A registration that holds its place on the book (a dispatched one may be restored to it).
ACTIVE_STATUSES = (
    RegistrationStatus.REGISTERED,
    RegistrationStatus.EXEMPT,
    RegistrationStatus.DISPATCHED,
)
# On the out-of-work list: waiting for a call (an exempt registrant keeps their place).
ON_LIST_STATUSES = (RegistrationStatus.REGISTERED, RegistrationStatus.EXEMPT)


class RollOffReason(models.TextChoices):
    RESIGN_MISSED = "resign_missed", "Did not re-sign"
    CHECK_MARKS = "check_marks", "Check marks"
    QUIT = "quit", "Quit"
    DISCHARGED = "discharged", "Discharged"
    DISPATCHED = "dispatched", "Dispatched from another book"
    WITHDRAWN = "withdrawn", "Withdrew"
    OUT_OF_STANDING = "out_of_standing", "Out of good standing"
    STAFF = "staff", "Removed by the hall"


class Registration(models.Model):
    """A member's place on one book. At most one active registration per member and book
    (a partial unique index); a member may be on several books at once. The APN's whole part
    is the local's day number (days since 1899-12-30, as the vendor system counts), its
    fraction the order within that day; `sequence` breaks ties (duplicate APNs come from
    the vendor's exports)."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="registrations")
    book = models.ForeignKey(Book, on_delete=models.PROTECT, related_name="registrations")
    tier = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(4)])
    tier_reason = models.CharField(
        max_length=200, blank=True, help_text="Why staff chose this tier, where they did."
    )
    apn = models.DecimalField("APN", max_digits=9, decimal_places=2)
    sequence = models.PositiveBigIntegerField(help_text="Breaks ties between equal APNs.")
    status = models.CharField(
        max_length=12, choices=RegistrationStatus.choices, default=RegistrationStatus.REGISTERED
    )
    registered_at = models.DateTimeField()
    resign_due = models.DateField("re-sign due")
    check_marks = models.PositiveSmallIntegerField(default=0)
    short_calls_used = models.PositiveSmallIntegerField(default=0)
    ended_at = models.DateTimeField(null=True, blank=True)
    roll_off_reason = models.CharField(max_length=20, choices=RollOffReason.choices, blank=True)
    rule_set = models.ForeignKey(RuleSet, on_delete=models.PROTECT, related_name="+")
    # The Idempotency-Key of the API request that made it: its retry gets it back.
    idempotency_key = models.CharField(
        max_length=100, unique=True, null=True, blank=True, editable=False
    )

    history = AuditedHistoricalRecords()

    class Meta:
        ordering = ["book", "tier", "apn", "sequence"]
        permissions = [
            ("resign_registration", "Can take a re-sign"),
            ("roll_off_registration", "Can roll a registrant off a book"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "book"],
                condition=Q(status__in=ACTIVE_STATUSES),
                name="one_active_registration_per_member_and_book",
            ),
            models.UniqueConstraint(fields=["book", "sequence"], name="registration_sequence_once"),
            models.CheckConstraint(
                condition=Q(tier__gte=1) & Q(tier__lte=4), name="tier_one_to_four"
            ),
        ]
        indexes = [
            models.Index(
                fields=["book", "tier", "apn", "sequence"],
                condition=Q(status__in=ON_LIST_STATUSES),
                name="registration_on_list",
            ),
            models.Index(
                fields=["resign_due"],
                condition=Q(status=RegistrationStatus.REGISTERED),
                name="registration_resign_due",
            ),
            models.Index(fields=["book", "registered_at"], name="registration_book_registered"),
        ]

    def __str__(self) -> str:
        # No related row read: the audit trail names thousands of these at once (a night's
        # drops) and gives the member beside it.
        return f"Registration #{self.pk}: APN {self.apn}, tier {self.tier}"

    @property
    def on_list(self) -> bool:
        return self.status in ON_LIST_STATUSES


class EventKind(models.TextChoices):
    REGISTERED = "registered", "Registered"
    RESIGNED = "resigned", "Re-signed"
    CHECK_MARK = "check_mark", "Check mark"
    EXEMPTION_STARTED = "exemption_started", "Exemption started"
    EXEMPTION_ENDED = "exemption_ended", "Exemption ended"
    DISPATCHED = "dispatched", "Dispatched"
    RESTORED = "restored", "Restored"
    ROLLED_OFF = "rolled_off", "Rolled off"


class RegistrationEvent(models.Model):
    """One thing that happened to a registration, never changed or deleted (the database
    refuses it), with the registration's place and status after it: what
    book_list_as_of reads. `at` is when it took effect."""

    registration = models.ForeignKey(Registration, on_delete=models.PROTECT, related_name="events")
    book = models.ForeignKey(Book, on_delete=models.PROTECT, related_name="+")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    at = models.DateTimeField()
    reason = models.CharField(
        max_length=30, blank=True, help_text="A reason code, where one applies."
    )
    note = models.CharField(max_length=300, blank=True)
    rule_set = models.ForeignKey(RuleSet, on_delete=models.PROTECT, related_name="+")
    # The registration after this event.
    status = models.CharField(max_length=12, choices=RegistrationStatus.choices)
    tier = models.PositiveSmallIntegerField()
    apn = models.DecimalField("APN", max_digits=9, decimal_places=2)
    sequence = models.PositiveBigIntegerField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_by_name = models.CharField(max_length=150)

    # Never changed or deleted: the database refuses it (referral migration 0002).
    APPEND_ONLY = True

    history = AuditedHistoricalRecords()

    class Meta:
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["registration", "at", "id"], name="event_registration_at"),
            models.Index(fields=["book", "at"], name="event_book_at"),
        ]

    def __str__(self) -> str:
        # As referral/for_audit.py writes it in SQL for events made by the thousand.
        return f"{self.kind}: registration #{self.registration_id}"


class ExemptionKind(models.TextChoices):
    MILITARY = "military", "Military service"
    UNION_BUSINESS = "union_business", "Union business"
    SALTING = "salting", "Salting"
    MEDICAL = "medical", "Medical"
    JURY_DUTY = "jury_duty", "Jury duty"
    TRAVELING = "traveling", "Traveling"
    UNDER_SCALE = "under_scale", "Under scale"


# Exemptions that end by themselves after the rule set's cap, unless an officer extends them.
CAPPED_EXEMPTIONS = frozenset({ExemptionKind.TRAVELING, ExemptionKind.UNDER_SCALE})


class Exemption(models.Model):
    """A registrant excused from referral (and from re-signing) for a while: they keep their
    place and are passed over with the reason "exempt"."""

    registration = models.ForeignKey(
        Registration, on_delete=models.PROTECT, related_name="exemptions"
    )
    kind = models.CharField(max_length=20, choices=ExemptionKind.choices)
    starts_on = models.DateField()
    ends_on = models.DateField(
        null=True, blank=True, help_text="When it ends by itself (a capped one always has one)."
    )
    ended_at = models.DateTimeField(null=True, blank=True, editable=False)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_by_name = models.CharField(max_length=150)
    extended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    extension_reason = models.CharField(max_length=200, blank=True)
    note = models.CharField(max_length=300, blank=True)

    history = AuditedHistoricalRecords()

    class Meta:
        ordering = ["-starts_on"]
        permissions = [("extend_exemption", "Can extend an exemption past its end")]
        constraints = [
            models.UniqueConstraint(
                fields=["registration"],
                condition=Q(ended_at__isnull=True),
                name="one_open_exemption_per_registration",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} from {self.starts_on:%b %d, %Y}"


class QueuedRegistration(models.Model):
    """A registration asked for while the morning referral holds the books (new registrants
    wait until the first book's referral ends): applied in arrival order when it does."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    book = models.ForeignKey(Book, on_delete=models.PROTECT, related_name="+")
    tier = models.PositiveSmallIntegerField(null=True, blank=True)
    tier_reason = models.CharField(max_length=200, blank=True)
    asked_at = models.DateTimeField(auto_now_add=True)
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    asked_by_name = models.CharField(max_length=150)
    registration = models.OneToOneField(
        Registration, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    refused = models.CharField(max_length=300, blank=True)
    # The Idempotency-Key of the API request that asked: its retry gets this back.
    idempotency_key = models.CharField(
        max_length=100, unique=True, null=True, blank=True, editable=False
    )

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.member} for book #{self.book_id}, asked {self.asked_at:%Y-%m-%d %H:%M}"


class RegistrationHold(models.Model):
    """While a hold is open (the morning referral of the first book), new registrations are
    queued instead of drawn. At most one open hold."""

    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    is_open = models.BooleanField(default=True)
    reason = models.CharField(max_length=200)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["is_open"], condition=Q(is_open=True), name="one_open_hold"
            )
        ]

    def __str__(self) -> str:
        return f"Registrations held from {self.started_at:%Y-%m-%d %H:%M}: {self.reason}"


class EmployerContract(models.Model):
    """An employer signatory to one of the local's contracts, as the vendor's
    employer-contract export lists them (referral/importing.py): several contracts per
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
