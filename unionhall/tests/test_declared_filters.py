"""Only declared filters are ever applied: in the admin's changelists, their exports and the
API. A lookup nobody declared (`?changes__text__1__startswith=`) is refused, so a list can
never be made to answer "yes" or "no" about text its reader may not see."""

from __future__ import annotations

import datetime

import pytest
from django.contrib import admin
from django.db import models
from django.urls import reverse
from rest_framework.test import APIClient

from accounts import roles
from audit.models import AuditEvent
from members.services import member_note_create
from members.tests.factories import MemberFactory

pytestmark = pytest.mark.django_db

SECRET = "Grievance about foreman Kowalski"


@pytest.fixture
def private_note(user_with_role):
    """A staff_only note by an Admin: an Officer may not read its text."""
    author = user_with_role(roles.ADMIN, username="a.author")
    member = MemberFactory(date_of_birth=datetime.date(1970, 5, 17))
    member_note_create(member=member, author=author, text=SECRET, visibility="staff_only")
    return member


def _text_field(model) -> str | None:
    for field in model._meta.get_fields():
        if isinstance(field, models.CharField | models.TextField | models.JSONField):
            return field.name
    return None


def test_every_admin_changelist_refuses_an_undeclared_lookup(admin_client):
    probed = []
    for model in admin.site._registry:
        name = _text_field(model)
        if name is None:
            continue
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        response = admin_client.get(url, {f"{name}__startswith": "a"})
        assert response.status_code == 400, (model._meta.label, name, response.status_code)
        probed.append(model._meta.label)
    assert {"audit.AuditEvent", "members.Member", "members.MemberNote", "auth.User"} <= set(probed)


@pytest.mark.parametrize(
    "lookup", ["changes__text__1__startswith", "changes__icontains", "changes__text__1__regex"]
)
def test_the_audit_log_and_its_export_answer_alike_for_right_and_wrong_guesses(
    client, user_with_role, private_note, lookup
):
    client.force_login(user_with_role(roles.OFFICER))
    for url in (
        reverse("admin:audit_auditevent_changelist"),
        reverse("admin:audit_auditevent_export"),
    ):
        right = client.get(url, {lookup: "Grievance"})
        wrong = client.get(url, {lookup: "Zebra"})
        assert right.status_code == wrong.status_code == 400
        assert right.content == wrong.content


def test_the_declared_filters_still_work(client, user_with_role, private_note):
    client.force_login(user_with_role(roles.OFFICER))
    response = client.get(
        reverse("admin:audit_auditevent_changelist"),
        {"action__exact": "create", "member_id": private_note.pk},
    )
    assert response.status_code == 200
    assert SECRET not in response.content.decode()
    members = client.get(reverse("admin:members_member_changelist"), {"status__exact": "active"})
    assert members.status_code == 200


def test_the_member_export_refuses_an_undeclared_lookup(client, user_with_role, private_note):
    client.force_login(user_with_role(roles.OFFICER))
    response = client.post(
        reverse("admin:members_member_changelist") + "?date_of_birth__year=1970",
        {"action": "export_csv", "select_across": "1", "index": "0", "_selected_action": []},
    )
    assert response.status_code == 400


def test_an_api_list_refuses_an_undeclared_lookup(user_with_role, private_note):
    client = APIClient()
    client.force_authenticate(user_with_role(roles.OFFICER))
    for url in (
        reverse("api:audit-events"),
        reverse("api:members"),
        reverse("api:dues-payments"),
        reverse("api:dues-rates"),
        reverse("api:member-notes-of-member", args=[private_note.pk]),
    ):
        response = client.get(url, {"changes__text__1__startswith": "G"})
        assert response.status_code == 400, url
        assert "changes__text__1__startswith" in response.data
    ok = client.get(reverse("api:audit-events"), {"action": "create", "page_size": 5})
    assert ok.status_code == 200
    assert AuditEvent.objects.filter(model_label="members.membernote").exists()
