"""What the dues app adds to members (members/extensions.py; declared in DuesConfig):
standing as a filter of the member list and a column of the admin's list, and the dues
block on a member's admin page."""

from __future__ import annotations

from collections.abc import Iterable

from django.urls import reverse
from django.utils.html import format_html

from members.extensions import MemberColumn, MemberListFilter, MemberSection
from members.models import Member

from .ledger import Standing
from .selectors import dues_standings, member_dues_summary, members_in_standing


def _standing_labels(member_ids: Iterable[int]) -> dict[int, str]:
    standings = dues_standings(Member.objects.filter(pk__in=list(member_ids)))
    return {member_id: dues.standing.label for member_id, dues in standings.items()}


def _dues_rows(member: Member, user) -> list[tuple[str, object]]:
    dues = member_dues_summary(member)
    rows: list[tuple[str, object]] = [("Standing", dues.standing.label)]
    if user.has_perm("dues.view_payment"):
        balance = f"{dues.credit} credit" if dues.balance < 0 else dues.balance
        history = format_html(
            '{} (<a href="{}">payment history</a>)',
            dues.months_in_arrears,
            reverse("dues:member", args=[member.pk]),
        )
        rows += [
            ("Balance", balance),
            ("Paid through", dues.paid_through or "—"),
            ("Months in arrears", history),
        ]
    return rows


STANDING_FILTER = MemberListFilter(
    name="standing",
    description="Dues standing.",
    values=Standing.values,
    narrow=members_in_standing,
)
STANDING_COLUMN = MemberColumn(
    name="standing", label="Standing", permission="dues.view_standing", values=_standing_labels
)
DUES_SECTION = MemberSection(title="Dues", permission="dues.view_standing", rows=_dues_rows)
