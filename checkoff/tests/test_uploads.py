"""Each kind of upload has its own size limit, on every path of that kind: remittance files
(REMITTANCE_MAX_BYTES: the admin, the API, `import_remittance`), employers' and
authorizations' CSV (CHECKOFF_IMPORT_MAX_BYTES), member CSV (MEMBER_IMPORT_MAX_BYTES). The
employer and authorization imports read Excel's "Unicode text" as the member import does."""

from __future__ import annotations

import codecs

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from rest_framework.test import APIClient

from accounts import roles
from checkoff.models import Employer, RemittanceBatch
from jobs.models import Job
from jobs.tests.helpers import job_of
from members.tests.factories import UserFactory

from .factories import remittance_csv

pytestmark = pytest.mark.django_db

REMITTANCE = remittance_csv("1001,Nunez,Ana,,,2026-09,,,45.00")
SIZE = len(REMITTANCE)
EMPLOYERS = b"code,name\nACME,Acme Electric\n"


@pytest.fixture
def officer_client(client, user_with_role):
    client.force_login(user_with_role(roles.OFFICER))
    return client


def admin_upload(client, acme):
    return client.post(
        reverse("admin:checkoff_remittancebatch_add"),
        {
            "employer": acme.pk,
            "file": SimpleUploadedFile("acme.csv", REMITTANCE),
            "received_on": "2026-10-10",
            "control_total": "45.00",
        },
    )


def api_upload(acme):
    api = APIClient()
    api.force_authenticate(UserFactory(username="api-officer", role=roles.OFFICER))
    return api.post(
        reverse("api:remittances"),
        {
            "employer": "ACME",
            "file": SimpleUploadedFile("acme.csv", REMITTANCE),
            "received_on": "2026-10-10",
            "control_total": "45.00",
        },
        format="multipart",
    )


def test_a_remittance_is_held_to_its_own_limit_in_the_admin(officer_client, acme, settings):
    settings.MEMBER_IMPORT_MAX_BYTES = 1
    settings.REMITTANCE_MAX_BYTES = SIZE - 1
    refused = admin_upload(officer_client, acme)
    assert refused.status_code == 200
    assert f"The file is {SIZE:,} bytes; the limit is {SIZE - 1:,}." in refused.content.decode()
    assert not Job.objects.exists()
    settings.REMITTANCE_MAX_BYTES = SIZE
    assert job_of(admin_upload(officer_client, acme)).outcome["count"] == 1


def test_a_remittance_is_held_to_its_own_limit_in_the_api(acme, settings):
    settings.MEMBER_IMPORT_MAX_BYTES = 1
    settings.REMITTANCE_MAX_BYTES = SIZE - 1
    refused = api_upload(acme)
    assert refused.status_code == 400
    assert refused.data["file"] == [f"The file is {SIZE:,} bytes; the limit is {SIZE - 1:,}."]
    settings.REMITTANCE_MAX_BYTES = SIZE
    assert api_upload(acme).status_code == 202


def test_a_remittance_is_held_to_its_own_limit_by_the_command(acme, settings, tmp_path):
    path = tmp_path / "acme.csv"
    path.write_bytes(REMITTANCE)
    settings.MEMBER_IMPORT_MAX_BYTES = 1
    settings.REMITTANCE_MAX_BYTES = SIZE - 1
    with pytest.raises(CommandError, match="1 problem"):
        call_command("import_remittance", "ACME", str(path), "--dry-run")
    settings.REMITTANCE_MAX_BYTES = SIZE
    call_command("import_remittance", "ACME", str(path), "--dry-run")
    assert not RemittanceBatch.objects.exists()


def test_employers_and_authorizations_are_held_to_their_own_limit(officer_client, settings):
    url = reverse("admin:checkoff_employer_import")
    settings.MEMBER_IMPORT_MAX_BYTES = 1
    settings.CHECKOFF_IMPORT_MAX_BYTES = len(EMPLOYERS) - 1
    refused = officer_client.post(url, {"file": SimpleUploadedFile("e.csv", EMPLOYERS)})
    assert refused.status_code == 200
    assert f"The file is {len(EMPLOYERS):,} bytes; the limit is" in refused.content.decode()
    settings.CHECKOFF_IMPORT_MAX_BYTES = len(EMPLOYERS)
    checked = job_of(officer_client.post(url, {"file": SimpleUploadedFile("e.csv", EMPLOYERS)}))
    assert confirmed(officer_client, checked).outcome["message"] == "Imported 1 employer."


def test_members_are_held_to_their_own_limit(officer_client, settings):
    members = b"member_number,first_name,last_name,classification,join_date\n"
    url = reverse("admin:members_member_import")
    settings.CHECKOFF_IMPORT_MAX_BYTES = settings.REMITTANCE_MAX_BYTES = 1
    settings.MEMBER_IMPORT_MAX_BYTES = len(members) - 1
    refused = officer_client.post(url, {"file": SimpleUploadedFile("m.csv", members)})
    assert f"the limit is {len(members) - 1:,}" in refused.content.decode()
    settings.MEMBER_IMPORT_MAX_BYTES = len(members)
    assert job_of(officer_client.post(url, {"file": SimpleUploadedFile("m.csv", members)}))


def confirmed(client, checked: Job) -> Job:
    """The import a checked upload's preview starts when confirmed."""
    assert checked.outcome["next_label"] == "Preview and confirm", checked.outcome
    return job_of(client.post(checked.outcome["next_url"]))


def unicode_text(text: str) -> bytes:
    return codecs.BOM_UTF16_LE + text.encode("utf-16-le")


def test_the_checkoff_imports_read_excels_unicode_text(tmp_path, officer_client):
    path = tmp_path / "employers.txt"
    path.write_bytes(unicode_text("code\tname\r\nACME\tAcme, Inc.\r\n"))
    call_command("import_checkoff", "employers", str(path))
    checked = job_of(
        officer_client.post(
            reverse("admin:checkoff_employer_import"),
            {"file": SimpleUploadedFile("e.txt", unicode_text("code\tname\r\nBOLT\tB\r\n"))},
        )
    )
    assert confirmed(officer_client, checked).outcome["message"] == "Imported 1 employer."
    assert dict(Employer.objects.values_list("code", "name")) == {"ACME": "Acme, Inc.", "BOLT": "B"}


@pytest.mark.parametrize(
    ("command", "args", "setting", "content"),
    [
        ("import_checkoff", ["employers"], "CHECKOFF_IMPORT_MAX_BYTES", EMPLOYERS),
        (
            "import_members",
            [],
            "MEMBER_IMPORT_MAX_BYTES",
            b"member_number,first_name,last_name,classification,join_date\n",
        ),
    ],
)
def test_the_import_commands_are_held_to_their_kinds_limit(
    tmp_path, settings, command, args, setting, content
):
    path = tmp_path / "big.csv"
    path.write_bytes(content)
    setattr(settings, setting, len(content) - 1)
    with pytest.raises(CommandError, match=f"the limit is {len(content) - 1:,} \\({setting}\\)"):
        call_command(command, *args, str(path), "--dry-run")
