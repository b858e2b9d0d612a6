"""Mail that payments send: alerts to officers. Sent after commit (receipts: dues/receipts.py)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.template.loader import render_to_string

from accounts import roles
from dues.models import Payment


def officer_emails() -> list[str]:
    officers = (
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=[roles.OFFICER, roles.ADMIN])
        .exclude(email="")
    )
    return sorted({*officers.values_list("email", flat=True), *settings.DUES_ALERT_EMAILS})


def dispute_alert_send(payment_id: int, reason: str) -> None:
    payment = Payment.objects.select_related("member").get(pk=payment_id)
    recipients = officer_emails()
    if not recipients:
        return
    send_mail(
        subject=f"Dispute opened on dues payment {payment.receipt} ({payment.member})",
        message=render_to_string(
            "payments/email/dispute.txt", {"payment": payment, "reason": reason}
        ),
        from_email=None,
        recipient_list=recipients,
    )
