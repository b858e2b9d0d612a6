from __future__ import annotations

from django import template

from ..autopay import autopay_next
from ..models import Autopay, AutopayStatus

register = template.Library()


@register.inclusion_tag("payments/_autopay_panel.html", takes_context=True)
def autopay_panel(context, member, dues) -> dict:
    """The member's autopay: what is on file, the next collection, and its buttons."""
    autopay = Autopay.objects.filter(member=member).first()
    active = autopay is not None and autopay.status == AutopayStatus.ACTIVE
    return {
        "member": member,
        "autopay": autopay,
        "active": active,
        "next": autopay_next(member, dues.balance) if active else None,
        "online_payment": context.get("online_payment"),
        "csrf_token": context.get("csrf_token"),
    }
