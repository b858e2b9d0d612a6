"""The roles of DESIGN §3 as groups, and what each may do with members in the admin."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from members import roles
from members.models import Member
from members.tests.factories import MemberFactory, member_form_data

pytestmark = pytest.mark.django_db

# DESIGN §3, members column (dues, notes and audit come with their own apps).
EXPECTED_MEMBER_PERMISSIONS = {
    roles.ADMIN: {
        "view_member",
        "add_member",
        "change_member",
        "change_membership",
        "view_classification",
        "add_classification",
        "change_classification",
    },
    roles.OFFICER: {
        "view_member",
        "add_member",
        "change_member",
        "change_membership",
        "view_classification",
        "add_classification",
        "change_classification",
    },
    roles.ORGANIZER: {"view_member", "view_classification"},
    roles.STAFF: {"view_member", "add_member", "change_member", "view_classification"},
    roles.MEMBER: set(),
}


def test_migrations_create_the_five_roles_with_their_member_permissions():
    assert set(Group.objects.values_list("name", flat=True)) >= set(roles.ROLES)
    for role, expected in EXPECTED_MEMBER_PERMISSIONS.items():
        granted = set(
            Group.objects.get(name=role)
            .permissions.filter(content_type__app_label="members")
            .values_list("codename", flat=True)
        )
        assert granted == expected, role


def test_nobody_may_delete_members_or_users():
    deletes = Group.objects.filter(
        permissions__codename__in=["delete_member", "delete_user", "delete_classification"]
    )
    assert not deletes.exists()


def test_organizer_sees_members_but_cannot_change_them(client, user_with_role):
    member = MemberFactory(last_name="Kowalski")
    client.force_login(user_with_role(roles.ORGANIZER))
    url = reverse("admin:members_member_change", args=[member.pk])

    assert client.get(reverse("admin:members_member_changelist")).status_code == 200
    page = client.get(url)
    assert page.status_code == 200
    assert b"Kowalski" in page.content
    assert b'name="_save"' not in page.content

    response = client.post(url, member_form_data(member, last_name="Changed"))
    assert response.status_code == 403
    member.refresh_from_db()
    assert member.last_name == "Kowalski"


def test_organizer_cannot_add_members(client, user_with_role):
    client.force_login(user_with_role(roles.ORGANIZER))
    assert client.get(reverse("admin:members_member_add")).status_code == 403


def test_officer_changes_membership_data(client, user_with_role):
    member = MemberFactory()
    client.force_login(user_with_role(roles.OFFICER))
    url = reverse("admin:members_member_change", args=[member.pk])
    response = client.post(url, member_form_data(member, status="suspended"))
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.status == "suspended"


def test_staff_change_contact_data_but_not_membership_data(client, user_with_role):
    member = MemberFactory(email="old@example.org")
    client.force_login(user_with_role(roles.STAFF))
    url = reverse("admin:members_member_change", args=[member.pk])
    response = client.post(url, member_form_data(member, email="new@example.org", status="dropped"))
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.email == "new@example.org"
    assert member.status == "active"


def test_members_have_no_admin_site(client, user_with_role):
    client.force_login(user_with_role(roles.MEMBER))
    response = client.get(reverse("admin:members_member_changelist"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


@pytest.mark.parametrize("role", [roles.ADMIN, roles.OFFICER])
def test_no_role_is_offered_a_member_delete(client, user_with_role, role):
    member = MemberFactory()
    client.force_login(user_with_role(role))
    changelist = client.get(reverse("admin:members_member_changelist"))
    assert b"delete_selected" not in changelist.content
    response = client.post(
        reverse("admin:members_member_delete", args=[member.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    assert Member.objects.filter(pk=member.pk).exists()


def test_users_are_deactivated_never_deleted(admin_client, django_user_model):
    user = django_user_model.objects.create_user("leaving", password="x")
    response = admin_client.post(reverse("admin:auth_user_delete", args=[user.pk]), {"post": "yes"})
    assert response.status_code == 403

    response = admin_client.post(
        reverse("admin:auth_user_changelist"),
        {"action": "deactivate", "_selected_action": [user.pk]},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.is_active is False


def test_even_a_superuser_cannot_delete_a_member(admin_client):
    member = MemberFactory()
    response = admin_client.post(
        reverse("admin:members_member_delete", args=[member.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    assert Member.objects.filter(pk=member.pk).exists()
