"""A member's admin page shows their registrations on the hall's books (the
`members.member_admin_sections` point), and the office's header links to the books."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts import roles
from members.tests.factories import MemberFactory
from referral.models import RollOffReason
from referral.services import registration_register, registration_roll_off

from .factories import BookFactory

pytestmark = pytest.mark.django_db


def test_a_members_page_shows_their_registrations(client, user_with_role, book, clock):
    clock.set(2026, 12, 7, 9, 0)
    member = MemberFactory(classification=book.classification)
    other = BookFactory(code="WIRE-S", classification=book.classification)
    on = registration_register(member=member, book=book, actor="tests")
    off = registration_register(member=member, book=other, actor="tests")
    registration_roll_off(registration=off, reason=RollOffReason.WITHDRAWN, actor="tests")
    client.force_login(user_with_role(roles.STAFF))

    html = client.get(reverse("admin:members_member_change", args=[member.pk])).content.decode()

    assert "Hiring hall" in html
    assert f"APN {on.apn}, Book 1: Registered, position 1, re-sign due Jan 06, 2027</a>" in html
    assert f"APN {off.apn}, Book 1: Rolled off (withdrew) Dec 07, 2026</a>" in html
    assert reverse("referral:member_history", args=[member.pk]) in html


def test_a_member_never_registered_says_so(client, user_with_role, rules):
    member = MemberFactory()
    client.force_login(user_with_role(roles.DISPATCHER))
    html = client.get(reverse("admin:members_member_change", args=[member.pk])).content.decode()
    assert "Not registered on a book" in html


def test_the_office_header_links_to_the_books_for_who_may_open_them(client, user_with_role, db):
    client.force_login(user_with_role(roles.STAFF))
    assert (
        f'href="{reverse("referral:books")}"' in client.get(reverse("admin:index")).content.decode()
    )
    client.force_login(user_with_role(roles.ORGANIZER))
    assert reverse("referral:books") not in client.get(reverse("admin:index")).content.decode()
