"""A password set or changed is on record in the name of whoever did it, never "unknown": the
user themself through the emailed link (the member's reset and the office's, nobody logged
in), the user changing their own, an Admin setting another's."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from accounts import roles
from audit.context import UNKNOWN_ACTOR
from audit.models import AuditEvent
from members.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db
NEW = "a-new-long-password-2026"


def _password_events(user) -> list[AuditEvent]:
    return [
        event
        for event in AuditEvent.objects.filter(
            model_label="auth.user", object_id=str(user.pk)
        ).order_by("id")
        if "password" in event.changes
    ]


def _reset_by_the_emailed_link(client, mailoutbox, asked_at: str, email: str) -> None:
    client.post(reverse(asked_at), {"email": email})
    link = re.search(r"https?://[^/]+(/accounts/reset/\S+)", mailoutbox[-1].body).group(1)
    form = client.get(link, follow=True).redirect_chain[-1][0]
    done = client.post(form, {"new_password1": NEW, "new_password2": NEW})
    assert done.status_code == 302, done


@pytest.mark.parametrize(
    ("asked_at", "role"), [("password_reset", None), ("admin_password_reset", roles.STAFF)]
)
def test_a_reset_by_the_emailed_link_is_recorded_as_the_users_own(
    client, mailoutbox, asked_at, role
):
    user = UserFactory(username="ruth", email="ruth@local.example", role=role)
    before = len(_password_events(user))
    _reset_by_the_emailed_link(client, mailoutbox, asked_at, "ruth@local.example")
    user.refresh_from_db()
    assert user.check_password(NEW)
    [reset] = _password_events(user)[before:]
    assert (reset.actor_id, reset.actor_label) == (user.pk, "ruth")
    assert reset.actor_label != UNKNOWN_ACTOR
    assert reset.ip_address == "127.0.0.1"  # the request's, as for any change made in one


def test_a_password_changed_by_its_user_is_recorded_as_theirs(client):
    clerk = UserFactory(username="deskclerk", role=roles.STAFF)
    client.force_login(clerk)
    response = client.post(
        reverse("admin:password_change"),
        {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW},
    )
    assert response.status_code == 302
    [change] = _password_events(clerk)[-1:]
    assert (change.actor_id, change.actor_label) == (clerk.pk, "deskclerk")


def test_a_password_an_admin_sets_is_recorded_as_the_admins(admin_client, admin_user):
    clerk = UserFactory(username="deskclerk", role=roles.STAFF)
    response = admin_client.post(
        reverse("admin:auth_user_password_change", args=[clerk.pk]),
        {"password1": NEW, "password2": NEW, "usable_password": "true"},
    )
    assert response.status_code == 302
    [change] = _password_events(clerk)[-1:]
    assert (change.actor_id, change.actor_label) == (admin_user.pk, admin_user.username)
