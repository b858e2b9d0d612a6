"""The hall's staff pages: the books with their counts, and a book's out-of-work list in
referral order, 100 a page, its queries the same for 3 rows as for 30."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts import roles
from members.tests.factories import MemberFactory
from referral.models import ExemptionKind, RollOffReason
from referral.services import exemption_start, registration_register, registration_roll_off

from .factories import BookFactory

pytestmark = pytest.mark.django_db


def _register(book, count: int, **member):
    return [
        registration_register(member=MemberFactory(**member), book=book, actor="tests")
        for _ in range(count)
    ]


def test_the_books_page_counts_the_registered_and_the_exempt_of_each_book(
    client, user_with_role, book, clock
):
    clock.set(2026, 12, 7, 9, 0)
    other = BookFactory(code="WIRE-S", classification=book.classification, referral_order=2)
    _first, second, third = _register(book, 3)
    _register(other, 1)
    exemption_start(
        registration=second, kind=ExemptionKind.MEDICAL, starts_on=clock.now.date(), actor="tests"
    )
    registration_roll_off(registration=third, reason=RollOffReason.WITHDRAWN, actor="tests")
    client.force_login(user_with_role(roles.STAFF))

    page = client.get(reverse("referral:books"))

    assert page.status_code == 200
    counts = {b.code: (b.registered, b.exempt) for b in page.context["books"]}
    assert counts == {"WIRE-N": (1, 1), "WIRE-S": (1, 0)}
    assert reverse("referral:book_list", args=[book.pk]) in page.content.decode()


def test_a_books_list_is_in_referral_order_with_its_columns(client, user_with_role, book, clock):
    clock.set(2026, 12, 7, 9, 0)
    ana = registration_register(
        member=MemberFactory(
            first_name="Ana", last_name="Nunez", classification=book.classification
        ),
        book=book,
        actor="tests",
    )
    clock.set(2026, 12, 7, 9, 5)
    # On Book 2: after everyone on Book 1, whatever the APN.
    ben = registration_register(
        member=MemberFactory(first_name="Ben", last_name="Brown"),
        book=book,
        tier=2,
        tier_reason="Out of the jurisdiction",
        actor="tests",
    )
    clock.set(2026, 12, 8, 9, 0)
    cy = registration_register(
        member=MemberFactory(first_name="Cy", last_name="Cole", classification=book.classification),
        book=book,
        actor="tests",
    )
    exemption_start(
        registration=cy, kind=ExemptionKind.MEDICAL, starts_on=clock.now.date(), actor="tests"
    )
    client.force_login(user_with_role(roles.DISPATCHER))

    page = client.get(reverse("referral:book_list", args=[book.pk]))

    lines = page.context["lines"]
    assert [(line.position, line.name, line.tier) for line in lines] == [
        (1, "Ana Nunez", 1),
        (2, "Cy Cole", 1),
        (3, "Ben Brown", 2),
    ]
    assert lines[0].apn == ana.apn and lines[2].apn == ben.apn
    assert lines[0].resign_due == ana.resign_due
    assert lines[1].exemption == "Medical" and lines[1].resign_due is None
    html = page.content.decode()
    assert "Ana Nunez" in html and str(ana.member.member_number) in html


def test_the_list_pages_100_at_a_time_and_positions_run_on(client, user_with_role, book, clock):
    clock.set(2026, 12, 7, 9, 0)
    _register(book, 101, classification=book.classification)
    client.force_login(user_with_role(roles.STAFF))
    url = reverse("referral:book_list", args=[book.pk])

    first = client.get(url)
    second = client.get(url, {"page": 2})

    assert len(first.context["lines"]) == 100
    assert [line.position for line in second.context["lines"]] == [101]
    assert "Next 100" in first.content.decode()
    assert client.get(url, {"page": "x'"}).status_code == 200


def test_the_list_costs_the_same_queries_for_3_rows_as_for_30(
    client, user_with_role, book, clock, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    clock.set(2026, 12, 7, 9, 0)
    client.force_login(user_with_role(roles.DISPATCHER))
    url = reverse("referral:book_list", args=[book.pk])
    registrations = _register(book, 3, classification=book.classification)
    exemption_start(
        registration=registrations[0],
        kind=ExemptionKind.MEDICAL,
        starts_on=clock.now.date(),
        actor="tests",
    )
    client.get(url)  # warm: permissions, content types
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    _register(book, 27, classification=book.classification)

    with django_assert_max_num_queries(len(few)):
        page = client.get(url)
    assert len(page.context["lines"]) == 30


@pytest.mark.parametrize(
    ("page", "query", "says"),
    [
        ("referral:dropped", {}, "None were dropped then."),
        ("referral:resign_due", {"days": 3}, "No re-sign falls due in those days."),
        ("referral:book_list", {}, "No one is on this book."),
        ("referral:book_as_of", {"at": "2026-12-07T09:00"}, "No one was on WIRE-N then."),
    ],
)
def test_a_report_with_no_rows_says_so(client, user_with_role, book, clock, page, query, says):
    clock.set(2026, 12, 7, 9, 0)
    client.force_login(user_with_role(roles.STAFF))
    url = reverse(page, args=[book.pk] if page.startswith("referral:book_") else [])

    html = client.get(url, query).content.decode()

    assert says in html
    assert "format=csv" in html  # its downloads, with the header alone
