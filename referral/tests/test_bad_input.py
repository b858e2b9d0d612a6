"""No parameter of a hall page answers 500: what cannot be read is a 400 saying why, or is
ignored (a page number past the end is the last page)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts import roles
from members.tests.factories import MemberFactory
from referral.services import registration_register

pytestmark = pytest.mark.django_db

EVIL = [
    "²",
    "٣",
    "-1",
    "1e9",
    "99999999999999999999999",
    "9999-12-31",
    "9999-12-31 23:59",
    "0001-01-01",
    "10000-01-01",
    "%",
    "' OR 1=1 --",
    "\u202e",
    "\x00",
    "x" * 5000,
]


def test_no_hall_page_parameter_answers_500(client, user_with_role, book, clock):
    clock.set(2026, 12, 7, 9, 0)
    member = MemberFactory(classification=book.classification)
    registration = registration_register(member=member, book=book, actor="tests")
    client.force_login(user_with_role(roles.OFFICER))
    pages = {
        reverse("referral:book_list", args=[book.pk]): ["page", "format"],
        reverse("referral:book_as_of", args=[book.pk]): ["at", "page", "format"],
        reverse("referral:resign_due"): ["days", "page", "format"],
        reverse("referral:dropped"): ["start", "end", "reason", "book", "page"],
        reverse("referral:member_history", args=[member.pk]): ["format"],
        reverse("admin:referral_registration_changelist"): ["q", "tier", "status__exact", "p"],
        reverse("admin:referral_registration_add"): ["member"],
        reverse("admin:referral_registrationevent_changelist"): ["q", "kind__exact"],
    }
    for url, params in pages.items():
        for name in params:
            for value in EVIL:
                response = client.get(url, {name: value})
                assert response.status_code < 500, (url, name, value)
    roll_off = reverse("admin:referral_registration_roll_off", args=[registration.pk])
    for value in EVIL:
        assert client.post(roll_off, {"reason": value, "note": value}).status_code == 400
    huge = 10**20
    for url in (
        reverse("referral:book_list", args=[huge]),
        reverse("referral:book_as_of", args=[huge]),
        reverse("referral:member_history", args=[huge]),
        reverse("admin:referral_registration_roll_off", args=[huge]),
        reverse("admin:referral_registration_exempt", args=[huge]),
        reverse("admin:referral_registration_exemption_extend", args=[registration.pk, huge]),
        reverse("admin:referral_ruleset_activate", args=[huge]),
    ):
        assert client.get(url).status_code == 404, url
    for url in (
        reverse("admin:referral_registration_resign", args=[huge]),
        reverse("admin:referral_registration_exemption_end", args=[registration.pk, huge]),
    ):
        assert client.post(url).status_code == 404, url
