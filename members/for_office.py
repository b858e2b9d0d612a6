"""What members adds to the office's home (appkit/extensions.py; declared in MembersConfig):
finding a member, the first thing asked at the counter, and the contact details members
changed themselves, for the office to look over."""

from __future__ import annotations

import datetime

from django.db.models import F
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from appkit.extensions import DashboardPanel, WorkItem

from .models import Member

CONTACT_CHANGES_DAYS = 14


def _find(request: HttpRequest) -> dict:
    return {}


FIND_PANEL = DashboardPanel(
    title="Find a member",
    template="members/office/find_panel.html",
    data=_find,
    permission="members.view_member",
)


def _own_contact_changes() -> int:
    since = timezone.now() - datetime.timedelta(days=CONTACT_CHANGES_DAYS)
    return (
        Member.history.filter(
            history_type="~", history_date__gte=since, history_user_id=F("user_id")
        )
        .values("id")
        .distinct()
        .count()
    )


def _member_changes_url() -> str:
    return (
        reverse("admin:audit_auditevent_changelist")
        + "?"
        + urlencode({"model_label": "members.member"})
    )


CONTACT_CHANGES_WORK = WorkItem(
    label=f"members changed their own contact details (last {CONTACT_CHANGES_DAYS} days)",
    permission="audit.view_auditevent",
    count=_own_contact_changes,
    url=_member_changes_url,
)
