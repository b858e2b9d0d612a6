"""A kept ledger counts months in arrears as of the day it was worked out, and they grow
when a charge falls due. The selectors only read it as it was kept; every page, job and
extension that reads kept ledgers or totals first brings them up to today (the service
member_ledgers_bring_up_to_date), so a charge that fell due since counts."""

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
from dues.for_jobs import arrears_export_start
from dues.ledger import Standing
from dues.models import MemberLedger
from dues.selectors import (
    arrears_list,
    arrears_totals,
    dues_overview,
    member_ledger,
    members_in_standing,
    members_in_standing_count,
    standing_counts,
)
from dues.services import dues_charges_generate, member_ledgers_refresh
from dues.tests.factories import DuesRateFactory, periods
from members.models import Member, MemberStatus
from members.tests.factories import MemberFactory, UserFactory

pytestmark = pytest.mark.django_db

MARCH_15 = datetime.date(2026, 3, 15)


@pytest.fixture
def stale(journeyman, settings):
    """A member charged 45.00 for January to June 2026 who paid nothing, their ledger last
    worked out on March 15: two months behind then (six today), March falling due next."""
    settings.ARREARS_DELINQUENT_MONTHS = 3
    DuesRateFactory(classification=journeyman, monthly_amount=Decimal("45.00"))
    member = MemberFactory(
        classification=journeyman,
        user=UserFactory(role=roles.MEMBER),
        join_date=datetime.date(2015, 1, 1),
        status=MemberStatus.ACTIVE,
    )
    for period in periods(2026, range(1, 7)):
        dues_charges_generate(period=period, actor="tests")
    member_ledgers_refresh([member.pk], as_of=MARCH_15)
    assert _kept(member) == (2, datetime.date(2026, 3, 31))
    return member


def _kept(member: Member) -> tuple[int, datetime.date | None]:
    ledger = MemberLedger.objects.get(member=member)
    return ledger.months_in_arrears, ledger.next_due


def _writes(queries: CaptureQueriesContext) -> list[str]:
    verbs = ("INSERT", "UPDATE", "DELETE")
    return [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(verbs)]


def test_the_selectors_read_a_kept_ledger_as_it_was_kept_and_write_nothing(stale):
    with CaptureQueriesContext(connection) as queries:
        assert member_ledger(stale).months_in_arrears == 2
        assert [row.months_in_arrears for row in arrears_list(min_months=1)] == [2]
        assert arrears_totals(min_months=1) == (1, Decimal("270.00"))
        assert standing_counts([MemberStatus.ACTIVE])[Standing.IN_ARREARS] == 1
        assert dues_overview().standings[1] == (Standing.IN_ARREARS, 1)
        in_arrears = members_in_standing(Member.objects.all(), Standing.IN_ARREARS)
        assert list(in_arrears) == [stale]
        assert members_in_standing_count(Standing.DELINQUENT) == 0
    assert _writes(queries) == []
    assert _kept(stale) == (2, datetime.date(2026, 3, 31))


def test_the_members_admin_page_counts_a_charge_fallen_due_since(client, user_with_role, stale):
    client.force_login(user_with_role(roles.STAFF))
    html = client.get(reverse("admin:members_member_change", args=[stale.pk])).content.decode()
    assert "Delinquent" in html
    assert _kept(stale) == (6, None)


def test_the_members_own_home_counts_a_charge_fallen_due_since(client, stale):
    client.force_login(stale.user)
    html = client.get(reverse("home")).content.decode()
    assert "Delinquent" in html
    assert _kept(stale) == (6, None)


def test_the_arrears_report_counts_a_charge_fallen_due_since(client, user_with_role, stale):
    client.force_login(user_with_role(roles.OFFICER))
    response = client.get(reverse("dues:arrears"), {"months": 3})
    assert [row.months_in_arrears for row in response.context["page"].object_list] == [6]
    assert response.context["count"] == 1


def test_the_arrears_export_counts_a_charge_fallen_due_since(client, user_with_role, stale):
    officer = user_with_role(roles.OFFICER)
    client.force_login(officer)
    # Started bare, no page read first: the job brings the ledgers up to date itself.
    job = arrears_export_start(months=3, status="", actor=officer)
    job.refresh_from_db()
    assert job.status == "succeeded", job.error
    download = client.get(f"/admin/jobs/job/{job.pk}/download/")
    rows = list(csv.DictReader(io.StringIO(b"".join(download.streaming_content).decode())))
    assert [row["months_in_arrears"] for row in rows] == ["6"]


@pytest.mark.parametrize("page", ["dues:overview", "admin:index"])
def test_the_overviews_count_a_charge_fallen_due_since(client, user_with_role, stale, page):
    client.force_login(user_with_role(roles.OFFICER))
    client.get(reverse(page))
    assert _kept(stale) == (6, None)
    assert dues_overview().standings[2] == (Standing.DELINQUENT, 1)


def test_the_member_lists_standing_filter_counts_a_charge_fallen_due_since(user_with_role, stale):
    from apikit.tests.client import api_client

    client = api_client(user_with_role(roles.OFFICER))
    body = client.get("/api/v1/members/", {"standing": Standing.DELINQUENT}).json()
    assert [m["member_number"] for m in body["results"]] == [stale.member_number]
    assert body["count"] == 1
