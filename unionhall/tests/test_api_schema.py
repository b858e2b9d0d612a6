"""Property-based test of the whole API from its own OpenAPI schema (schemathesis): for
generated requests, valid and not, no response is a 500, and every response matches the
schema (status code, content type, body)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.urls import reverse
from hypothesis import HealthCheck, settings
from rest_framework.test import APIClient
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts import roles
from checkoff.services import remittance_check
from checkoff.tests.factories import EmployerFactory, remittance_csv
from dues.services import dues_charges_generate, payment_record
from dues.tests.factories import DuesRateFactory, periods
from members.services import member_note_create
from members.tests.factories import PASSWORD, ClassificationFactory, MemberFactory, UserFactory
from referral.services import registration_register
from referral.tests.factories import BookFactory, rules_in_force

AUTH: dict[str, str] = {}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def _openapi() -> dict:
    # The schema as /api/schema/ serves it, made without a request (at collection time).
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


schema = schemathesis.openapi.from_dict(_openapi())
schema.app = get_wsgi_application()


@pytest.fixture
def api_data(db, ledgers_agree):
    """Members charged, a payment, a note, a remittance and a registration on a book, and an
    Admin's token. The generated requests record payments, rates, periods and registrations:
    afterwards every kept ledger and total must still agree with the rules (`ledgers_agree`,
    after `db` so that its check runs before the test's transaction is rolled back)."""
    admin = UserFactory(username="schema-admin", role=roles.ADMIN)
    journeyman = ClassificationFactory(code="JW", name="Journeyman Wireman")
    DuesRateFactory(classification=journeyman, monthly_amount=Decimal("45.00"))
    members = MemberFactory.create_batch(3, classification=journeyman)
    for period in periods(2026, [1, 2]):
        dues_charges_generate(period=period, actor="tests")
    payment_record(
        member=members[0],
        amount="45.00",
        method="cash",
        received_date=datetime.date(2026, 2, 1),
        actor="tests",
    )
    member_note_create(member=members[0], actor=admin, text="A note", visibility="officers")
    remittance_check(
        employer=EmployerFactory(code="ACME"),
        content=remittance_csv(f"{members[0].member_number},,,,,2026-02,,,45.00"),
        file_name="acme.csv",
        received_on=datetime.date(2026, 3, 1),
        actor="tests",
    )
    rules_in_force()
    book = BookFactory(code="WIRE-N", classification=journeyman)
    registration_register(member=members[1], book=book, actor="tests")
    token = APIClient().post(
        reverse("api:token"), {"username": admin.username, "password": PASSWORD}
    )
    AUTH["Authorization"] = f"Bearer {token.data['access']}"
    # Django closes the database connection after each WSGI request, and with it the
    # test's transaction; Django's own test client keeps it open the same way.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=10, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_the_api_keeps_to_its_schema_and_never_answers_500(api_data, case):
    # Whether an invalid request is refused (or a valid one accepted) is the business of the
    # other API tests: a schema cannot say that member 0 does not exist.
    case.call_and_validate(headers=AUTH, checks=CHECKS)


def test_the_schema_documents_the_errors_of_every_operation():
    for path, operations in _openapi()["paths"].items():
        for method, operation in operations.items():
            documented = set(operation["responses"])
            assert {"400", "401", "403", "404"} <= documented, (method, path)


def test_the_docs_page_works_without_the_internet(admin_client):
    html = admin_client.get("/api/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    assert "cdn." not in html and "unpkg" not in html
    assert admin_client.get("/api/schema/").status_code == 200
