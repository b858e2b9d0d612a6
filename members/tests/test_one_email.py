"""A member's email and their login's are one: whichever way the member's changes (the
member themself, the admin, the API, a job), their login follows, and the password reset
finds them by the new address. The login's change is in the audit trail, naming who."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from accounts import roles
from apikit.tests.client import api_client
from audit.models import AuditEvent
from members.services import member_create, member_update
from members.tests.factories import (
    ClassificationFactory,
    MemberFactory,
    UserFactory,
    member_form_data,
)

pytestmark = pytest.mark.django_db

User = get_user_model()


@pytest.fixture
def member():
    user = UserFactory(username="lparsons", role=roles.MEMBER, email="old@example.org")
    return MemberFactory(user=user, email="old@example.org")


def _login_email_event(user) -> AuditEvent:
    return AuditEvent.objects.filter(
        model_label="auth.user", object_id=str(user.pk), changes__has_key="email"
    ).latest("id")


def _email_of(user) -> str:
    return User.objects.values_list("email", flat=True).get(pk=user.pk)


def test_a_member_who_changes_their_email_changes_their_logins(client, member):
    client.force_login(member.user)
    url = reverse("contact_update")
    form = client.get(url).context["form"]
    data = {name: form.initial.get(name) or "" for name in form.fields}
    data["email"] = "new@example.org"
    assert client.post(url, data).status_code == 302
    assert _email_of(member.user) == "new@example.org"
    event = _login_email_event(member.user)
    assert event.changes["email"] == ["old@example.org", "new@example.org"]
    assert event.actor_id == member.user_id


def test_the_office_changing_a_members_email_in_the_admin_changes_their_login(
    client, member, user_with_role
):
    staff = user_with_role(roles.STAFF)
    client.force_login(staff)
    url = reverse("admin:members_member_change", args=[member.pk])
    assert client.post(url, member_form_data(member, email="desk@example.org")).status_code == 302
    assert _email_of(member.user) == "desk@example.org"
    assert _login_email_event(member.user).actor_id == staff.pk


def test_the_api_changing_a_members_email_changes_their_login(member, user_with_role):
    officer = user_with_role(roles.OFFICER)
    response = api_client(officer).patch(
        reverse("api:member", args=[member.pk]), {"email": "api@example.org"}, format="json"
    )
    assert response.status_code == 200
    assert _email_of(member.user) == "api@example.org"
    assert _login_email_event(member.user).actor_id == officer.pk


def test_a_job_changing_a_members_email_is_named_on_the_logins_change(member):
    member_update(member=member, actor="import_members", changes={"email": "job@example.org"})
    assert _email_of(member.user) == "job@example.org"
    event = _login_email_event(member.user)
    assert event.actor_id is None and event.actor_label == "import_members"


def test_a_login_linked_to_a_member_takes_the_members_email_or_gives_its_own():
    ClassificationFactory(code="JW")
    with_email = MemberFactory(email="record@example.org")
    login = UserFactory(email="login@example.org")
    member_update(member=with_email, actor="tests", changes={"user": login})
    assert _email_of(login) == "record@example.org"

    without = MemberFactory(email="")
    other_login = UserFactory(email="mine@example.org")
    linked = member_update(member=without, actor="tests", changes={"user": other_login})
    assert linked.email == "mine@example.org" == _email_of(other_login)

    third = UserFactory(email="created@example.org")
    created = member_create(
        actor="tests",
        member_number="9001",
        first_name="Ella",
        last_name="Reeve",
        classification=with_email.classification,
        join_date=with_email.join_date,
        user=third,
    )
    assert created.email == "created@example.org"


def test_an_admin_changing_a_logins_email_changes_the_members(client, member, user_with_role):
    admin_user = user_with_role(roles.ADMIN)
    client.force_login(admin_user)
    url = reverse("admin:auth_user_change", args=[member.user_id])
    form = client.get(url).context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if name in form.fields and value is not None and name not in ("password", "last_login")
    }
    data["groups"] = [group.pk for group in member.user.groups.all()]
    data["date_joined_0"], data["date_joined_1"] = "2026-01-01", "00:00:00"
    data["email"] = "users-admin@example.org"
    done = client.post(url, data)
    assert done.status_code == 302, done.context["adminform"].form.errors
    member.refresh_from_db()
    assert member.email == "users-admin@example.org"
    assert AuditEvent.objects.filter(
        model_label="members.member", object_id=str(member.pk), actor=admin_user
    ).exists()


def test_a_password_reset_by_the_new_address_sends_one_mail(client, member, mailoutbox):
    member_update(member=member, actor=member.user, changes={"email": "new@example.org"})

    client.post(reverse("password_reset"), {"email": "old@example.org"})
    assert mailoutbox == []  # the old address no longer finds the login

    client.post(reverse("password_reset"), {"email": "new@example.org"})
    [sent] = mailoutbox
    assert sent.to == ["new@example.org"] and '"lparsons"' in sent.body
    assert re.search(r"/accounts/reset/\S+/\S+/", sent.body)
