"""Every admin list costs the same number of queries however many rows it shows, counts no
whole big table, and finds members and receipts by their numbers through an index."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import roles
from audit.services import audit_event_record
from dues.services import adjustment_record, dues_charges_generate, payment_record
from dues.tests.factories import DuesRateFactory, periods
from jobs.services import job_kind, job_start
from members.services import member_note_create
from members.tests.factories import ClassificationFactory, MemberFactory

pytestmark = pytest.mark.django_db

LISTS = [
    "admin:members_member_changelist",
    "admin:members_membernote_changelist",
    "admin:dues_duescharge_changelist",
    "admin:dues_payment_changelist",
    "admin:dues_adjustment_changelist",
    "admin:dues_duesperiod_changelist",
    "admin:audit_auditevent_changelist",
    "admin:jobs_job_changelist",
]


def _make(count: int, admin_user) -> None:
    journeyman = ClassificationFactory(code="JW")
    DuesRateFactory(classification=journeyman, monthly_amount=Decimal("45.00"))
    members = MemberFactory.create_batch(count, classification=journeyman)
    for period in periods(2025 + count // 10, [1, 2]):
        dues_charges_generate(period=period, actor="tests")
    for member in members:
        payment_record(
            member=member,
            amount="45.00",
            method="cash",
            received_date=datetime.date(2026, 1, 2),
            actor="tests",
        )
        adjustment_record(member=member, amount="-1.00", reason="waiver", actor="tests")
        member_note_create(member=member, actor=admin_user, text="Hi", visibility="officers")
        audit_event_record(action="export", actor_label="tests")
        job_start(
            kind=job_kind("audit.verify"),
            key=f"verify-{member.pk}",
            label="Verify",
            actor=admin_user,
        )


def _queries(client, name: str) -> int:
    client.get(reverse(name))  # warm: permissions, content types
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse(name)).status_code == 200
    return len(captured)


def test_every_list_costs_the_same_queries_for_3_and_30_rows(client, user_with_role):
    admin_user = user_with_role(roles.ADMIN)
    client.force_login(admin_user)
    _make(3, admin_user)
    few = {name: _queries(client, name) for name in LISTS}
    _make(27, admin_user)
    many = {name: _queries(client, name) for name in LISTS}
    assert many == few


def test_a_payment_is_found_by_its_receipt_as_printed(client, user_with_role):
    journeyman = ClassificationFactory(code="JW")
    member = MemberFactory(classification=journeyman, last_name="Jones")
    payment = payment_record(
        member=member,
        amount="45.00",
        method="check",
        received_date=datetime.date(2026, 1, 2),
        actor="tests",
    )
    client.force_login(user_with_role(roles.STAFF))
    url = reverse("admin:dues_payment_changelist")
    for typed in (payment.receipt, payment.receipt.lower(), str(payment.receipt_number)):
        found = client.get(url, {"q": typed}).context["cl"].result_list
        assert list(found) == [payment], typed
    assert list(client.get(url, {"q": "Jones"}).context["cl"].result_list) == [payment]
    assert list(client.get(url, {"q": "R-999999"}).context["cl"].result_list) == []


def test_a_whole_member_number_finds_that_member_first(client, user_with_role):
    exact = MemberFactory(member_number="1001")
    MemberFactory(member_number="21001")  # contains it, but is not it
    client.force_login(user_with_role(roles.OFFICER))
    found = client.get(reverse("admin:members_member_changelist"), {"q": "1001"})
    assert found["Location"] == reverse("admin:members_member_change", args=[exact.pk])
    api = client.get(reverse("api:members"), {"search": "1001"}).json()
    assert [m["member_number"] for m in api["results"]] == ["1001"]
    partial = client.get(reverse("api:members"), {"search": "100"}).json()
    assert {m["member_number"] for m in partial["results"]} == {"1001", "21001"}
