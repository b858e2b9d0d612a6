"""Check marks: one per registration per day, each with its reason code and the rule
version that decided whether it counts."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from audit.history import AuditedHistoricalRecords
from members.models import Member

from .books import Book, CheckMarkReason, RuleSet
from .registrations import Registration


class CheckMark(models.Model):
    """A check mark a registrant got on one book for one of the local's days: never changed
    or deleted (the database refuses it). `counted` is False when the rules in force that
    day excuse its reason: it is kept, with its event, but does not bring the roll-off
    nearer. Book and member are copied from the registration, as its events are, so a
    book's or a member's marks are read without a join."""

    registration = models.ForeignKey(Registration, on_delete=models.PROTECT, related_name="marks")
    book = models.ForeignKey(Book, on_delete=models.PROTECT, related_name="+")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    day = models.DateField(help_text="The local's day the mark is for.")
    reason = models.CharField(max_length=30, choices=CheckMarkReason.choices)
    counted = models.BooleanField(
        default=True, help_text="False when the rule set excuses this reason."
    )
    rule_set = models.ForeignKey(RuleSet, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_by_name = models.CharField(max_length=150)
    created_at = models.DateTimeField()

    # Never changed or deleted: the database refuses it (the migration that made it).
    APPEND_ONLY = True

    history = AuditedHistoricalRecords()

    class Meta:
        ordering = ["day", "id"]
        constraints = [
            # At most one a day (docs/design.md §11): a batch run again finds its marks.
            models.UniqueConstraint(
                fields=["registration", "day"], name="check_mark_once_per_registration_and_day"
            )
        ]
        indexes = [models.Index(fields=["book", "day"], name="check_mark_book_day")]

    def __str__(self) -> str:
        return (
            f"Check mark {self.day:%Y-%m-%d} ({self.reason}): registration #{self.registration_id}"
        )
