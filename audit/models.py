from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class AuditAction(models.TextChoices):
    CREATE = "create", "Create"
    UPDATE = "update", "Update"
    DELETE = "delete", "Delete"
    SOFT_DELETE = "soft_delete", "Soft delete"
    LOGIN = "login", "Login"
    LOGIN_FAILED = "login_failed", "Login failed"
    LOGOUT = "logout", "Logout"
    EXPORT = "export", "Export"
    VIEW_SENSITIVE = "view_sensitive", "View of sensitive data"
    # The trail's own bookkeeping (audit/chain_blocks.py): numbers reserved for a long write,
    # and the word that the write committed what it reserved them for.
    BLOCK_RESERVED = "block_reserved", "Numbers reserved"
    BLOCK_SEALED = "block_sealed", "Reserved numbers written"


class AuditEvent(models.Model):
    """One entry of the trail: who did what to which record, when, from where.

    Append-only: the database refuses UPDATE and DELETE on this table (see append_only.py).
    """

    occurred_at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # The username at the time, a system actor (import_members, stripe-webhook, seed_demo),
    # or for a failed login the username that was tried.
    actor_label = models.CharField("actor", max_length=150)
    action = models.CharField(max_length=20, choices=AuditAction.choices)
    model_label = models.CharField("model", max_length=100, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField("object", max_length=200, blank=True)
    # The member the record concerns, where there is one. Not a foreign key: the audit
    # app knows no other app, and the trail outlives anything it points at.
    member_id = models.BigIntegerField(null=True, blank=True)
    member_number = models.CharField(max_length=20, blank=True)
    # {"field": [old, new], ...} as JSON-friendly values (dates ISO, money as strings).
    changes = models.JSONField(default=dict, blank=True)
    detail = models.TextField(blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    history_id = models.BigIntegerField(
        null=True, blank=True, help_text="The history row this event was made from."
    )
    # The hash chain (audit/chain.py): this event's number in the trail, the hash of the
    # event before it, and its own hash over its content and that one.
    seq = models.BigIntegerField("number in the trail", unique=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        default_permissions = ("view",)
        permissions = [
            ("view_sensitive", "Can see sensitive values in the audit trail unredacted"),
        ]
        indexes = [
            models.Index(fields=["-occurred_at", "-id"], name="audit_occurred_idx"),
            models.Index(fields=["actor_label", "-occurred_at"], name="audit_actor_idx"),
            models.Index(fields=["action", "-occurred_at"], name="audit_action_idx"),
            models.Index(fields=["model_label", "object_id"], name="audit_object_idx"),
            models.Index(fields=["object_id"], name="audit_object_id_idx"),
            models.Index(fields=["member_id", "-occurred_at"], name="audit_member_idx"),
            models.Index(fields=["member_number"], name="audit_member_number_idx"),
            # The reservations, by number: which block a number falls in (chain_guard.py).
            models.Index(
                fields=["seq"],
                condition=models.Q(action="block_reserved"),
                name="audit_block_reserved_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(action__in=AuditAction.values), name="audit_action_valid"
            ),
        ]

    def __str__(self) -> str:
        # In the local time zone, as every page shows the time.
        when = timezone.localtime(self.occurred_at)
        return f"{when:%Y-%m-%d %H:%M} {self.actor_label} {self.get_action_display().lower()}"


class AuditChainHead(models.Model):
    """The last number taken and the hash the next event follows: one row, locked by each
    transaction that appends events, so events are numbered in the order they commit
    (audit/chain.py). Only the database moves it, forward, as events are inserted
    (audit/chain_guard.py); it refuses DELETE and any UPDATE that does not move it on."""

    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64)

    class Meta:
        default_permissions = ()

    def __str__(self) -> str:
        return f"Head of the trail: {self.seq} events, {self.hash[:12]}…"


class AuditCheckpoint(models.Model):
    """A verified point of the trail: the chain up to event `seq` recomputed and found whole.
    Mailed to the officers and downloadable, so a copy lives where the database's owner
    cannot change it. Append-only."""

    seq = models.BigIntegerField("up to event")
    hash = models.CharField(max_length=64)
    verified_at = models.DateTimeField()
    events_checked = models.BigIntegerField()
    verified_by = models.CharField(max_length=150)

    class Meta:
        ordering = ["-seq", "-id"]
        default_permissions = ("view",)
        indexes = [models.Index(fields=["-seq"], name="audit_checkpoint_seq_idx")]

    def __str__(self) -> str:
        return f"Checkpoint at event {self.seq} ({self.verified_at:%Y-%m-%d %H:%M})"
