"""Mail that members sends: the office told when a member changes their own contact data."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.mail import send_mail
from django.db.models import Q
from django.urls import reverse

from .models import Member


def office_emails() -> list[str]:
    """Whoever keeps the members' records (the `members.change_member` permission)."""
    perm = Permission.objects.get(content_type__app_label="members", codename="change_member")
    keepers = get_user_model().objects.filter(is_active=True).exclude(email="")
    keepers = keepers.filter(
        Q(is_superuser=True) | Q(groups__permissions=perm) | Q(user_permissions=perm)
    )
    return sorted(set(keepers.values_list("email", flat=True)))


def contact_change_send(member_id: int, fields: list[str]) -> int:
    member = Member.objects.get(pk=member_id)
    recipients = office_emails()
    if recipients:
        labels = [str(Member._meta.get_field(name).verbose_name) for name in fields]
        send_mail(
            subject=f"{member} changed their contact details",
            message=(
                f"{member} changed: {', '.join(labels)}.\n\n"
                f"Their record: {reverse('admin:members_member_change', args=[member.pk])}\n"
                "The change and the values before it are in the audit trail.\n"
            ),
            from_email=None,
            recipient_list=recipients,
        )
    return len(recipients)
