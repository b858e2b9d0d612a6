"""The member list officers work from: search, filters, cost per page, CSV export."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import roles
from jobs.tests.helpers import job_download
from members.importing import members_import
from members.member_csv import COLUMNS
from members.models import Member
from members.tests.factories import ClassificationFactory, MemberFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:members_member_changelist")


def _queries_for_changelist(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(CHANGELIST)
    assert response.status_code == 200
    return len(queries)


def test_member_list_costs_the_same_queries_for_10_and_200_members(client, user_with_role):
    client.force_login(user_with_role(roles.OFFICER))
    classes = [ClassificationFactory(code=c, name=c) for c in ("JW", "AP", "RT")]
    for i in range(10):
        MemberFactory(classification=classes[i % 3])
    with_10 = _queries_for_changelist(client)
    for i in range(190):
        MemberFactory(classification=classes[i % 3])
    with_200 = _queries_for_changelist(client)
    assert Member.objects.count() == 200
    assert with_200 == with_10


def test_search_finds_a_member_by_part_of_their_name(client, user_with_role):
    MemberFactory(first_name="Dolores", last_name="Huerta", member_number="1962")
    MemberFactory(first_name="Cesar", last_name="Chavez", member_number="1963")
    client.force_login(user_with_role(roles.STAFF))
    page = client.get(CHANGELIST, {"q": "huer"})
    assert b"Huerta" in page.content
    assert b"Chavez" not in page.content


@pytest.mark.parametrize("query", ["196", "dolores@", "DOLO"])
def test_search_by_part_of_a_number_email_or_first_name(client, user_with_role, query):
    MemberFactory(
        first_name="Dolores", last_name="Huerta", member_number="1962", email="dolores@example.org"
    )
    MemberFactory(first_name="Cesar", last_name="Chavez", member_number="2001")
    client.force_login(user_with_role(roles.ORGANIZER))
    page = client.get(CHANGELIST, {"q": query})
    assert b"Huerta" in page.content
    assert b"Chavez" not in page.content


@pytest.mark.parametrize("typed", ["1962", " 1962 ", "a-1962"])
def test_a_whole_member_number_opens_that_member(client, user_with_role, typed):
    # At the counter, or in the dashboard's "find a member": the number opens the member.
    wanted = MemberFactory(member_number="A-1962" if "a-" in typed else "1962")
    MemberFactory(member_number="19620")
    client.force_login(user_with_role(roles.STAFF))
    answer = client.get(CHANGELIST, {"q": typed})
    assert answer.status_code == 302
    assert answer["Location"] == reverse("admin:members_member_change", args=[wanted.pk])
    # Part of a number is a search, and a popup choosing a member stays a list.
    assert client.get(CHANGELIST, {"q": "196"}).status_code == 200
    assert client.get(CHANGELIST, {"q": typed, "_popup": "1"}).status_code == 200


def test_filters_by_status_and_classification(client, user_with_role):
    apprentice = ClassificationFactory(code="AP", name="Apprentice")
    MemberFactory(last_name="Activeapprentice", classification=apprentice)
    MemberFactory(last_name="Suspendedapprentice", classification=apprentice, status="suspended")
    MemberFactory(last_name="Activejourneyman")
    client.force_login(user_with_role(roles.OFFICER))
    page = client.get(
        CHANGELIST, {"status__exact": "active", "classification__id__exact": apprentice.pk}
    )
    assert b"Activeapprentice" in page.content
    assert b"Suspendedapprentice" not in page.content
    assert b"Activejourneyman" not in page.content


def _export(client, members) -> str:
    response = client.post(
        CHANGELIST,
        {"action": "export_csv", "_selected_action": [m.pk for m in members]},
    )
    return job_download(client, response)  # written by a worker, downloaded when done


def test_export_gives_the_selected_members_as_csv(client, user_with_role):
    chosen = MemberFactory(first_name="Mother", last_name="Jones", member_number="1837")
    MemberFactory(last_name="Notchosen")
    client.force_login(user_with_role(roles.OFFICER))
    rows = list(csv.DictReader(io.StringIO(_export(client, [chosen]))))
    assert len(rows) == 1
    assert tuple(rows[0]) == COLUMNS
    assert rows[0]["member_number"] == "1837"
    assert rows[0]["last_name"] == "Jones"
    assert rows[0]["classification"] == "JW"


def test_an_organizers_export_has_the_phone_but_no_date_of_birth_or_address(client, user_with_role):
    chosen = MemberFactory(member_number="1837", phone="(312) 555-0142", address_line1="9 Elm")
    client.force_login(user_with_role(roles.ORGANIZER))
    text = _export(client, [chosen])
    [row] = list(csv.DictReader(io.StringIO(text)))
    assert set(row) == set(COLUMNS) - set(Member.PERSONAL_FIELDS)
    assert row["phone"] == "(312) 555-0142"
    assert "9 Elm" not in text and str(chosen.date_of_birth) not in text


def test_export_defuses_spreadsheet_formulas_and_imports_back_unchanged(client, user_with_role):
    tricky = MemberFactory(last_name='=HYPERLINK("http://x")', phone="+1 312 555 0100")
    client.force_login(user_with_role(roles.OFFICER))
    text = _export(client, [tricky])
    assert "'=HYPERLINK" in text
    assert "'+1 312 555 0100" in text

    result = members_import(csv_text=text.replace(tricky.member_number, "999999"), actor="tests")
    assert result.ok, result.errors
    again = Member.objects.get(member_number="999999")
    assert again.last_name == '=HYPERLINK("http://x")'
    assert again.phone == "+1 312 555 0100"
    assert again.date_of_birth == tricky.date_of_birth


def test_a_search_of_several_pages_shows_each_page_in_name_order_and_once(
    client, user_with_role, monkeypatch
):
    # Pages are found by their members' ids, then read whole (appkit.admin.IdsFirstPaginator):
    # the pages together are the search's matches in name order, each once, and nothing else;
    # a page of 4 costs the queries of a page of 2.
    from members.admin.member import MemberAdmin

    monkeypatch.setattr(MemberAdmin, "list_per_page", 4)
    classification = ClassificationFactory(code="JW", name="Journeyman")
    names = ["Ng", "Abe", "Moss", "Diaz", "Cole", "Baker", "Lowe", "Fox", "Ives", "Kerr"]
    for i, last in enumerate(names):
        MemberFactory(
            last_name=f"{last}-Smith", classification=classification, member_number=f"77{i}"
        )
    MemberFactory(last_name="Jones", classification=classification)
    client.force_login(user_with_role(roles.STAFF))

    shown, costs = [], []
    for page in (1, 2, 3):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(CHANGELIST, {"q": "smith", "p": page})
        assert response.status_code == 200
        members = response.context["cl"].result_list
        shown += [member.last_name for member in members]
        assert response.context["cl"].result_count == 10
        assert response.content.decode().count(
            '<td class="field-classification_code">JW</td>'
        ) == len(members)
        costs.append(len(queries))
    assert shown == sorted(f"{last}-Smith" for last in names)
    assert costs[0] == costs[1] == costs[2]
