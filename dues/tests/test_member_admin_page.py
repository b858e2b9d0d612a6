"""A member's admin page shows their latest payments and charges, a page of each, and
links to all of them: it stays one size (and one number of queries) however long the
member has paid."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import roles
from dues.services import dues_charges_generate, payment_record
from dues.tests.factories import periods
from members.services import member_note_create
from members.tests.factories import MemberFactory

pytestmark = pytest.mark.django_db


def _paid(member, months: int, year: int = 2025) -> None:
    for period in periods(year, range(1, months + 1)):
        dues_charges_generate(period=period, actor="tests")
        payment_record(
            member=member,
            amount=Decimal("45.00"),
            method="check",
            received_date=period.due_date,
            actor="tests",
        )


def _page(client, member):
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("admin:members_member_change", args=[member.pk]))
    assert page.status_code == 200
    return page.content.decode(), len(queries)


def _rows(html: str, title: str) -> int:
    block = html.split(f"<h2>{title}</h2>", 1)[1].split("</fieldset>", 1)[0]
    return len(re.findall(r"<tr>", block)) - 1  # the header row


def test_the_latest_twelve_of_each_and_a_link_to_all(client, user_with_role, member):
    _paid(member, 12)  # with the fixture's six months: 18 charges, 12 payments
    client.force_login(user_with_role(roles.STAFF))
    html, _ = _page(client, member)

    assert _rows(html, "Charges") == 12
    assert _rows(html, "Payments") == 12
    assert html.count('<th scope="col">Period</th>') == 1  # one header, not one per row
    assert "2026-06" in html and "2025-01" not in html  # newest first
    everything = reverse("admin:dues_duescharge_changelist") + f"?member__id__exact={member.pk}"
    assert f'href="{everything}"' in html
    assert "all charges" in html

    other = MemberFactory(classification=member.classification)
    listed = client.get(everything).content.decode()
    assert "18 results" in listed
    assert other.member_number not in listed


def test_a_receipt_links_to_its_payment(client, user_with_role, member):
    payment = payment_record(
        member=member,
        amount=Decimal("45.00"),
        method="check",
        received_date=datetime.date.today(),
        actor="tests",
    )
    client.force_login(user_with_role(roles.STAFF))
    html, _ = _page(client, member)
    link = reverse("admin:dues_payment_change", args=[payment.pk])
    assert f'<a href="{link}">{payment.receipt}</a>' in html
    today = datetime.date.today()
    received = f"<td>{today:%b} {today.day}, {today.year}</td><td>$45.00</td><td>$0.00</td>"
    assert received in html  # a day and money as the staff pages write them


def test_the_page_costs_the_same_queries_for_a_long_history(client, user_with_role, journeyman):
    from dues.tests.factories import DuesRateFactory

    DuesRateFactory(classification=journeyman, monthly_amount=Decimal("45.00"))
    new = MemberFactory(classification=journeyman, join_date=datetime.date(2015, 1, 1))
    client.force_login(user_with_role(roles.OFFICER))
    _paid(new, 1, year=2023)
    _, short = _page(client, new)
    _paid(new, 12, year=2024)
    _, long = _page(client, new)
    assert long == short


def test_the_page_reads_each_thing_once(
    client, user_with_role, owing, django_assert_max_num_queries
):
    """The member page's queries, each once: the session, the user and their permissions
    (two), the member, the reader's roles, the latest notes with how many there are, the
    ledger with its past due (brought up to today in the same read, most days), the
    check-off section, the latest payments, charges and adjustments, the view's audit event
    (the chain's head, the event) and the classifications; with the request's savepoint
    and its release, 17. The ledger was read twice and the notes counted again: 19."""
    officer = user_with_role(roles.OFFICER)
    member_note_create(member=owing, actor=officer, text="Called.", visibility="officers")
    client.force_login(officer)
    url = reverse("admin:members_member_change", args=[owing.pk])
    client.get(url)  # the first page of a session looks up what later ones find cached
    # 17 of its own, and the hiring hall's section (the member's registrations).
    with django_assert_max_num_queries(18):
        page = client.get(url)
    assert page.status_code == 200
    assert "Called." in page.content.decode()
