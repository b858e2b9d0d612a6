"""Mail the trail sends: each verified checkpoint, and a broken chain, to whoever reads the
trail (the `audit.view_auditcheckpoint` permission), so a copy of the head lives outside
the database."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.mail import send_mail
from django.db.models import Q

from .chain import ChainBreak, checkpoint_text
from .models import AuditCheckpoint


def trail_readers_emails() -> list[str]:
    perm = Permission.objects.filter(
        content_type__app_label="audit", codename="view_auditcheckpoint"
    ).first()
    readers = get_user_model().objects.filter(is_active=True).exclude(email="")
    readers = readers.filter(
        Q(is_superuser=True) | Q(groups__permissions=perm) | Q(user_permissions=perm)
    )
    return sorted(set(readers.values_list("email", flat=True)))


def checkpoint_send(checkpoint: AuditCheckpoint) -> int:
    recipients = trail_readers_emails()
    if recipients:
        send_mail(
            subject=f"Audit trail checkpoint: event {checkpoint.seq} verified",
            message=checkpoint_text(checkpoint),
            from_email=None,
            recipient_list=recipients,
        )
    return len(recipients)


def chain_break_send(broken: ChainBreak) -> int:
    recipients = trail_readers_emails()
    if recipients:
        send_mail(
            subject="Audit trail: verification FAILED",
            message=(
                f"{broken}\n\nThe audit trail no longer matches its hash chain: an event was "
                "changed, removed or inserted outside the application. Keep the checkpoints "
                "you were mailed before, and have the database owner's access reviewed.\n"
            ),
            from_email=None,
            recipient_list=recipients,
        )
    return len(recipients)
