"""What the hiring hall adds to a member's admin page (`members.member_admin_sections`,
declared in ReferralConfig): their registrations on the books, each with its place, and the
way to their full history."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from members.extensions import MemberSection

from .models import RegistrationStatus
from .reports import current_first
from .selectors import member_registrations, registration_position


def _registration_rows(member, user) -> list[tuple[str, object]]:
    history = reverse("referral:member_history", args=[member.pk])
    registrations = current_first(member_registrations(member.pk))
    everything = ("History", format_html('<a href="{}">Every registration and event</a>', history))
    if not registrations:
        return [("Books", "Not registered on a book"), everything]
    rows = []
    # A member is on a few books at most; the history page has every registration.
    for registration in registrations[:10]:
        place = registration_position(registration)
        if place is not None:
            state = f"{registration.get_status_display()}, position {place}"
            if registration.status == RegistrationStatus.REGISTERED:
                state += f", re-sign due {registration.resign_due:%b %d, %Y}"
        else:
            state = registration.get_status_display()
            if registration.roll_off_reason:
                state += f" ({registration.get_roll_off_reason_display().lower()})"
            if registration.ended_at:
                state += f" {timezone.localtime(registration.ended_at):%b %d, %Y}"
        rows.append(
            (
                f"Book {registration.book.code}",
                # The whole line is the link: a link inside words is told apart by colour alone.
                format_html(
                    '<a href="{}">APN {}, Book {}: {}</a>',
                    reverse("admin:referral_registration_change", args=[registration.pk]),
                    registration.apn,
                    registration.tier,
                    state,
                ),
            )
        )
    return [*rows, everything]


REGISTRATIONS_SECTION = MemberSection(
    title="Hiring hall",
    permission="referral.view_registration",
    rows=_registration_rows,
)
