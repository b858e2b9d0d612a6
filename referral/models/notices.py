"""The outbox of the hall's notices to its registrants (referral/notices.py)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from members.models import Member

from .registrations import Registration


class NoticeKind(models.TextChoices):
    RESIGN_REMINDER = "resign_reminder", "Re-sign reminder"
    DROPPED = "dropped", "Dropped: re-sign missed"


class NoticeStatus(models.TextChoices):
    WAITING = "waiting", "Waiting to be sent"
    SENT = "sent", "Sent"
    NO_ADDRESS = "no_address", "No address"
    OUTDATED = "outdated", "No longer true when it was to be sent"
    GAVE_UP = "gave_up", "Gave up after repeated failures"


class Notice(models.Model):
    """A message to a member (the outbox): written in the same transaction as what it tells
    (a drop), or once per `key` (a reminder per registration and re-sign date), then sent by
    the worker (referral.notices.notices_send), each under its row's lock and marked sent in
    the transaction that sends it. Kept after it is sent: the record that the hall told them."""

    key = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=20, choices=NoticeKind.choices)
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    registration = models.ForeignKey(
        Registration, null=True, blank=True, on_delete=models.PROTECT, related_name="notices"
    )
    # The re-sign date a reminder is about: not sent once the registration's has moved.
    due_on = models.DateField(null=True, blank=True)
    to = models.EmailField(blank=True, help_text="The member's email when it was written.")
    # The words, as they were sent: written when it is sent (referral.notices.notice_message).
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField(blank=True)
    status = models.CharField(
        max_length=12, choices=NoticeStatus.choices, default=NoticeStatus.WAITING
    )
    created_at = models.DateTimeField()
    written_by = models.CharField(max_length=150)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at", "id"],
                condition=Q(status="waiting"),
                name="notice_waiting",
            ),
            models.Index(fields=["member", "-created_at"], name="notice_member"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to member #{self.member_id}"
