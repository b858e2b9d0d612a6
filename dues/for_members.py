"""What the dues app adds to members (members/extensions.py; declared in DuesConfig):
standing as a filter of the member list and a column of the admin's list, and the dues
block on a member's admin page."""

from __future__ import annotations

from django.urls import reverse
from django.utils.html import format_html

from members.extensions import MemberColumn, MemberListFilter, MemberSection
from members.models import Member

from .ledger import Standing
from .selectors import member_dues_summary, member_standing_labels, members_in_standing


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
    name="standing",
    label="Standing",
    permission="dues.view_standing",
    values=member_standing_labels,
)
DUES_SECTION = MemberSection(title="Dues", permission="dues.view_standing", rows=_dues_rows)
