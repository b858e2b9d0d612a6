"""Dispatches (docs/design.md §11): a member sent to an employer's labor request, from the
registration they were referred on, and what became of it; and the qualifications a
registrant holds, which a request's requirements are checked against."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from audit.history import AuditedHistoricalRecords
from checkoff.models import Employer
from members.models import Member

from .books import RuleSet
from .registrations import Registration
from .requests import LaborRequest, Requirement


class Qualification(models.Model):
    """A requirement a member meets (an OSHA 30 card, a passed drug test), until
    `expires_on` where it lapses: a request naming a requirement goes only to registrants
    who hold it on the referral day."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    requirement = models.ForeignKey(Requirement, on_delete=models.PROTECT, related_name="+")
    expires_on = models.DateField(null=True, blank=True, help_text="Blank: it does not lapse.")

    history = AuditedHistoricalRecords()

    class Meta:
        ordering = ["member", "requirement"]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "requirement"], name="qualification_once_per_member"
            )
        ]

    def __str__(self) -> str:
        return f"Qualification: member #{self.member_id}, requirement #{self.requirement_id}"


class DispatchMethod(models.TextChoices):
    MORNING_REFERRAL = "morning_referral", "Morning referral"
    BID = "bid", "Web bid"
    BY_NAME = "by_name", "By name"
    IN_PERSON = "in_person", "In person"


class DispatchStatus(models.TextChoices):
    DISPATCHED = "dispatched", "Dispatched"
    CHECKED_IN = "checked_in", "Checked in"
    WORKING = "working", "Working"
    TERMINATED = "terminated", "Terminated"
    NO_SHOW = "no_show", "No-show"


# A dispatch the member is still on: at most one per member.
OPEN_DISPATCH_STATUSES = (
    DispatchStatus.DISPATCHED,
    DispatchStatus.CHECKED_IN,
    DispatchStatus.WORKING,
)


class TerminationReason(models.TextChoices):
    LAID_OFF = "laid_off", "Laid off"
    QUIT = "quit", "Quit"
    # A refusal after a successful bid counts as a quit (docs/domain.md §6).
    REFUSED_AFTER_BID = "refused_after_bid", "Refused after a successful bid"
    DISCHARGED = "discharged", "Discharged"
    SHORT_CALL_ENDED = "short_call_ended", "Short call ended"
    CONTRACT_ENDED = "contract_ended", "Contract ended"
    INJURED = "injured", "Injured on the job"
    OTHER = "other", "Other (the note says)"


class Dispatch(models.Model):
    """A member sent to a labor request, made through referral.services.dispatch_make only:
    the request's row locked first, then the member's registrations by id. The registration
    it came from is held (dispatched) while the dispatch is open; its end restores it (a
    short call within the rules) or ends it. The database refuses a second open dispatch
    for a member (a partial unique index, the last line of defence)."""

    labor_request = models.ForeignKey(
        LaborRequest, on_delete=models.PROTECT, related_name="dispatches"
    )
    employer = models.ForeignKey(Employer, on_delete=models.PROTECT, related_name="+")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    registration = models.ForeignKey(
        Registration, on_delete=models.PROTECT, related_name="dispatches"
    )
    method = models.CharField(max_length=20, choices=DispatchMethod.choices)
    status = models.CharField(
        max_length=12, choices=DispatchStatus.choices, default=DispatchStatus.DISPATCHED
    )
    short_call = models.BooleanField(default=False)
    dispatched_at = models.DateTimeField()
    report_by = models.DateTimeField(
        help_text="The request's start: not checked in by then, the dispatch is a no-show."
    )
    checked_in_at = models.DateTimeField(null=True, blank=True)
    working_since = models.DateField(null=True, blank=True)
    terminated_on = models.DateField(null=True, blank=True)
    termination_reason = models.CharField(
        max_length=20, choices=TerminationReason.choices, blank=True
    )
    note = models.CharField(max_length=300, blank=True)
    restored = models.BooleanField(
        default=False, help_text="Its end put the registration back in its place."
    )
    rule_set = models.ForeignKey(RuleSet, on_delete=models.PROTECT, related_name="+")
    dispatched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    dispatched_by_name = models.CharField(max_length=150)
    idempotency_key = models.CharField(max_length=100, null=True, blank=True, unique=True)

    history = AuditedHistoricalRecords()

    class Meta:
        ordering = ["-dispatched_at", "-id"]
        verbose_name_plural = "dispatches"
        permissions = [
            ("terminate_dispatch", "Can record a dispatch's end"),
        ]
        constraints = [
            # One open dispatch per member, whatever book it came from (docs/domain.md §6:
            # the predecessor dispatched one member twice).
            models.UniqueConstraint(
                fields=["member"],
                condition=Q(status__in=OPEN_DISPATCH_STATUSES),
                name="one_open_dispatch_per_member",
            ),
            models.CheckConstraint(
                condition=(
                    Q(status=DispatchStatus.TERMINATED)
                    & Q(terminated_on__isnull=False)
                    & ~Q(termination_reason="")
                )
                | (
                    ~Q(status=DispatchStatus.TERMINATED)
                    & Q(terminated_on__isnull=True)
                    & Q(termination_reason="")
                ),
                name="dispatch_terminated_with_date_and_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["dispatched_at"], name="dispatch_day_book"),
            models.Index(fields=["employer", "status"], name="dispatch_employer_status"),
            models.Index(fields=["member", "dispatched_at"], name="dispatch_member_history"),
        ]

    def __str__(self) -> str:
        return f"Dispatch #{self.pk}: member #{self.member_id} to request #{self.labor_request_id}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_DISPATCH_STATUSES
