"""One member's money reads the same, under the same names, on every page and in every
export: the admin's member page and list, the member's dues page (the office's and their
own), their home, the statement, the arrears report and its CSV, and the API. Balance:
everything charged and not paid, charges not yet due included; past due: the part owed by
today; months behind (months_in_arrears in the API and CSV)."""

from __future__ import annotations

import csv
import datetime
import io
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts import roles
from apikit.tests.client import api_client
from members.services import member_update
from members.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

BALANCE, PAST_DUE, MONTHS = "$270.00", "$225.00", "5"


def _facts(html: str) -> dict[str, str]:
    """Every "label: value" pair of a page's definition lists."""
    return {
        re.sub(r"<[^>]+>", "", dt).strip(): re.sub(r"<[^>]+>", "", dd).strip()
        for dt, dd in re.findall(r"<dt>(.*?)</dt>\s*<dd[^>]*>(.*?)</dd>", html, re.S)
    }


def test_a_members_numbers_agree_on_every_page_and_export(client, user_with_role, owing):
    office = user_with_role(roles.OFFICER)
    client.force_login(office)

    admin_page = _facts(
        client.get(reverse("admin:members_member_change", args=[owing.pk])).content.decode()
    )
    dues_page = _facts(client.get(reverse("dues:member", args=[owing.pk])).content.decode())
    for facts in (admin_page, dues_page):
        assert (facts["Balance"], facts["Past due"], facts["Months behind"]) == (
            BALANCE,
            PAST_DUE,
            MONTHS,
        )
        assert facts["Paid through"] == "2026-01"

    listed = client.get(reverse("admin:members_member_changelist")).content.decode()
    assert f'<td class="field-balance">{BALANCE}</td>' in listed

    report = client.get(reverse("dues:arrears"), {"months": 1})
    [row] = report.context["page"].object_list
    assert (row.balance, row.past_due, row.months_in_arrears) == (
        Decimal("270.00"),
        Decimal("225.00"),
        5,
    )
    text = report.content.decode()
    assert '<th scope="col" class="num">Months behind</th>' in text
    assert f'<td class="num">{BALANCE}</td><td class="num">{PAST_DUE}</td>' in text
    exported = client.get(reverse("dues:arrears"), {"months": 1, "format": "csv"})
    [line] = csv.DictReader(io.StringIO(b"".join(exported.streaming_content).decode()))
    assert (line["balance"], line["past_due"], line["months_in_arrears"]) == (
        "270.00",
        "225.00",
        MONTHS,
    )

    api = api_client(office).get(reverse("api:member-dues", args=[owing.pk])).json()
    assert (api["balance"], api["past_due"], api["months_in_arrears"]) == ("270.00", "225.00", 5)

    login = UserFactory(role=roles.MEMBER)
    owing = member_update(member=owing, actor="tests", changes={"user": login})
    client.force_login(login)
    home = _facts(client.get(reverse("home")).content.decode())
    assert (home["Balance"], home["Past due"]) == (BALANCE, PAST_DUE)
    mine = _facts(client.get(reverse("dues:my")).content.decode())
    assert (mine["Balance"], mine["Past due"], mine["Months behind"]) == (
        BALANCE,
        PAST_DUE,
        MONTHS,
    )
    today = datetime.date.today()
    statement = client.get(
        reverse("dues:statement", args=[owing.pk]),
        {"start": "2026-01-01", "end": today.isoformat()},
    ).content.decode()
    # The statement counts charges by their due date: what was due by today, then the
    # charge not yet due, then the balance every other page gives.
    assert re.search(r"of charges due by then</th><td class=\"amount\">\$225\.00<", statement)
    assert re.search(r"Charged, not yet due</th><td class=\"amount\">\$45\.00<", statement)
    assert re.search(
        rf"with the charges not yet due</th><td class=\"amount\">\{BALANCE}<", statement
    )
