"""The office's home (the admin index) and the staff pages in the admin's look: the local's
dues at a glance, the latest money, the officer's own recent actions from the trail, and
the dues pages one click from every admin page."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import roles
from dues.services import payment_record
from members.tests.factories import MemberFactory

pytestmark = pytest.mark.django_db


def _home(client) -> str:
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    return response.content.decode()


def test_the_office_home_shows_standing_money_and_the_officers_own_actions(
    client, user_with_role, member
):
    officer = user_with_role(roles.OFFICER)
    payment = payment_record(
        member=member,
        amount=Decimal("1234.50"),
        method="check",
        received_date=datetime.date(2026, 6, 2),
        actor=officer,
    )
    client.force_login(officer)
    html = _home(client)

    assert "Dues at a glance" in html and "Active members by standing" in html
    assert "$1,234.50" in html  # money written as money
    assert reverse("admin:dues_payment_change", args=[payment.pk]) in html
    assert payment.receipt in html
    assert "Record a payment" in html and "Record an adjustment" in html
    # The sidebar's recent actions come from the trail: the payment is there.
    sidebar = html.split('id="recent-actions-module"', 1)[1]
    assert "Payment" in sidebar and payment.receipt in sidebar
    for page in ("dues:overview", "dues:arrears", "dues:collections"):
        assert f'href="{reverse(page)}"' in html


def test_who_may_not_see_money_sees_no_money_panels(client, user_with_role, member):
    client.force_login(user_with_role(roles.ORGANIZER))
    html = _home(client)
    assert "Dues at a glance" not in html and "Money recorded lately" not in html
    assert f'href="{reverse("dues:arrears")}"' not in html


def test_the_office_home_costs_the_same_queries_with_more_money(client, user_with_role):
    client.force_login(user_with_role(roles.OFFICER))

    def paid(times: int) -> None:
        for _ in range(times):
            payment_record(
                member=MemberFactory(),
                amount="10",
                method="cash",
                received_date=datetime.date(2026, 6, 2),
                actor="tests",
            )

    paid(1)
    with CaptureQueriesContext(connection) as few:
        _home(client)
    paid(12)
    with CaptureQueriesContext(connection) as many:
        _home(client)
    assert len(many) == len(few)


def test_staff_pages_are_in_the_admins_look_with_breadcrumbs(client, user_with_role, member):
    client.force_login(user_with_role(roles.STAFF))
    html = client.get(reverse("dues:arrears")).content.decode()
    assert 'class="breadcrumbs"' in html
    assert f'<a href="{reverse("admin:index")}">Home</a>' in html
    assert f'<a href="{reverse("dues:arrears")}" aria-current="page">Arrears report</a>' in html
    page = client.get(reverse("dues:member", args=[member.pk])).content.decode()
    assert reverse("admin:members_member_change", args=[member.pk]) in page  # back to them


def test_an_empty_report_says_so(client, user_with_role):
    client.force_login(user_with_role(roles.STAFF))
    html = client.get(reverse("dues:arrears"), {"months": 3}).content.decode()
    assert "Nobody is behind by 3 months or more" in html
    html = client.get(reverse("dues:collections"), {"year": 1999}).content.decode()
    assert "No money was received or refunded in 1999." in html


@pytest.mark.parametrize(
    ("amount", "written"),
    [
        (Decimal("1234.5"), "$1,234.50"),
        (Decimal("-12"), "-$12.00"),
        (Decimal("0"), "$0.00"),
        ("1000000", "$1,000,000.00"),
        (None, ""),
    ],
)
def test_money_is_written_one_way_everywhere(amount, written):
    template = Template("{% load office %}{{ amount|currency }}")
    assert template.render(Context({"amount": amount})) == written


def test_the_member_list_filters_and_sorts_by_standing_shown_before_the_email(
    client, user_with_role, member
):
    paid_up = MemberFactory(classification=member.classification, last_name="Paidup")
    client.force_login(user_with_role(roles.STAFF))
    url = reverse("admin:members_member_changelist")

    behind = client.get(url, {"standing": "delinquent"}).content.decode()
    assert member.member_number in behind and paid_up.member_number not in behind
    good = client.get(url, {"standing": "good"}).content.decode()
    assert paid_up.member_number in good and member.member_number not in good

    page = client.get(url).content.decode()
    header = page.split("<thead>", 1)[1].split("</thead>", 1)[0]
    assert header.index("Standing") < header.index("Email")
    standing_column = re.search(r'<th scope="col" class="sortable column-standing', header)
    assert standing_column, "Standing sorts"
    column = header[: standing_column.start()].count('<th scope="col"')  # o= counts from 0
    most_behind_first = client.get(url, {"o": f"-{column}"}).content.decode()
    rows = most_behind_first.split("<tbody>", 1)[1]
    assert rows.index(member.member_number) < rows.index(paid_up.member_number)


def test_a_month_13_is_a_plain_message_on_its_field(client, user_with_role):
    client.force_login(user_with_role(roles.OFFICER))
    response = client.post(
        reverse("admin:dues_duesperiod_add"), {"year": "2026", "month": "13", "due_date": ""}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Enter a month from 1 (January) to 12 (December)." in html
    assert "dues_period_month_valid" not in html


def test_admin_lists_write_money_as_money(client, user_with_role, member):
    payment_record(
        member=member,
        amount=Decimal("1234.50"),
        method="check",
        received_date=datetime.date(2026, 6, 2),
        actor="tests",
    )
    client.force_login(user_with_role(roles.OFFICER))
    payments = client.get(reverse("admin:dues_payment_changelist")).content.decode()
    assert "$1,234.50" in payments and "$0.00" in payments  # amount, refunded
    charges = client.get(reverse("admin:dues_duescharge_changelist")).content.decode()
    assert "$45.00" in charges
    sorted_list = client.get(reverse("admin:dues_payment_changelist"), {"o": "-3"})
    assert sorted_list.status_code == 200
