"""Input no form or API accepts is a 400 that says so, never a 500 (PostgreSQL refuses
NUL characters outright, so this matters most there)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts import roles
from apikit.tests.client import api_client
from audit.models import AuditEvent
from members.models import Member
from members.tests.factories import MemberFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_nul_characters_in_a_login_are_a_400(client):
    for url in (reverse("login"), reverse("admin:login")):
        response = client.post(url, {"username": "ad\x00min", "password": "x"})
        assert response.status_code == 400


def test_nul_characters_in_api_queries_and_bodies_are_a_400(db):
    client = api_client(UserFactory(role=roles.ADMIN))
    assert client.get(reverse("api:members"), {"search": "a\x00b"}).status_code == 400
    assert client.get(reverse("api:audit-events"), {"actor": "a\x00"}).status_code == 400
    response = client.post(
        reverse("api:members"),
        {
            "member_number": "1",
            "first_name": "A",
            "last_name": "B",
            "classification": "J\x00W",
            "join_date": "2020-01-01",
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"detail": "NUL characters are not allowed."}
    assert not Member.objects.exists()


def test_nul_characters_in_an_admin_filter_are_a_400(admin_client):
    response = admin_client.get(
        reverse("admin:audit_auditevent_changelist"), {"actor_label": "a\x00"}
    )
    assert response.status_code == 400


def test_a_too_long_idempotency_key_is_a_400(db):
    member = MemberFactory()
    response = api_client(UserFactory(role=roles.STAFF)).post(
        reverse("api:dues-payments"),
        {"member": member.pk, "amount": "45.00", "method": "cash", "received_date": "2026-11-02"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k" * 150,
    )
    assert response.status_code == 400
    assert "idempotency_key" in response.json()


def test_reading_member_records_by_api_is_recorded_but_not_ones_own(db):
    organizer = UserFactory(role=roles.ORGANIZER)
    member_user = UserFactory(role=roles.MEMBER)
    own = MemberFactory(user=member_user, general_notes="Office: owes a hardhat")
    other = MemberFactory()
    client = api_client(organizer)
    client.get(reverse("api:member", args=[other.pk]))
    client.get(reverse("api:members"))
    events = AuditEvent.objects.filter(action="view_sensitive", actor=organizer)
    assert {e.object_id or e.object_repr for e in events} == {str(other.pk), "2 members"}

    mine = api_client(member_user).get(reverse("api:member", args=[own.pk])).json()
    assert "general_notes" not in mine and "stripe_customer_id" not in mine
    assert not AuditEvent.objects.filter(action="view_sensitive", actor=member_user).exists()
