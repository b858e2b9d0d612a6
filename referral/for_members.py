"""What the hiring hall adds to a member's admin page (`members.member_admin_sections`,
declared in ReferralConfig): their registrations on the books, each with its place, and the
way to their full history; and, for readers of dispatches, where they were dispatched and
what became of it."""

from __future__ import annotations

from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from members.extensions import MemberSection

from .models import Dispatch, RegistrationStatus
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
    return [*rows, everything, *_dispatch_rows(member, user)]


# The latest on the page; the dispatches' list, searched by member number, has them all.
DISPATCHES_SHOWN = 10


def _dispatch_rows(member, user) -> list[tuple[str, object]]:
    if not user.has_perm("referral.view_dispatch"):
        return []
    dispatches = list(
        Dispatch.objects.filter(member_id=member.pk)
        .select_related("employer", "registration__book")
        .order_by("-dispatched_at", "-id")[: DISPATCHES_SHOWN + 1]
    )
    if not dispatches:
        return [("Dispatches", "Never dispatched")]
    rows = [_dispatch_row(dispatch) for dispatch in dispatches[:DISPATCHES_SHOWN]]
    if len(dispatches) > DISPATCHES_SHOWN:
        every = (
            reverse("admin:referral_dispatch_changelist")
            + "?"
            + urlencode({"q": member.member_number})
        )
        rows.append(("Dispatches", format_html('<a href="{}">Every dispatch</a>', every)))
    return rows


def _dispatch_row(dispatch: Dispatch) -> tuple[str, object]:
    state = dispatch.get_status_display()
    if dispatch.terminated_on:
        state += (
            f", ended {dispatch.terminated_on:%b %d, %Y} "
            f"({dispatch.get_termination_reason_display().lower()})"
        )
    return (
        f"Dispatched {timezone.localtime(dispatch.dispatched_at):%b %d, %Y}",
        format_html(
            '<a href="{}">{}, Book {}, {}: {}</a>',
            reverse("admin:referral_dispatch_change", args=[dispatch.pk]),
            dispatch.employer,
            dispatch.registration.book.code,
            dispatch.get_method_display().lower(),
            state,
        ),
    )


REGISTRATIONS_SECTION = MemberSection(
    title="Hiring hall",
    permission="referral.view_registration",
    rows=_registration_rows,
)
