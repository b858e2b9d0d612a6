from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from audit.history import AuditedHistoricalRecords


class Classification(models.Model):
    """A membership class (Journeyman Wireman, Apprentice, Retired...); it decides the dues rate."""

    code = models.CharField(max_length=10, unique=True)
    name = models.CharField(max_length=100)
    # What the LM-2's Schedule 13 asks of each category the local keeps.
    # Defaults in the database too: rows written by SQL (imports, the bench) get them.
    definition = models.CharField(
        max_length=200,
        blank=True,
        default="",
        db_default="",
        help_text="Who belongs to it, in a line (LM-2 Schedule 13).",
    )
    full_dues = models.BooleanField(
        default=True, db_default=True, help_text="Its members pay full dues."
    )
    may_vote = models.BooleanField(default=True, db_default=True, help_text="Its members may vote.")

    history = AuditedHistoricalRecords()

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"


class MemberStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"
    DROPPED = "dropped", "Dropped"
    RETIRED = "retired", "Retired"
    DECEASED = "deceased", "Deceased"


class Member(models.Model):
    """A member of the local. Never hard-deleted: leaving the union is a status."""

    # The fields Staff may change (docs/design.md §3: "change contact data").
    CONTACT_FIELDS = (
        "email",
        "phone",
        "address_line1",
        "address_line2",
        "city",
        "state",
        "postal_code",
    )

    # Personal data: read by the office roles that keep records (the `view_personal`
    # permission: Admin, Officer, Staff) and by the member themself; not by organizers,
    # in any page, API answer or export (members.selectors.member_fields_hidden_from).
    # An organizer does read the phone and the email: calling members is their work.
    PERSONAL_FIELDS = (
        "date_of_birth",
        "address_line1",
        "address_line2",
        "city",
        "state",
        "postal_code",
    )
    # The office's own fields: never shown to the member themself.
    OFFICE_ONLY_FIELDS = ("general_notes", "stripe_customer_id")

    member_number = models.CharField(max_length=20, unique=True)
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=30, blank=True)
    address_line1 = models.CharField("address", max_length=200, blank=True)
    address_line2 = models.CharField("address (line 2)", max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=50, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    classification = models.ForeignKey(
        Classification, on_delete=models.PROTECT, related_name="members"
    )
    status = models.CharField(
        max_length=20, choices=MemberStatus.choices, default=MemberStatus.ACTIVE
    )
    join_date = models.DateField()
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="member",
        help_text="The login this member uses for the member pages.",
    )
    # NULL, never "", when there is no Stripe customer: many members have none.
    stripe_customer_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    general_notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = AuditedHistoricalRecords()

    class Meta:
        ordering = ["last_name", "first_name", "member_number"]
        permissions = [
            (
                "change_membership",
                "Can change membership data (number, name, classification, status, dates)",
            ),
            ("view_personal", "Can see members' date of birth, address and phone"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=MemberStatus.values),
                name="member_status_valid",
                violation_error_message="Status must be one of: "
                + ", ".join(MemberStatus.values)
                + ".",
            ),
            models.CheckConstraint(
                condition=~Q(stripe_customer_id=""),
                name="member_stripe_customer_id_not_blank",
            ),
            models.CheckConstraint(
                condition=~Q(member_number=""),
                name="member_number_not_blank",
            ),
        ]
        indexes = [
            models.Index(fields=["last_name", "first_name"], name="member_name_idx"),
            models.Index(fields=["status", "classification"], name="member_status_class_idx"),
            models.Index(fields=["email"], name="member_email_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.member_number})"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class NoteVisibility(models.TextChoices):
    STAFF_ONLY = "staff_only", "Staff only (and its author)"
    OFFICERS = "officers", "Officers and organizers"
    ALL_AUTHORIZED = "all_authorized", "Everyone in the office"


class NoteCategory(models.TextChoices):
    CONTACT = "contact", "Contact"
    DUES = "dues", "Dues"
    GRIEVANCE = "grievance", "Grievance"
    DISPATCH = "dispatch", "Dispatch"
    GENERAL = "general", "General"


class MemberNote(models.Model):
    """A note on a member. Who may read it is decided by member_notes_visible_to()."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    visibility = models.CharField(
        max_length=20, choices=NoteVisibility.choices, default=NoteVisibility.ALL_AUTHORIZED
    )
    category = models.CharField(max_length=20, choices=NoteCategory.choices, blank=True)
    # Soft delete: the note is hidden, never removed (it stays in history and the trail).
    is_deleted = models.BooleanField(default=False)
    deleted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = AuditedHistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(visibility__in=NoteVisibility.values),
                name="member_note_visibility_valid",
            ),
            models.CheckConstraint(condition=~Q(text=""), name="member_note_text_required"),
            models.CheckConstraint(
                condition=Q(is_deleted=False) | Q(deleted_at__isnull=False),
                name="member_note_deleted_has_date",
            ),
        ]
        indexes = [
            models.Index(
                fields=["member", "is_deleted", "-created_at"], name="member_note_member_idx"
            ),
        ]

    def __str__(self) -> str:
        # Never the text: this string appears in the audit trail, which others may read.
        return f"Note #{self.pk} on member #{self.member_id}"
