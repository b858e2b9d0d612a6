"""An employer's code is kept trimmed and upper case (Employer.code_of), whichever way it
comes in: the admin's form, the API, the service, an import, a file's employer column."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts import roles
from checkoff.forms import EmployerForm
from checkoff.importing import authorizations_import, employers_import
from checkoff.models import Employer
from checkoff.services import employer_save
from members.tests.factories import MemberFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_every_way_in_keeps_the_code_in_upper_case(journeyman):
    employer_save(employer=Employer(code=" acme ", name="Acme"), actor="tests")
    employers_import(csv_text="code,name\n core ,Core\n", actor="tests")
    form = EmployerForm(data={"code": " west", "name": "West", "due_day": 15})
    assert form.is_valid(), form.errors
    employer_save(employer=form.save(commit=False), actor="tests")
    api = APIClient()
    api.force_authenticate(UserFactory(role=roles.ADMIN))
    made = api.post(reverse("api:employers"), {"code": "east ", "name": "East", "due_day": 15})
    assert made.status_code == 201, made.json()
    assert sorted(Employer.objects.values_list("code", flat=True)) == [
        "ACME",
        "CORE",
        "EAST",
        "WEST",
    ]
    # Looked up the same way: a file naming "acme" finds ACME, and so does the API's filter.
    MemberFactory(member_number="1001", classification=journeyman)
    result = authorizations_import(
        csv_text="employer_code,member_number,signed_on\nacme ,1001,2026-01-01\n", actor="tests"
    )
    assert result.ok and Employer.objects.get(code="ACME").authorizations.count() == 1
    listed = api.get(reverse("api:remittances"), {"employer": " acme"})
    assert listed.status_code == 200


def test_a_code_differing_only_in_case_is_the_same_employer():
    employer_save(employer=Employer(code="ACME", name="Acme"), actor="tests")
    form = EmployerForm(data={"code": "acme", "name": "Again", "due_day": 15})
    assert not form.is_valid() and "code" in form.errors
