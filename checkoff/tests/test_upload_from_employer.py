"""A remittance is uploaded from the employers' report (the page and each employer's row) and
from an employer's own page: the upload opens with that employer chosen."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts import roles

from .factories import EmployerFactory

pytestmark = pytest.mark.django_db
UPLOAD = reverse("admin:checkoff_remittancebatch_add")


def test_the_report_and_each_employer_lead_to_its_upload(client, acme, officer):
    bolt = EmployerFactory(code="BOLT", name="Bolt Wiring")
    client.force_login(officer)
    report = client.get(reverse("checkoff:employers"), {"month": "2026-09"}).content.decode()
    assert f'href="{UPLOAD}"' in report  # the page's own "Upload a remittance"
    for employer in (acme, bolt):
        assert f'href="{UPLOAD}?employer={employer.pk}"' in report
        assert f"a remittance from {employer.code}" in report

    page = client.get(reverse("admin:checkoff_employer_change", args=[bolt.pk])).content.decode()
    assert f'href="{UPLOAD}?employer={bolt.pk}"' in page and "Upload a remittance from BOLT" in page

    upload = client.get(UPLOAD, {"employer": bolt.pk})
    assert upload.context["upload_form"]["employer"].value() == bolt.pk
    assert f'<option value="{bolt.pk}" selected>' in upload.content.decode()
    assert "Upload a remittance from BOLT: Bolt Wiring" in upload.content.decode()


@pytest.mark.parametrize("chosen", ["", "abc", "999999", "1" * 30, "-1"])
def test_an_employer_that_is_no_employer_is_left_for_the_person_to_choose(
    client, acme, officer, chosen
):
    client.force_login(officer)
    upload = client.get(UPLOAD, {"employer": chosen})
    assert upload.status_code == 200
    assert upload.context["upload_form"]["employer"].value() is None
    assert upload.context["title"] == "Upload a remittance"


def test_staff_see_the_report_without_upload_links(client, acme, user_with_role):
    client.force_login(user_with_role(roles.STAFF))
    report = client.get(reverse("checkoff:employers"), {"month": "2026-09"}).content.decode()
    assert "Acme Electric" in report and UPLOAD not in report
    page = client.get(reverse("admin:checkoff_employer_change", args=[acme.pk]))
    assert page.status_code == 200 and UPLOAD not in page.content.decode()
    assert client.get(UPLOAD, {"employer": acme.pk}).status_code == 403
