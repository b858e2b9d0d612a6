"""Mail that payments send: alerts to officers. Sent after commit (receipts: dues/receipts.py)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse

from accounts import roles
from dues.models import Payment
from members.models import Member

from .models import Autopay, AutopayCollection


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


# What a member is told about their autopay, and the subject of each notice.
AUTOPAY_NOTICES = {
    "on": "Autopay is on",
    "changed": "Your autopay payment method changed",
    "cancelled": "Autopay is cancelled",
    "off": "Autopay is off: your payment method can no longer be used",
    "failed": "Your dues payment did not go through",
    "gave_up": "Your dues payment did not go through",
}


def autopay_notice_send(member_id: int, what: str, collection_id: int | None = None) -> None:
    """Tell the member (and, when autopay gives up, the office) what happened; a collection
    held for review is the office's alone to look into."""
    member = Member.objects.get(pk=member_id)
    autopay = Autopay.objects.filter(member=member).first()
    collection = (
        AutopayCollection.objects.select_related("period").filter(pk=collection_id).first()
        if collection_id
        else None
    )
    context = {
        "member": member,
        "autopay": autopay,
        "collection": collection,
        "what": what,
        "dues_url": f"{settings.SITE_URL}{reverse('dues:my')}",
    }
    if member.email and what in AUTOPAY_NOTICES:
        send_mail(
            subject=AUTOPAY_NOTICES[what],
            message=render_to_string("payments/email/autopay.txt", context),
            from_email=None,
            recipient_list=[member.email],
        )
    if what == "held":
        _tell_office(f"Autopay held for review: {member}, {collection.period}", "held", context)
    if what == "gave_up":
        _tell_office(f"Autopay gave up on {member} for {collection.period}", "gave_up", context)


def _tell_office(subject: str, what: str, context: dict) -> None:
    recipients = officer_emails()
    if recipients:
        send_mail(
            subject=subject,
            message=render_to_string(f"payments/email/autopay_{what}.txt", context),
            from_email=None,
            recipient_list=recipients,
        )
