"""Nothing personal is kept by a browser or a proxy: pages, API answers and CSV downloads
say `Cache-Control: private, no-store`."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts import roles
from jobs.tests.helpers import job_of
from members.tests.factories import MemberFactory

pytestmark = pytest.mark.django_db


def _no_store(response) -> bool:
    directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
    return {"private", "no-store"} <= directives


def test_member_pages_and_their_api_are_not_stored(client, user_with_role):
    user = user_with_role(roles.MEMBER)
    member = MemberFactory(user=user)
    client.force_login(user)
    for url in ("/", reverse("dues:my")):
        response = client.get(url)
        assert response.status_code == 200 and _no_store(response), url
    api = APIClient()
    api.force_authenticate(user)
    for url in (reverse("api:me"), reverse("api:member", args=[member.pk])):
        response = api.get(url)
        assert response.status_code == 200 and _no_store(response), url


def test_office_pages_and_downloads_are_not_stored(client, user_with_role):
    member = MemberFactory()
    client.force_login(user_with_role(roles.ADMIN))
    for url in (
        reverse("dues:member", args=[member.pk]),
        reverse("admin:members_member_change", args=[member.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 200 and _no_store(response), url
    job = job_of(client.get(reverse("admin:audit_auditevent_export")))
    download = client.get(reverse("admin:jobs_job_download", args=[job.pk]))
    assert download.status_code == 200 and _no_store(download)
    export = client.post(
        reverse("admin:members_member_changelist"),
        {"action": "export_csv", "_selected_action": [member.pk]},
    )
    assert _no_store(export)
    assert _no_store(APIClient().get(reverse("api:members")))  # even a 401
