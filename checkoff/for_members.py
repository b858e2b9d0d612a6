"""What check-off adds to a member's admin page (`members.member_admin_sections`, declared
in CheckoffConfig): their authorizations and each employer's last remittance for them."""

from __future__ import annotations

from django.urls import reverse
from django.utils.html import format_html

from appkit.templatetags.office import currency
from members.extensions import MemberSection

from .selectors import member_checkoff


def _checkoff_rows(member, user) -> list[tuple[str, object]]:
    found = member_checkoff(member.pk)
    if not found.authorizations:
        return [("Check-off", "None: pays directly")]
    rows = []
    for authorization in found.authorizations:
        employer = authorization.employer
        until = f", revoked {authorization.revoked_on}" if authorization.revoked_on else ""
        line = found.last_remittance.get(employer.pk)
        last = (
            format_html(
                '; last remitted <a href="{}">{} for {}</a> on {}',
                reverse("admin:checkoff_remittancebatch_change", args=[line.batch_id]),
                currency(line.amount),
                line.work_month,
                line.batch.received_on,
            )
            if line
            else "; nothing remitted yet"
        )
        rows.append(
            (
                f"Check-off at {employer.code}",
                format_html(
                    "{} (employee {}), signed {}{}{}",
                    employer.name,
                    authorization.employee_id or "—",
                    authorization.signed_on,
                    until,
                    last,
                ),
            )
        )
    return rows


CHECKOFF_SECTION = MemberSection(
    title="Employer check-off",
    permission="checkoff.view_checkoffauthorization",
    rows=_checkoff_rows,
)
