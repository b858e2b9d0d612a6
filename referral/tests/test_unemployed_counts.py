"""Out of work by book: every active book with how many wait on its list (registered and
exempt, and on each of its tiers), their totals, and how many members that is (one may sign
several books); as a page, CSV and PDF, its queries the same for 1 book as for 6."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import roles
from appkit.tests.helpers import pdf_text
from audit.models import AuditEvent
from members.tests.factories import MemberFactory
from referral.models import ExemptionKind, RollOffReason
from referral.services import exemption_start, registration_register, registration_roll_off

from .factories import BookFactory

pytestmark = pytest.mark.django_db

URL = reverse("referral:unemployed_counts")


def _register(book, member=None, **fields):
    member = member or MemberFactory(classification=book.classification)
    return registration_register(member=member, book=book, actor="tests", **fields)


@pytest.fixture
def books(book, clock):
    """WIRE-N (2 tiers): 2 on Book 1, one of them exempt, 1 on Book 2, 1 rolled off.
    WIRE-S (1 tier): 1, also on WIRE-N. OLD, closed: 1 left on it."""
    clock.set(2026, 12, 7, 9, 0)
    south = BookFactory(
        code="WIRE-S", classification=book.classification, tiers=1, referral_order=2
    )
    closed = BookFactory(code="OLD", classification=book.classification)
    ana = MemberFactory(first_name="Ana", classification=book.classification)
    _register(book, ana)
    exempt = _register(book)
    _register(book, MemberFactory(), tier=2, tier_reason="Out of the jurisdiction")
    registration_roll_off(registration=_register(book), reason=RollOffReason.QUIT, actor="tests")
    exemption_start(
        registration=exempt, kind=ExemptionKind.MEDICAL, starts_on=clock.now.date(), actor="tests"
    )
    _register(south, ana)
    _register(closed)
    closed.active = False  # closed with one left on it
    closed.save()
    return {"north": book, "south": south}


def test_each_active_book_counts_its_list_by_status_and_tier_with_totals(
    client, user_with_role, books
):
    client.force_login(user_with_role(roles.STAFF))

    page = client.get(URL)

    assert page.status_code == 200
    counts = page.context["counts"]
    assert [(c.book, c.on_the_list, c.registered, c.exempt, c.by_tier) for c in counts.books] == [
        ("WIRE-N", 3, 2, 1, (2, 1, None, None)),
        ("WIRE-S", 1, 1, 0, (1, None, None, None)),
    ]
    total = counts.total
    assert (total.on_the_list, total.registered, total.exempt, total.by_tier) == (
        4,
        3,
        1,
        (3, 1, None, None),
    )
    assert counts.members == 3  # Ana is on both books
    html = page.content.decode()
    assert "OLD" not in html
    assert "<strong>3</strong> members are on at least one book" in html
    assert reverse("referral:book_list", args=[books["north"].pk]) in html


def test_the_counts_download_as_csv_and_pdf(client, user_with_role, books):
    client.force_login(user_with_role(roles.DISPATCHER))

    response = client.get(URL, {"format": "csv"})

    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    north, south = books["north"], books["south"]
    assert rows == [
        [
            "book",
            "name",
            "region",
            "on_the_list",
            "registered",
            "exempt",
            "book_1",
            "book_2",
            "book_3",
            "book_4",
        ],
        ["WIRE-N", north.name, north.region.name, "3", "2", "1", "2", "1", "", ""],
        ["WIRE-S", south.name, south.region.name, "1", "1", "0", "1", "", "", ""],
        ["All books", "", "", "4", "3", "1", "3", "1", "", ""],
    ]
    pdf = client.get(URL, {"format": "pdf"})
    assert pdf["Content-Type"] == "application/pdf"
    text = pdf_text(pdf.content)
    assert "Out of work by book" in text and "All books" in text
    assert "Members on at least one book: 3 (one may sign several)." in text
    assert AuditEvent.objects.filter(action="export", model_label="referral.book").count() == 2


def test_the_counts_cost_the_same_queries_for_one_book_as_for_six(
    client, user_with_role, book, clock, django_assert_max_num_queries
):
    clock.set(2026, 12, 7, 9, 0)
    _register(book)
    client.force_login(user_with_role(roles.STAFF))
    client.get(URL)  # warm: permissions, content types
    with CaptureQueriesContext(connection) as one:
        client.get(URL)
    for n in range(5):
        other = BookFactory(code=f"B-{n}", classification=book.classification, tiers=4)
        _register(other)
        _register(other, tier=4, tier_reason="Traveler")

    with django_assert_max_num_queries(len(one)):
        page = client.get(URL)
    assert len(page.context["counts"].books) == 6
    assert page.context["counts"].total.by_tier == (6, 0, 0, 5)


def test_the_books_page_and_the_hall_tabs_lead_to_the_counts(client, user_with_role, books):
    client.force_login(user_with_role(roles.STAFF))
    html = client.get(reverse("referral:books")).content.decode()
    assert html.count(f'href="{URL}"') == 2  # the tab, and the sentence above the books


def test_a_role_that_may_not_see_the_hall_sees_no_counts(client, user_with_role, books):
    client.force_login(user_with_role(roles.ORGANIZER))
    assert client.get(URL).status_code == 403
    assert client.get(URL, {"format": "csv"}).status_code == 403
