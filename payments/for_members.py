"""What the payments app adds to members (members/extensions.py; declared in
PaymentsConfig): who is on autopay, as a filter of the member list and a column of the
admin's list."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from members.extensions import MemberColumn, MemberListFilter

from .models import Autopay, AutopayStatus


def members_on_autopay(members: QuerySet, value: str) -> QuerySet:
    on = members.filter(autopay__status=AutopayStatus.ACTIVE)
    return on if value == "yes" else members.exclude(pk__in=on.values("pk"))


def autopay_labels(member_ids: Iterable[int]) -> dict[int, str]:
    """Member id → what their autopay uses ("Visa •••• 4242"), or "" (one query)."""
    member_ids = list(member_ids)
    shown = {
        autopay.member_id: autopay.on_file
        for autopay in Autopay.objects.filter(member_id__in=member_ids, status=AutopayStatus.ACTIVE)
    }
    return {member_id: shown.get(member_id, "") for member_id in member_ids}


AUTOPAY_FILTER = MemberListFilter(
    name="autopay",
    description="On autopay (yes or no).",
    choices=[("yes", "On autopay"), ("no", "Not on autopay")],
    narrow=members_on_autopay,
)
AUTOPAY_COLUMN = MemberColumn(
    name="autopay",
    label="Autopay",
    permission="payments.view_autopay",
    values=autopay_labels,
)
