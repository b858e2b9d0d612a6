"""Only declared filters are ever applied: in the admin's changelists, their exports and the
API. A lookup nobody declared (`?changes__text__1__startswith=`) is refused, so a list can
never be made to answer "yes" or "no" about text its reader may not see."""

from __future__ import annotations

import datetime

import pytest
from django.contrib import admin
from django.db import models
from django.urls import NoReverseMatch, reverse
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
    member_note_create(member=member, actor=author, text=SECRET, visibility="staff_only")
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


def _api_paths():
    """Every path of the REST API, as the URLconf has it: (name, view class)."""
    from unionhall import api_urls

    return [(p.name, p.callback.view_class) for p in api_urls.urlpatterns]


@pytest.fixture
def one_of_each(db):
    """A record behind each API path that names one (its kwargs), for paths of lists."""
    from checkoff.models import RemittanceBatch
    from checkoff.tests.factories import EmployerFactory

    member = MemberFactory()
    batch = RemittanceBatch.objects.create(
        employer=EmployerFactory(),
        year=2026,
        month=9,
        received_on=datetime.date(2026, 10, 10),
        total=0,
    )
    return {
        "member-notes-of-member": {"member_id": member.pk},
        "remittance-lines": {"pk": batch.pk},
    }


def test_every_api_list_refuses_an_undeclared_lookup(user_with_role, one_of_each):
    """Every list the URLconf routes, found from it (a list added later is held too): it
    answers its plain request, and 400 naming the lookup to an undeclared one."""
    from rest_framework.mixins import ListModelMixin

    client = APIClient()
    client.force_authenticate(user_with_role(roles.ADMIN, is_superuser=True))
    lists = [name for name, view in _api_paths() if issubclass(view, ListModelMixin)]
    assert {"members", "audit-events", "dues-rates", "employers", "remittance-lines"} <= set(lists)
    for name in lists:
        try:
            url = reverse(f"api:{name}", kwargs=one_of_each.get(name))
        except NoReverseMatch:
            pytest.fail(f"api:{name} takes arguments: add a record for it to one_of_each")
        assert client.get(url).status_code == 200, url
        for lookup in ("changes__text__1__startswith", "member__date_of_birth__year", "zzz"):
            response = client.get(url, {lookup: "1"})
            assert response.status_code == 400, (url, lookup, response.status_code)
            assert lookup in response.data, (url, response.data)
