"""The registrations list in the admin: filtered by book, status and tier, searched by a
member's number or name, and its queries (and the events list's) the same for 3 rows as
for 30."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import roles
from members.tests.factories import MemberFactory
from referral.models import RollOffReason
from referral.services import registration_register, registration_roll_off

from .factories import BookFactory

pytestmark = pytest.mark.django_db

REGISTRATIONS = reverse("admin:referral_registration_changelist")
EVENTS = reverse("admin:referral_registrationevent_changelist")


def _shown(response) -> list[str]:
    return [str(r.member.member_number) for r in response.context["cl"].result_list]


def test_the_list_filters_by_book_status_and_tier_and_finds_a_member(
    client, user_with_role, book, clock
):
    clock.set(2026, 12, 7, 9, 0)
    south = BookFactory(code="WIRE-S", classification=book.classification)
    ana = MemberFactory(member_number="1001", last_name="Nunez", classification=book.classification)
    ben = MemberFactory(member_number="1002", last_name="Brown")
    registration_register(member=ana, book=book, actor="tests")
    registration_register(member=ben, book=book, tier=2, tier_reason="Traveler", actor="tests")
    gone = registration_register(member=ana, book=south, actor="tests")
    registration_roll_off(registration=gone, reason=RollOffReason.QUIT, actor="tests")
    client.force_login(user_with_role(roles.STAFF))

    assert _shown(client.get(REGISTRATIONS, {"book__id__exact": south.pk})) == ["1001"]
    assert _shown(client.get(REGISTRATIONS, {"status__exact": "rolled_off"})) == ["1001"]
    assert _shown(client.get(REGISTRATIONS, {"tier": "2"})) == ["1002"]
    assert sorted(_shown(client.get(REGISTRATIONS, {"q": "1001"}))) == ["1001", "1001"]
    assert _shown(client.get(REGISTRATIONS, {"q": "brown"})) == ["1002"]
    assert client.get(REGISTRATIONS, {"apn__gt": "1"}).status_code == 400  # not declared


def _queries(client, url: str) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_lists_cost_the_same_queries_for_3_rows_as_for_30(client, user_with_role, book, clock):
    clock.set(2026, 12, 7, 9, 0)
    client.force_login(user_with_role(roles.DISPATCHER))

    def register(count):
        for _ in range(count):
            member = MemberFactory(classification=book.classification)
            registration_register(member=member, book=book, actor="tests")

    register(3)
    few = {url: _queries(client, url) for url in (REGISTRATIONS, EVENTS)}
    register(27)
    many = {url: _queries(client, url) for url in (REGISTRATIONS, EVENTS)}
    assert many == few
