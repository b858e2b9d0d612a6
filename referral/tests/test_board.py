"""The request board (/referral/board/): the open and partly filled requests by referral day
and book, with what the dispatcher needs of each (employer, positions, filled, start,
requirement codes, short call, by name, bids); the cutoff clock (the local time, the rules'
cutoff, the referral day a request received now goes to, by the region's holidays, and the
time left); its queries the same for 1 request as for 10; as CSV and PDF (the "open
requests" report); behind the permission to see labor requests."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import roles
from appkit.tests.helpers import pdf_text
from referral.models import DispatchMethod, Holiday, LaborRequestStatus, Requirement
from referral.services import dispatch_make, labor_request_cancel

from .factories import BookFactory

pytestmark = pytest.mark.django_db

URL = reverse("referral:board")


@pytest.fixture
def dispatcher(client, user_with_role):
    client.force_login(user_with_role(roles.DISPATCHER))
    return client


def test_the_board_groups_open_requests_by_referral_day_and_book(
    dispatcher, registered, requested, book, clock
):
    south = BookFactory(code="WIRE-S", classification=book.classification, referral_order=2)
    member = registered().member
    on_south = registered(on=south)
    osha = Requirement.objects.get(code="OSHA-30")
    wednesday = requested(positions=2, requirements=[osha], short_call=True)
    partly = requested(book=south, positions=2)
    dispatch_make(
        labor_request=partly,
        registration=on_south,
        method=DispatchMethod.IN_PERSON,
        actor="tests",
    )
    labor_request_cancel(labor_request=requested(), reason="Not needed", actor="tests")
    by_name = requested(named_member=member, attestation="The employer asked unprompted.")
    # Received after the cutoff: Thursday's referral.
    clock.set(2026, 12, 8, 15, 30)
    from referral.services import labor_request_receive

    thursday = labor_request_receive(
        **{
            "employer": wednesday.employer,
            "book": book,
            "positions": 1,
            "start_on": datetime.date(2026, 12, 10),
            "start_at": datetime.time(7, 0),
            "worksite": "2 Main St",
            "report_to": "Gate 1",
            "wage": wednesday.wage,
            "requirements": [],
            "short_call": False,
            "agreement_type": "standard",
            "actor": "tests",
        }
    )

    page = dispatcher.get(URL)

    assert page.status_code == 200
    groups = [
        (g.referral_day, g.book, [line.request_id for line in g.lines])
        for g in page.context["groups"]
    ]
    assert groups == [
        (datetime.date(2026, 12, 9), "WIRE-N", [wednesday.pk, by_name.pk]),
        (datetime.date(2026, 12, 9), "WIRE-S", [partly.pk]),
        (datetime.date(2026, 12, 10), "WIRE-N", [thursday.pk]),
    ]
    first = page.context["groups"][0].lines[0]
    assert (first.positions, first.filled, first.requirements, first.short_call) == (
        2,
        0,
        "OSHA-30",
        True,
    )
    assert first.start == "2026-12-09 07:00"
    partly_line = page.context["groups"][1].lines[0]
    assert (partly_line.filled, partly_line.status) == (1, "Partially filled")
    assert member.full_name in page.context["groups"][0].lines[1].by_name
    assert LaborRequestStatus.CANCELLED not in {
        line.status for g in page.context["groups"] for line in g.lines
    }


@pytest.mark.parametrize(
    ("now", "referral_day", "left", "today"),
    [
        # Tuesday before the cutoff: Wednesday's referral, an hour left.
        ((2026, 12, 8, 14, 0), datetime.date(2026, 12, 9), "1 h 00 min", True),
        # Tuesday at the cutoff: Thursday's; the next cutoff is Wednesday's.
        ((2026, 12, 8, 15, 0), datetime.date(2026, 12, 10), "24 h 00 min", False),
        # Thursday Dec 24 before the cutoff, Friday a holiday: Monday's.
        ((2026, 12, 24, 9, 30), datetime.date(2026, 12, 28), "5 h 30 min", True),
        # Saturday: Tuesday's (Monday's list was made on Friday); Monday's cutoff next.
        ((2026, 12, 12, 15, 0), datetime.date(2026, 12, 15), "48 h 00 min", False),
    ],
)
def test_the_cutoff_clock(client, user_with_role, book, clock, now, referral_day, left, today):
    Holiday.objects.create(region=book.region, day=datetime.date(2026, 12, 25), name="Christmas")
    clock.set(*now)
    # Logged in at that time: a session from weeks before has expired.
    client.force_login(user_with_role(roles.DISPATCHER))

    page = client.get(URL)

    shown = page.context["clock"]
    assert shown.cutoff == datetime.time(15, 0)
    assert (shown.referral_day, shown.left, shown.before_todays_cutoff) == (
        referral_day,
        left,
        today,
    )
    assert f"{referral_day:%A, %b} {referral_day.day}, {referral_day:%Y}" in page.content.decode()


def test_the_cutoff_clock_counts_real_hours_across_a_clock_change(
    client, user_with_role, book, clock
):
    # Saturday Oct 31, 2026 at 15:00; the clocks go back on Sunday: 49 hours to Monday's.
    clock.set(2026, 10, 31, 15, 0)
    client.force_login(user_with_role(roles.DISPATCHER))
    assert client.get(URL).context["clock"].left == "49 h 00 min"


def test_without_rules_the_board_says_no_request_can_be_received(dispatcher, clock):
    page = dispatcher.get(URL)
    assert page.status_code == 200
    assert "No referral rules are in force" in page.content.decode()


def test_the_board_costs_the_same_queries_for_one_request_as_for_ten(
    dispatcher, registered, requested, clock
):
    osha = Requirement.objects.get(code="OSHA-30")
    member = registered().member
    requested(requirements=[osha])
    dispatcher.get(URL)
    with CaptureQueriesContext(connection) as one:
        dispatcher.get(URL)
    for n in range(9):
        if n % 3:
            requested(requirements=[osha], positions=2)
        else:
            requested(named_member=member, attestation="Asked unprompted.")

    with CaptureQueriesContext(connection) as ten:
        page = dispatcher.get(URL)

    assert page.context["count"] == 10
    assert len(ten) == len(one), [q["sql"] for q in ten.captured_queries]


def test_the_board_downloads_as_the_open_requests_report(dispatcher, requested, clock):
    osha = Requirement.objects.get(code="OSHA-30")
    made = requested(positions=3, requirements=[osha])

    response = dispatcher.get(URL, {"format": "csv"})

    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows == [
        [
            "referral_day",
            "book",
            "request",
            "employer",
            "positions",
            "filled",
            "start",
            "requirements",
            "short_call",
            "by_name",
            "bids",
            "status",
        ],
        [
            "2026-12-09",
            "WIRE-N",
            str(made.pk),
            str(made.employer),
            "3",
            "0",
            "2026-12-09 07:00",
            "OSHA-30",
            "",
            "",
            "0",
            "Open",
        ],
    ]
    pdf = dispatcher.get(URL, {"format": "pdf"})
    assert pdf["Content-Type"] == "application/pdf"
    assert 'filename="open-requests-' in pdf["Content-Disposition"]
    assert "Open requests" in pdf_text(pdf.content)


def test_the_hall_tabs_lead_to_the_board(client, user_with_role, rules):
    client.force_login(user_with_role(roles.STAFF))
    html = client.get(reverse("referral:books")).content.decode()
    assert f'href="{URL}"' in html
    assert client.get(URL).status_code == 200


def test_a_role_that_may_not_see_requests_sees_no_board(client, user_with_role, rules):
    client.force_login(user_with_role(roles.ORGANIZER))
    assert client.get(URL).status_code == 403
    assert client.get(URL, {"format": "csv"}).status_code == 403
