"""Every change to a login is on record (never the password), and only a superuser makes
a superuser."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse

from accounts import roles
from audit.models import AuditEvent
from members.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db
User = get_user_model()


def _user_events(user) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(model_label="auth.user", object_id=str(user.pk)).order_by("id")
    )


def _change_form(username: str, **extra) -> dict:
    return {
        "username": username,
        "is_active": "on",
        "date_joined_0": "2026-01-02",
        "date_joined_1": "09:00:00",
        **extra,
    }


def _add_form(**extra) -> dict:
    return {
        "username": "newclerk",
        "password1": "a-long-enough-passphrase-2026",
        "password2": "a-long-enough-passphrase-2026",
        "usable_password": "true",
        **extra,
    }


def test_creating_a_user_in_the_admin_is_an_event_without_the_password(admin_client):
    admin_client.post(reverse("admin:auth_user_add"), _add_form())
    user = User.objects.get(username="newclerk")
    [created] = _user_events(user)
    assert created.action == "create"
    assert created.changes["username"] == [None, "newclerk"]
    assert created.changes["password"] == [None, "[changed]"]
    assert user.password not in str(created.changes) + created.detail
    assert created.actor_label == "admin"


def test_group_staff_and_deactivation_changes_are_events(admin_client):
    clerk = UserFactory(username="clerk")
    admin_client.post(
        reverse("admin:auth_user_change", args=[clerk.pk]),
        _change_form(
            "clerk",
            email="clerk@example.org",
            is_staff="on",
            groups=[Group.objects.get(name=roles.STAFF).pk],
        ),
    )
    deactivating = admin_client.post(
        reverse("admin:auth_user_changelist"),
        {"action": "deactivate", "_selected_action": [clerk.pk]},
        follow=True,
    )
    assert "Deactivated 1 user." in [str(m) for m in deactivating.context["messages"]]
    changes = [event.changes for event in _user_events(clerk)]
    assert any(c.get("is_staff") == [False, True] for c in changes)
    assert any(c.get("groups") == [[], [roles.STAFF]] for c in changes)
    assert any(c.get("is_active") == [True, False] for c in changes)
    deactivated = next(
        e for e in _user_events(clerk) if e.changes.get("is_active") == [True, False]
    )
    assert deactivated.actor_label == "admin" and "Deactivated" in deactivated.detail


def test_a_password_set_or_reset_is_an_event_never_the_hash(db):
    clerk = UserFactory(username="clerk")
    before = len(_user_events(clerk))
    clerk.set_password("another-long-passphrase")
    clerk.save()
    [event] = _user_events(clerk)[before:]
    assert event.changes == {"password": [None, "[changed]"]}
    assert clerk.password not in str(event.changes)


def test_group_changes_from_the_group_side_are_events_of_each_user(db):
    one, two = UserFactory(username="one"), UserFactory(username="two")
    Group.objects.get(name=roles.OFFICER).user_set.add(one, two)
    for user in (one, two):
        assert {"groups": [[], [roles.OFFICER]]} in [e.changes for e in _user_events(user)]


def test_a_login_is_one_login_event_not_a_user_change(client, db):
    clerk = UserFactory(username="clerk", role=roles.STAFF)
    before = len(_user_events(clerk))
    client.post(reverse("login"), {"username": "clerk", "password": PASSWORD})
    assert [e.action for e in _user_events(clerk)[before:]] == ["login"]


def test_an_admin_who_is_not_a_superuser_cannot_grant_superuser(client):
    boss = UserFactory(username="boss", role=roles.ADMIN)
    clerk = UserFactory(username="clerk", role=roles.STAFF)
    client.force_login(boss)
    page = client.get(reverse("admin:auth_user_change", args=[clerk.pk])).content.decode()
    assert 'name="is_superuser"' not in page
    assert 'name="user_permissions"' not in page
    client.post(
        reverse("admin:auth_user_change", args=[clerk.pk]),
        _change_form("clerk", is_staff="on", is_superuser="on"),
    )
    clerk.refresh_from_db()
    assert not clerk.is_superuser


def test_an_admin_who_is_not_a_superuser_cannot_change_a_superuser(client):
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    client.force_login(UserFactory(username="boss", role=roles.ADMIN))
    page = client.post(
        reverse("admin:auth_user_password_change", args=[root.pk]),
        {"password1": "taken-over-2026-x", "password2": "taken-over-2026-x"},
    )
    assert page.status_code == 403
    root.refresh_from_db()
    assert root.check_password(PASSWORD)


def test_a_superuser_can_grant_superuser(admin_client):
    clerk = UserFactory(username="clerk")
    admin_client.post(
        reverse("admin:auth_user_change", args=[clerk.pk]),
        _change_form("clerk", is_staff="on", is_superuser="on"),
    )
    clerk.refresh_from_db()
    assert clerk.is_superuser
    assert any(e.changes.get("is_superuser") == [False, True] for e in _user_events(clerk))
