"""The staff dues pages: who may see them, what they show, and what they cost."""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import roles
from audit.models import AuditEvent
from dues.models import PaymentMethod
from dues.services import dues_charges_generate, payment_record, refund_record
from dues.tests.factories import DuesRateFactory, periods
from jobs.models import Job
from jobs.tests.helpers import job_download
from members.tests.factories import MemberFactory

pytestmark = pytest.mark.django_db

PAGES = ["dues:overview", "dues:arrears", "dues:collections"]


def _member_page(member) -> str:
    return reverse("dues:member", args=[member.pk])


@pytest.mark.parametrize("role", [roles.ORGANIZER, roles.MEMBER])
def test_organizers_and_members_may_not_see_the_staff_dues_pages(client, user_with_role, role):
    member = MemberFactory()
    client.force_login(user_with_role(role))
    for name in PAGES:
        assert client.get(reverse(name)).status_code == 403
    assert client.get(_member_page(member)).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client, db):
    response = client.get(reverse("dues:overview"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


@pytest.mark.parametrize("role", [roles.STAFF, roles.OFFICER, roles.ADMIN])
def test_office_roles_see_the_dues_pages(client, user_with_role, role):
    client.force_login(user_with_role(role))
    for name in PAGES:
        assert client.get(reverse(name)).status_code == 200


@pytest.fixture
def ledger(journeyman):
    """Six months of 45.00 dues for three members: paid up, one behind, four behind."""
    DuesRateFactory(classification=journeyman)
    paid, one, four = (
        MemberFactory(classification=journeyman, last_name=name, member_number=number)
        for name, number in [("Paidup", "1001"), ("Onebehind", "1002"), ("Fourbehind", "1003")]
    )
    for period in periods(2026, range(1, 7)):
        dues_charges_generate(period=period, actor="tests")
    for member, months in [(paid, 6), (one, 5), (four, 2)]:
        payment_record(
            member=member,
            amount=Decimal("45.00") * months,
            method=PaymentMethod.PAYROLL_DEDUCTION,
            received_date=datetime.date(2026, 3, 10),
            actor="tests",
        )
    return paid, one, four


def test_a_members_payment_history_shows_balance_standing_and_open_periods(
    client, user_with_role, ledger
):
    _, _, four = ledger
    client.force_login(user_with_role(roles.STAFF))
    html = client.get(_member_page(four)).content.decode()
    assert "Fourbehind" in html
    assert "Delinquent" in html
    assert "180.00" in html  # balance
    assert "2026-02" in html  # paid through
    assert all(f"2026-0{m}" in html for m in range(3, 7))  # open periods
    assert "R-" in html  # the payment's receipt number


def test_the_arrears_report_lists_who_is_behind_with_what_they_owe(client, user_with_role, ledger):
    client.force_login(user_with_role(roles.OFFICER))
    rows = client.get(reverse("dues:arrears"), {"months": 1}).context["page"].object_list
    assert [(r.member.last_name, r.months_in_arrears, r.balance) for r in rows] == [
        ("Fourbehind", 4, Decimal("180.00")),
        ("Onebehind", 1, Decimal("45.00")),
    ]
    rows = client.get(reverse("dues:arrears"), {"months": 3}).context["page"].object_list
    assert [r.member.last_name for r in rows] == ["Fourbehind"]


def test_a_small_arrears_report_downloads_straight_away_and_is_audited(
    client, user_with_role, ledger
):
    client.force_login(user_with_role(roles.OFFICER))
    page = client.get(reverse("dues:arrears"), {"months": 1}).content.decode()
    link = 'href="?months=1&amp;status=active&amp;format=csv" class="button">Download CSV</a>'
    assert link in page and "Export these to CSV" not in page
    response = client.get(reverse("dues:arrears"), {"months": 1, "format": "csv"})
    assert response["Content-Disposition"].startswith('attachment; filename="arrears-')
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [(r["member_number"], r["months_in_arrears"], r["balance"]) for r in rows] == [
        ("1003", "4", "180.00"),
        ("1002", "1", "45.00"),
    ]
    assert not Job.objects.exists()
    assert AuditEvent.objects.filter(action="export", object_repr="2 members in arrears").exists()


def test_a_big_arrears_report_is_exported_by_a_job_and_audited(
    client, user_with_role, ledger, monkeypatch
):
    monkeypatch.setattr("dues.views.ARREARS_CSV_DIRECT_MAX", 1)
    client.force_login(user_with_role(roles.OFFICER))
    page = client.get(reverse("dues:arrears"), {"months": 1}).content.decode()
    assert 'action="?months=1&amp;status=active&amp;format=csv"' in page
    assert "Export these to CSV" in page and "Download CSV" not in page
    # Past the threshold a followed link, a reload or a prefetch starts nothing.
    for _ in range(3):
        response = client.get(reverse("dues:arrears"), {"months": 1, "format": "csv"})
        assert response.status_code == 200 and "too many to write while you wait" in (
            response.content.decode()
        )
    assert not Job.objects.exists()
    response = client.post(reverse("dues:arrears") + "?months=1&format=csv")
    rows = list(csv.DictReader(io.StringIO(job_download(client, response))))
    assert [(r["member_number"], r["months_in_arrears"], r["balance"]) for r in rows] == [
        ("1003", "4", "180.00"),
        ("1002", "1", "45.00"),
    ]
    assert AuditEvent.objects.filter(action="export", object_repr="2 members in arrears").exists()


def test_a_bad_filter_is_a_message_not_a_crash(client, user_with_role):
    client.force_login(user_with_role(roles.STAFF))
    response = client.get(reverse("dues:arrears"), {"months": "lots"})
    assert response.status_code == 400
    assert "Enter a whole number" in response.content.decode()
    response = client.get(reverse("dues:collections"), {"year": "last"})
    assert response.status_code == 400


def test_the_collections_report_totals_by_month_and_method(client, user_with_role, ledger):
    paid, _, _ = ledger
    payment_record(
        member=paid,
        amount="20.00",
        method=PaymentMethod.CASH,
        received_date=datetime.date(2026, 5, 2),
        actor="tests",
    )
    refund = paid.payments.get(method=PaymentMethod.CASH)
    refund_record(
        payment=refund,
        amount="5.00",
        reason="Overpaid",
        refunded_date=datetime.date(2026, 5, 9),
        actor="tests",
    )
    client.force_login(user_with_role(roles.OFFICER))
    response = client.get(reverse("dues:collections"), {"year": 2026})
    report = response.context["report"]
    assert report.received[3][PaymentMethod.PAYROLL_DEDUCTION] == Decimal("585.00")
    assert report.received[5][PaymentMethod.CASH] == Decimal("20.00")
    assert report.refunded[5] == Decimal("5.00")
    assert report.net_total == Decimal("600.00")
    html = response.content.decode()
    assert "<svg" in html and "<rect" in html
    assert "https://" not in html  # drawn here, no CDN
    footer = html[html.index("<tfoot>") : html.index("</tfoot>")]
    assert '<th scope="row">Total</th>' in footer and "$600.00" in footer

    csv_response = client.get(reverse("dues:collections"), {"year": 2026, "format": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(csv_response.streaming_content).decode())))
    assert rows[0] == ["month", "Cash", "Payroll deduction", "received", "refunded", "net"]
    assert rows[3] == ["2026-03", "0.00", "585.00", "585.00", "0.00", "585.00"]
    assert rows[5] == ["2026-05", "20.00", "0.00", "20.00", "5.00", "15.00"]
    assert rows[-1] == ["total", "20.00", "585.00", "605.00", "5.00", "600.00"]


def test_the_overview_counts_members_by_standing(client, user_with_role, ledger):
    client.force_login(user_with_role(roles.STAFF))
    standings = dict(client.get(reverse("dues:overview")).context["overview"].standings)
    assert [standings[s] for s in standings] == [1, 1, 1]


def _queries(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, params or {}).status_code == 200
    return len(captured)


def _grow(journeyman, members: int, months: range) -> None:
    new = MemberFactory.create_batch(members, classification=journeyman)
    for period in periods(2025, months):
        dues_charges_generate(period=period, actor="tests")
    for member in new[::2]:
        payment_record(
            member=member,
            amount="45.00",
            method="cash",
            received_date=datetime.date(2025, 6, 1),
            actor="tests",
        )


def test_the_arrears_report_costs_the_same_queries_as_members_grow(
    client, user_with_role, journeyman
):
    DuesRateFactory(classification=journeyman)
    client.force_login(user_with_role(roles.OFFICER))
    _grow(journeyman, 5, range(1, 3))
    small = _queries(client, reverse("dues:arrears"), {"months": 1})
    _grow(journeyman, 60, range(3, 7))
    assert _queries(client, reverse("dues:arrears"), {"months": 1}) == small


def test_a_members_dues_page_costs_the_same_queries_as_their_history_grows(
    client, user_with_role, journeyman
):
    DuesRateFactory(classification=journeyman)
    member = MemberFactory(classification=journeyman)
    client.force_login(user_with_role(roles.STAFF))
    dues_charges_generate(period=periods(2024, [1])[0], actor="tests")
    payment_record(
        member=member,
        amount="45.00",
        method="cash",
        received_date=datetime.date(2024, 2, 1),
        actor="tests",
    )
    small = _queries(client, _member_page(member))
    for period in periods(2024, range(2, 13)):
        dues_charges_generate(period=period, actor="tests")
        payment_record(
            member=member,
            amount="40.00",
            method="check",
            received_date=datetime.date(2024, 12, 1),
            actor="tests",
        )
    assert _queries(client, _member_page(member)) == small
