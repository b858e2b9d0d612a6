"""/api/v1/employers/ and /api/v1/remittances/: a client uploads a file, follows the job,
reads the remittance with its exceptions and lines, and posts it."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from accounts import roles
from checkoff.models import BatchStatus, RemittanceBatch
from members.tests.factories import MemberFactory, UserFactory

from .factories import AuthorizationFactory, remittance_csv

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(acme, journeyman, charged_2026):
    ana = MemberFactory(member_number="1001", classification=journeyman)
    AuthorizationFactory(member=ana, employer=acme)
    charged_2026()
    client = APIClient()
    client.force_authenticate(UserFactory(username="api-officer", role=roles.OFFICER))
    return client


def upload(client, content, control="90.00"):
    return client.post(
        reverse("api:remittances"),
        {
            "employer": "ACME",
            "file": SimpleUploadedFile("acme.csv", content),
            "received_on": "2026-10-10",
            "control_total": control,
        },
        format="multipart",
    )


def test_upload_read_and_post_a_remittance(api):
    answer = upload(
        api, remittance_csv("1001,Nunez,Ana,,,2026-09,,,45.00", "9999,X,Y,,,2026-09,,,45.00")
    )
    assert answer.status_code == 202 and answer.data["status"] == "succeeded"
    batch_id = answer.data["outcome"]["batch"]
    batch = api.get(reverse("api:remittance", args=[batch_id])).data
    assert (batch["employer"], batch["work_month"], batch["total"], batch["status"]) == (
        "ACME",
        "2026-09",
        "90.00",
        "checked",
    )
    assert batch["exceptions"] == {"UNMATCHED": 1}
    lines = api.get(batch["lines_url"], {"exception": "UNMATCHED"}).data["results"]
    assert [(line["member_number"], line["raw"]["last_name"]) for line in lines] == [("9999", "X")]
    posted = api.post(reverse("api:remittance-post", args=[batch_id]))
    assert posted.status_code == 202 and posted.data["outcome"]["count"] == 1
    assert RemittanceBatch.objects.get(pk=batch_id).status == BatchStatus.POSTED
    again = api.post(reverse("api:remittance-post", args=[batch_id]))
    assert again.status_code == 400 and "posted" in str(again.data["status"])


def test_bad_requests_get_field_errors(api):
    answer = api.post(
        reverse("api:remittances"),
        {"employer": "NOPE", "received_on": "someday", "control_total": "1.234"},
        format="multipart",
    )
    assert answer.status_code == 400
    assert set(answer.data) == {"employer", "file", "received_on", "control_total"}
    bad_file = upload(api, remittance_csv("1001,,,,,2026-13,,,45"))
    assert bad_file.data["outcome"]["errors"] == [
        'Row 2, period: "2026-13" is not a month: write 2026-03.'
    ]
    assert api.get(reverse("api:remittances"), {"status": "lost"}).status_code == 400


def test_employers_are_listed_and_added(api):
    added = api.post(
        reverse("api:employers"),
        {"code": "bolt", "name": "Bolt Wiring", "column_mapping": {"amount": "Dues"}},
        format="json",
    )
    assert added.status_code == 201 and added.data["code"] == "BOLT"
    clash = api.post(reverse("api:employers"), {"code": "ACME", "name": "Again"}, format="json")
    assert clash.status_code == 400 and "code" in clash.data
    odd = api.post(
        reverse("api:employers"),
        {"code": "X", "name": "X", "column_mapping": {"salary": "Pay"}},
        format="json",
    )
    assert odd.status_code == 400 and "Not our columns: salary." in str(odd.data)
    assert [e["code"] for e in api.get(reverse("api:employers")).data["results"]] == [
        "ACME",
        "BOLT",
    ]
