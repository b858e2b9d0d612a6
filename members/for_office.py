"""What members adds to the office's home (appkit/extensions.py; declared in MembersConfig):
finding a member, the first thing asked at the counter."""

from __future__ import annotations

from django.http import HttpRequest

from appkit.extensions import DashboardPanel


def _find(request: HttpRequest) -> dict:
    return {}


FIND_PANEL = DashboardPanel(
    title="Find a member",
    template="members/office/find_panel.html",
    data=_find,
    permission="members.view_member",
)
