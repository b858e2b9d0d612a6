"""A member on their own: their home says where they stand and how to pay, they keep their
contact details up to date (on record, the office told), and reset a forgotten password."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts import roles
from audit.models import AuditEvent
from dues.services import dues_charges_generate
from dues.tests.factories import DuesRateFactory, periods
from members.tests.factories import PASSWORD, ClassificationFactory, MemberFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def member():
    journeyman = ClassificationFactory(code="JW")
    DuesRateFactory(classification=journeyman, monthly_amount=Decimal("45.00"))
    user = UserFactory(username="lparsons", role=roles.MEMBER)
    member = MemberFactory(
        user=user, classification=journeyman, join_date=datetime.date(2015, 1, 1)
    )
    for period in periods(2026, range(1, 3)):
        dues_charges_generate(period=period, actor="tests")
    return member


def test_the_members_home_says_what_they_owe_their_standing_and_how_to_pay(client, member):
    client.force_login(member.user)
    html = client.get(reverse("home")).content.decode()
    assert "<dt>Balance</dt>" in html and "$90.00" in html
    assert "<dt>Past due</dt>" in html
    assert "Delinquent" in html or "In arrears" in html
    assert f'href="{reverse("dues:my")}"' in html and "See and pay your dues" in html
    assert f'href="{reverse("contact_update")}"' in html


def test_a_member_updates_their_contact_details_on_record_and_the_office_is_told(
    client, member, mailoutbox
):
    UserFactory(username="officer1", role=roles.OFFICER, email="officer1@local.example")
    client.force_login(member.user)
    url = reverse("contact_update")
    form = client.get(url).context["form"]
    data = {name: form.initial.get(name) or "" for name in form.fields}
    data.update(phone="555-0100", city="Galesburg")

    done = client.post(url, data)
    assert done.status_code == 302
    member.refresh_from_db()
    assert (member.phone, member.city) == ("555-0100", "Galesburg")
    event = AuditEvent.objects.filter(action="update", member_id=member.pk).latest("id")
    assert event.actor_id == member.user_id and set(event.changes) == {"phone", "city"}
    [told] = mailoutbox
    assert "officer1@local.example" in told.to and "changed their contact details" in told.subject
    assert "Phone" in told.body or "phone" in told.body


def test_a_member_cannot_change_more_than_contact_details(client, member):
    client.force_login(member.user)
    url = reverse("contact_update")
    form = client.get(url).context["form"]
    assert "status" not in form.fields and "classification" not in form.fields
    data = {name: form.initial.get(name) or "" for name in form.fields}
    client.post(url, {**data, "status": "retired", "member_number": "1"})
    member.refresh_from_db()
    assert member.status == "active" and member.member_number != "1"


def test_a_bad_email_is_said_on_its_field_and_nothing_is_saved(client, member):
    client.force_login(member.user)
    url = reverse("contact_update")
    form = client.get(url).context["form"]
    data = {name: form.initial.get(name) or "" for name in form.fields}
    before = member.email
    page = client.post(url, {**data, "email": "not-an-email"})
    assert page.status_code == 200 and "Enter a valid email address." in page.content.decode()
    member.refresh_from_db()
    assert member.email == before


def test_someone_without_a_member_record_is_told(client):
    client.force_login(UserFactory(username="nobody", role=roles.MEMBER))
    assert client.get(reverse("contact_update")).status_code == 404


def test_a_forgotten_password_is_reset_by_a_link_in_an_email(client, member, mailoutbox):
    login = client.get(reverse("login")).content.decode()
    assert f'href="{reverse("password_reset")}"' in login
    client.post(reverse("password_reset"), {"email": member.user.email})
    [sent] = mailoutbox
    link = re.search(r"https?://[^/]+(/accounts/reset/\S+)", sent.body).group(1)
    form = client.get(link, follow=True)
    assert "Set a new password" in form.content.decode()
    client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "a-new-long-password-2026", "new_password2": "a-new-long-password-2026"},
    )
    assert client.login(username="lparsons", password="a-new-long-password-2026")
    assert not client.login(username="lparsons", password=PASSWORD)
