"""Registering in the admin goes through registration_register (the APN drawn, the event
written), a refusal is a form error, never a 500; a registration's page re-signs, rolls off
after a confirmation, and starts and ends exemptions, each through its service."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts import roles
from members.tests.factories import MemberFactory
from referral import rules as hall_rules
from referral.models import Exemption, Registration, RegistrationEvent
from referral.services import registration_register, registrations_hold

pytestmark = pytest.mark.django_db

ADD = reverse("admin:referral_registration_add")


@pytest.fixture
def member(book):
    return MemberFactory(first_name="Ana", last_name="Nunez", classification=book.classification)


def test_registering_in_the_admin_draws_the_apn_through_the_service(
    client, user_with_role, book, member, clock
):
    clock.set(2026, 12, 7, 9, 15)
    client.force_login(user_with_role(roles.STAFF))
    form = client.get(ADD, {"member": member.pk})
    assert form.status_code == 200 and form.context["form"].initial == {"member": member.pk}
    found = client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "referral",
            "model_name": "registration",
            "field_name": "member",
            "term": "nunez",
        },
    )
    assert [r["id"] for r in found.json()["results"]] == [str(member.pk)]

    response = client.post(ADD, {"member": member.pk, "book": book.pk}, follow=True)

    registration = Registration.objects.get()
    assert registration.apn == hall_rules.day_number(clock.now.date()) + Decimal("0.01")
    assert registration.tier == 1 and registration.sequence == 1
    assert RegistrationEvent.objects.get().kind == "registered"
    assert RegistrationEvent.objects.get().recorded_by_name
    assert response.redirect_chain[-1][0] == reverse(
        "admin:referral_registration_change", args=[registration.pk]
    )
    assert f"Registered {member} on WIRE-N: APN {registration.apn}, Book 1, position 1" in (
        response.content.decode()
    )


def test_a_second_registration_is_refused_as_a_form_error(
    client, user_with_role, book, member, clock
):
    clock.set(2026, 12, 7, 9, 15)
    registration_register(member=member, book=book, actor="tests")
    client.force_login(user_with_role(roles.STAFF))

    response = client.post(ADD, {"member": member.pk, "book": book.pk})

    assert response.status_code == 400
    assert response.context["form"].errors["book"] == [
        f"{member} is already registered on book WIRE-N."
    ]
    assert "already registered on book WIRE-N" in response.content.decode()
    assert Registration.objects.count() == 1


def test_a_tier_not_the_rules_own_asks_for_a_reason(client, user_with_role, book, member, clock):
    clock.set(2026, 12, 7, 9, 15)
    client.force_login(user_with_role(roles.DISPATCHER))
    response = client.post(ADD, {"member": member.pk, "book": book.pk, "tier": 2})
    assert response.status_code == 400
    assert response.context["form"].errors["tier_reason"] == [
        "Say why this member goes on tier 2, not tier 1."
    ]
    for bad in (
        {"member": "nobody", "book": book.pk},
        {"member": "9" * 30},
        {"book": "x"},
        {"tier": "9"},
    ):
        assert client.post(ADD, bad).status_code == 400
    assert not Registration.objects.exists()


def test_while_the_referral_holds_the_books_a_registration_is_queued(
    client, user_with_role, book, member, clock
):
    clock.set(2026, 12, 7, 8, 31)
    registrations_hold(reason="Morning referral", actor="tests")
    client.force_login(user_with_role(roles.STAFF))
    response = client.post(ADD, {"member": member.pk, "book": book.pk}, follow=True)
    assert "The morning referral holds the books" in response.content.decode()
    assert not Registration.objects.exists()


def test_roll_off_is_confirmed_first_and_exemptions_start_and_end_from_the_page(
    client, user_with_role, book, member, clock
):
    clock.set(2026, 12, 7, 9, 15)
    registration = registration_register(member=member, book=book, actor="tests")
    client.force_login(user_with_role(roles.DISPATCHER))
    pk = registration.pk

    exempt = reverse("admin:referral_registration_exempt", args=[pk])
    assert client.post(exempt, {"kind": "medical", "starts_on": "2026-12-07"}).status_code == 302
    exemption = Exemption.objects.get()
    registration.refresh_from_db()
    assert registration.status == "exempt"
    refused = client.post(exempt, {"kind": "medical", "starts_on": "2026-12-07"})
    assert refused.status_code == 400
    assert "Only a registrant on the book can be exempted" in refused.content.decode()
    end = reverse("admin:referral_registration_exemption_end", args=[pk, exemption.pk])
    assert client.post(end).status_code == 302
    registration.refresh_from_db()
    assert registration.status == "registered"

    roll_off = reverse("admin:referral_registration_roll_off", args=[pk])
    confirm = client.get(roll_off).content.decode()
    assert "where they stand at position 1" in confirm
    assert "It cannot be undone" in confirm
    assert 'value="Roll off WIRE-N: it cannot be undone"' in confirm
    assert "resign_missed" not in confirm  # the nightly drop's reason, never chosen by hand
    assert client.post(roll_off, {"reason": "bogus"}).status_code == 400
    assert client.post(roll_off, {"reason": ""}).status_code == 400
    registration.refresh_from_db()
    assert registration.status == "registered"
    done = client.post(roll_off, {"reason": "discharged", "note": "Fired for cause"}, follow=True)
    assert f"{member} is off WIRE-N (Discharged)." in done.content.decode()
    event = RegistrationEvent.objects.filter(registration=registration).last()
    assert (event.kind, event.reason, event.note) == ("rolled_off", "discharged", "Fired for cause")
    again = client.post(reverse("admin:referral_registration_resign", args=[pk]), follow=True)
    assert "was dropped (Discharged)" in again.content.decode()
