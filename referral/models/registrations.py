"""Registrations, their append-only events, exemptions, and the queue held during the
morning referral."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from audit.history import AuditedHistoricalRecords
from members.models import Member

from .books import Book, RuleSet


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
    DISPATCHED = "dispatched", "Dispatched"
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
    wait until the first book's referral ends): applied in arrival order when it does,
    becoming a registration or keeping the reason it was refused then."""

    hold = models.ForeignKey(
        "RegistrationHold", null=True, on_delete=models.PROTECT, related_name="queued"
    )
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

    history = AuditedHistoricalRecords()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.member} for book #{self.book_id}, asked {self.asked_at:%Y-%m-%d %H:%M}"


class RegistrationHold(models.Model):
    """While a hold is open (the morning referral of the first book), new registrations are
    queued instead of drawn. At most one open hold (a partial unique index): a second
    referral starting while one runs is told who started the first, and when."""

    started_at = models.DateTimeField()
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    started_by_name = models.CharField(max_length=150)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ended_by_name = models.CharField(max_length=150, blank=True)
    is_open = models.BooleanField(default=True)
    reason = models.CharField(max_length=200)

    history = AuditedHistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["is_open"], condition=Q(is_open=True), name="one_open_hold"
            )
        ]

    def __str__(self) -> str:
        return f"Registrations held from {self.started_at:%Y-%m-%d %H:%M}: {self.reason}"
