"""Who may do what with the hall in the admin, by role (referral/apps.py): a Dispatcher
manages; Staff register and take re-signs, and may neither roll off nor activate; an
Organizer or a Member sees none of it. Events are read-only for everyone."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from accounts import roles
from members.tests.factories import MemberFactory
from referral.models import ExemptionKind, Registration, RegistrationEvent, RuleSet
from referral.services import exemption_start, registration_register

pytestmark = pytest.mark.django_db


@pytest.fixture
def registration(book, clock):
    clock.set(2026, 12, 7, 9, 0)
    member = MemberFactory(classification=book.classification)
    return registration_register(member=member, book=book, actor="tests")


@pytest.fixture
def draft(rules):
    return RuleSet.objects.create(
        version=2,
        effective_on=datetime.date(2027, 3, 1),
        notice_given_on=datetime.date(2026, 11, 2),
        resign_days=45,
    )


def _url(name: str, *args) -> str:
    return reverse(f"admin:referral_{name}", args=args)


def test_a_dispatcher_manages_the_books_and_their_registrants(
    client, user_with_role, registration, draft
):
    client.force_login(user_with_role(roles.DISPATCHER))
    pk = registration.pk
    for url in (
        _url("registration_changelist"),
        _url("registration_add"),
        _url("registration_change", pk),
        _url("registration_roll_off", pk),
        _url("registration_exempt", pk),
        _url("book_add"),
        _url("region_add"),
        _url("ruleset_change", draft.pk),
        _url("registrationevent_changelist"),
    ):
        assert client.get(url).status_code == 200, url
    page = client.get(_url("registration_change", pk)).content.decode()
    assert "Roll off…" in page and "Start an exemption" in page and "Re-sign (due" in page
    assert client.get(_url("ruleset_activate", draft.pk)).status_code == 403

    response = client.post(_url("registration_roll_off", pk), {"reason": "quit", "note": "Moved"})
    assert response.status_code == 302
    registration.refresh_from_db()
    assert registration.status == "rolled_off" and registration.roll_off_reason == "quit"


def test_staff_register_and_take_re_signs_but_neither_roll_off_nor_activate(
    client, user_with_role, registration, draft, clock
):
    client.force_login(user_with_role(roles.STAFF))
    pk = registration.pk
    assert client.get(_url("registration_add")).status_code == 200
    page = client.get(_url("registration_change", pk)).content.decode()
    assert "Re-sign (due" in page
    assert "Roll off…" not in page and "Start an exemption" not in page

    clock.set(2026, 12, 20, 9, 0)
    response = client.post(_url("registration_resign", pk), follow=True)
    assert "Re-signed:" in response.content.decode()
    registration.refresh_from_db()
    assert registration.resign_due > datetime.date(2027, 1, 6)

    assert client.get(_url("registration_roll_off", pk)).status_code == 403
    assert client.post(_url("registration_roll_off", pk), {"reason": "quit"}).status_code == 403
    assert client.get(_url("registration_exempt", pk)).status_code == 403
    assert client.post(_url("ruleset_activate", draft.pk), {"confirm": "yes"}).status_code == 403
    assert client.get(_url("book_add")).status_code == 403
    registration.refresh_from_db()
    assert registration.status == "registered"
    draft.refresh_from_db()
    assert not draft.active


@pytest.mark.parametrize("role", [roles.ORGANIZER, roles.MEMBER])
def test_an_organizer_or_a_member_is_refused_every_hall_page(
    client, user_with_role, registration, role
):
    client.force_login(user_with_role(role))
    pk = registration.pk
    for url in (
        _url("registration_changelist"),
        _url("registration_add"),
        _url("registration_change", pk),
        _url("registrationevent_changelist"),
        _url("book_changelist"),
        _url("ruleset_changelist"),
        reverse("referral:books"),
        reverse("referral:book_list", args=[registration.book_id]),
        reverse("referral:member_history", args=[registration.member_id]),
    ):
        assert client.get(url).status_code == 403, url
    assert client.post(_url("registration_resign", pk)).status_code == 403


def test_events_are_read_only_for_everyone(client, user_with_role, registration):
    client.force_login(user_with_role(roles.ADMIN, is_superuser=True))
    event = RegistrationEvent.objects.get()
    assert client.get(_url("registrationevent_add")).status_code == 403
    assert client.get(_url("registrationevent_delete", event.pk)).status_code == 403
    page = client.get(_url("registrationevent_change", event.pk))
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert client.post(_url("registrationevent_change", event.pk), {"note": "x"}).status_code == 403
    # A registration is never edited as a form either: its changes are the services'.
    assert client.post(_url("registration_change", registration.pk), {"tier": 2}).status_code == 403
    assert Registration.objects.get().tier == 1


def test_only_an_officer_extends_an_exemption(client, user_with_role, registration, clock):
    exemption = exemption_start(
        registration=registration,
        kind=ExemptionKind.TRAVELING,
        starts_on=clock.now.date(),
        actor="tests",
    )
    extend = _url("registration_exemption_extend", registration.pk, exemption.pk)
    client.force_login(user_with_role(roles.DISPATCHER))
    page = client.get(_url("registration_change", registration.pk)).content.decode()
    assert "End the exemption" in page and "Extend the exemption" not in page
    assert client.get(extend).status_code == 403

    client.force_login(user_with_role(roles.OFFICER))
    assert (
        "Extend the exemption"
        in client.get(_url("registration_change", registration.pk)).content.decode()
    )
    response = client.post(extend, {"ends_on": "2027-12-31", "reason": "Still traveling"})
    assert response.status_code == 302
    exemption.refresh_from_db()
    assert exemption.ends_on == datetime.date(2027, 12, 31)


def test_an_activated_rule_set_is_read_only_even_for_an_admin(client, user_with_role, rules):
    client.force_login(user_with_role(roles.ADMIN, is_superuser=True))
    url = _url("ruleset_change", rules.pk)
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="_save"' not in html and "no longer change" in html
    assert "Activate…" not in html
    assert client.post(url, {"version": 1, "resign_days": 5}).status_code == 403
    rules.refresh_from_db()
    assert rules.resign_days == 30
