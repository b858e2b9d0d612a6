"""Every change to a group (a role) is on record, with who made it: created, renamed,
deleted, a permission granted or taken away, from either side of each relation; and users
added to or removed from a group, from the group's side too."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from accounts import roles
from audit.context import acting_as
from audit.models import AuditEvent
from members.tests.factories import UserFactory

pytestmark = pytest.mark.django_db
SENSITIVE = "audit.view_sensitive"


def _sensitive() -> Permission:
    return Permission.objects.get(content_type__app_label="audit", codename="view_sensitive")


def _group_events(group_id: int) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(model_label="auth.group", object_id=str(group_id)).order_by("id")
    )


def _user_changes(user) -> list[dict]:
    events = AuditEvent.objects.filter(model_label="auth.user", object_id=str(user.pk))
    return [event.changes for event in events.order_by("id")]


def test_granting_staff_the_sensitive_view_in_the_admin_is_an_event_naming_who(admin_client):
    staff = Group.objects.get(name=roles.STAFF)
    held = list(staff.permissions.values_list("pk", flat=True))
    before = sorted(f"{p.content_type.app_label}.{p.codename}" for p in staff.permissions.all())
    response = admin_client.post(
        reverse("admin:auth_group_change", args=[staff.pk]),
        {"name": roles.STAFF, "permissions": [*held, _sensitive().pk]},
    )
    assert response.status_code == 302
    [event] = _group_events(staff.pk)
    assert (event.action, event.actor_label, event.object_repr) == ("update", "admin", "Staff")
    assert event.changes == {"permissions": [before, sorted([*before, SENSITIVE])]}

    admin_client.post(
        reverse("admin:auth_group_change", args=[staff.pk]),
        {"name": roles.STAFF, "permissions": held},
    )
    taken = _group_events(staff.pk)[-1]
    assert taken.changes == {"permissions": [sorted([*before, SENSITIVE]), before]}
    assert taken.actor_label == "admin"


def test_creating_renaming_and_deleting_a_group_are_events(admin_client):
    admin_client.post(
        reverse("admin:auth_group_add"), {"name": "Auditors", "permissions": [_sensitive().pk]}
    )
    group = Group.objects.get(name="Auditors")
    clerk = UserFactory(username="clerk", role=roles.STAFF)
    clerk.groups.add(group)
    admin_client.post(
        reverse("admin:auth_group_change", args=[group.pk]),
        {"name": "Trail readers", "permissions": [_sensitive().pk]},
    )
    admin_client.post(reverse("admin:auth_group_delete", args=[group.pk]), {"post": "yes"})
    assert not Group.objects.filter(pk=group.pk).exists()

    events = _group_events(group.pk)
    assert [(e.action, e.changes) for e in events] == [
        ("create", {"name": [None, "Auditors"]}),
        ("update", {"permissions": [[], [SENSITIVE]]}),
        ("update", {"name": ["Auditors", "Trail readers"]}),
        (
            "delete",
            {
                "name": ["Trail readers", None],
                "permissions": [[SENSITIVE], []],
                "users": [["clerk"], []],
            },
        ),
    ]
    assert {e.actor_label for e in events} == {"admin"}
    # The deletion took the group from its users: each user's trail says so.
    assert _user_changes(clerk)[-1] == {"groups": [["Staff", "Trail readers"], ["Staff"]]}


def test_a_permission_granted_from_its_own_side_is_an_event_of_the_group(db):
    staff = Group.objects.get(name=roles.STAFF)
    before = sorted(f"{p.content_type.app_label}.{p.codename}" for p in staff.permissions.all())
    with acting_as("shell"):
        _sensitive().group_set.add(staff)
        _sensitive().group_set.clear()
    granted, cleared = _group_events(staff.pk)
    assert granted.changes == {"permissions": [before, sorted([*before, SENSITIVE])]}
    assert cleared.changes == {"permissions": [sorted([*before, SENSITIVE]), before]}
    assert granted.actor_label == cleared.actor_label == "shell"


def test_users_removed_from_the_groups_side_are_events_of_each_user(db):
    officers = Group.objects.get(name=roles.OFFICER)
    one = UserFactory(username="one", role=roles.STAFF)
    two = UserFactory(username="two")
    officers.user_set.add(one, two)
    assert _user_changes(one)[-1] == {"groups": [["Staff"], ["Officer", "Staff"]]}
    assert _user_changes(two)[-1] == {"groups": [[], ["Officer"]]}

    officers.user_set.remove(two)
    assert _user_changes(two)[-1] == {"groups": [["Officer"], []]}
    officers.user_set.clear()
    assert _user_changes(one)[-1] == {"groups": [["Officer", "Staff"], ["Staff"]]}


def test_granting_a_user_a_permission_from_its_side_is_an_event_of_the_user(db):
    clerk = UserFactory(username="clerk")
    _sensitive().user_set.add(clerk)
    assert _user_changes(clerk)[-1] == {"user_permissions": [[], [SENSITIVE]]}
    _sensitive().user_set.clear()
    assert _user_changes(clerk)[-1] == {"user_permissions": [[SENSITIVE], []]}


def test_roles_sync_grants_what_the_code_declares_without_events(db):
    """The declarations are the record of what roles_sync grants (test_roles.py pins them);
    every other change is an event."""
    staff = Group.objects.get(name=roles.STAFF)
    staff.permissions.clear()
    cleared = len(_group_events(staff.pk))
    roles.roles_sync()
    assert staff.permissions.exists()
    assert len(_group_events(staff.pk)) == cleared == 1
