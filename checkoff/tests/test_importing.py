"""Employers and authorizations from CSV: all rows or none, each problem by row and column."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts import roles
from checkoff.importing import authorizations_import, employers_import
from checkoff.models import CheckoffAuthorization, Employer
from dues.models import MemberLedger
from jobs.tests.helpers import job_of
from members.tests.factories import MemberFactory

pytestmark = pytest.mark.django_db

EMPLOYERS = "code,name,ein,due_day\nacme,Acme Electric,12-3456789,15\nBOLT,Bolt Wiring,,10\n"


def test_employers_are_imported_all_or_none():
    result = employers_import(csv_text=EMPLOYERS, actor="tests")
    assert result.written and result.count == 2
    assert Employer.objects.get(code="ACME").ein == "12-3456789"
    again = employers_import(
        csv_text="code,name,ein,due_day\nCORE,Core,123,40\nACME,Again,,15\n", actor="tests"
    )
    assert [str(e) for e in again.errors] == [
        "Row 2, ein: An EIN is written like 12-3456789.",
        "Row 2, due_day: Ensure this value is less than or equal to 28.",
        "Row 3, code: Employer ACME already exists.",
    ]
    assert not Employer.objects.filter(code="CORE").exists()


def test_authorizations_are_imported_and_protect_the_members_months(journeyman, charged_2026):
    employers_import(csv_text=EMPLOYERS, actor="tests")
    member = MemberFactory(member_number="1001", classification=journeyman)
    charged_2026()
    assert MemberLedger.objects.get(member=member).months_in_arrears > 0
    result = authorizations_import(
        csv_text="employer_code,member_number,employee_id,ssn_last4,signed_on,revoked_on\n"
        "ACME,1001,A-1,0042,2025-06-01,\n",
        actor="tests",
    )
    assert result.written, result.errors
    authorization = CheckoffAuthorization.objects.get()
    assert (authorization.employee_id, authorization.signed_on) == (
        "A-1",
        datetime.date(2025, 6, 1),
    )
    assert MemberLedger.objects.get(member=member).months_in_arrears == 0


def test_bad_authorization_rows_are_named():
    employers_import(csv_text=EMPLOYERS, actor="tests")
    result = authorizations_import(
        csv_text="employer_code,member_number,signed_on,revoked_on\n"
        "NOPE,1001,2025-06-01,\n"
        "ACME,1001,June 1,\n",
        actor="tests",
    )
    assert [str(e) for e in result.errors] == [
        "Row 2, employer_code: No employer has the code 'NOPE'.",
        "Row 2, member_number: No member has the number '1001'.",
        "Row 3, member_number: No member has the number '1001'.",
        'Row 3, signed_on: "June 1" is not a date: write 2026-03-15.',
    ]
    assert not CheckoffAuthorization.objects.exists()


def test_the_admin_imports_employers_checked_previewed_and_confirmed(client, user_with_role):
    """Upload → a worker checks every row → the preview shows what would be written → the
    officer confirms → a worker writes them all (jobs/uploads.py, as the member import)."""
    client.force_login(user_with_role(roles.OFFICER))
    changelist = client.get(reverse("admin:checkoff_employer_changelist")).content.decode()
    url = reverse("admin:checkoff_employer_import")
    assert url in changelist
    checked = job_of(client.post(url, {"file": SimpleUploadedFile("e.csv", EMPLOYERS.encode())}))
    assert checked.outcome["count"] == 2 and not Employer.objects.exists()  # nothing yet
    preview = client.get(checked.outcome["next_url"]).content.decode()
    assert "2 employers ready to import" in preview and "ACME" in preview
    assert 'value="Import 2 employers"' in preview
    written = job_of(client.post(checked.outcome["next_url"]))
    assert written.outcome["message"] == "Imported 2 employers."
    assert Employer.objects.count() == 2
    # A file with a wrong row has no preview to confirm; Staff may not import.
    bad = job_of(client.post(url, {"file": SimpleUploadedFile("b.csv", b"code,name\nX,\n")}))
    assert (
        bad.outcome["error_count"]
        and client.post(
            reverse("admin:checkoff_employer_import_preview", args=[bad.pk])
        ).status_code
        == 404
    )
    client.force_login(user_with_role(roles.STAFF))
    assert client.get(url).status_code == 403


def test_one_employer_is_said_in_the_singular_from_check_to_import(client, user_with_role):
    client.force_login(user_with_role(roles.OFFICER))
    one = b"code,name\nACME,Acme Electric\n"
    url = reverse("admin:checkoff_employer_import")
    checked = job_of(client.post(url, {"file": SimpleUploadedFile("e.csv", one)}))
    assert checked.outcome["message"] == "1 employer is ready to import. Nothing is written yet."
    preview = client.get(checked.outcome["next_url"]).content.decode()
    assert "Preview: 1 employer ready to import" in preview
    assert 'value="Import 1 employer"' in preview
    written = job_of(client.post(checked.outcome["next_url"]))
    assert written.label == "Import 1 employer"
    assert written.outcome["message"] == "Imported 1 employer."
