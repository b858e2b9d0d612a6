"""The audit trail on other pages: `{% recent_actions user 10 %}` on the office's home lists
what this user did last (payments, refunds, adjustments and imports included: everything the
trail holds, where the admin's own log knows only its edit forms)."""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join

from audit.models import AuditAction, AuditEvent
from audit.selectors import model_verbose_name

register = template.Library()

_NOT_ACTIONS = [
    AuditAction.LOGIN,
    AuditAction.LOGOUT,
    AuditAction.LOGIN_FAILED,
    AuditAction.VIEW_SENSITIVE,
]
_ICONS = {
    AuditAction.CREATE: "addlink",
    AuditAction.DELETE: "deletelink",
    AuditAction.SOFT_DELETE: "deletelink",
}


@register.simple_tag
def recent_actions(user, limit: int = 10) -> str:
    events = list(
        AuditEvent.objects.filter(actor_label=user.get_username(), actor=user)
        .exclude(action__in=_NOT_ACTIONS)
        .order_by("-occurred_at", "-id")[:limit]
    )
    if not events:
        return format_html("<p>{}</p>", "None yet.")
    linked = user.has_perm("audit.view_auditevent")
    return format_html(
        '<ul class="actionlist">{}</ul>',
        format_html_join(
            "",
            "<li class={}>{}<br><span class=mini>{}</span></li>",
            (
                (
                    _ICONS.get(event.action, "changelink"),
                    _what(event, linked),
                    f"{model_verbose_name(event.model_label) or event.get_action_display()} · "
                    f"{date_format(timezone.localtime(event.occurred_at), 'M j, H:i')}",
                )
                for event in events
            ),
        ),
    )


def _what(event: AuditEvent, linked: bool) -> str:
    text = event.object_repr or event.get_action_display()
    if not linked:
        return text
    return format_html(
        '<a href="{}">{}</a>', reverse("admin:audit_auditevent_change", args=[event.pk]), text
    )
