"""The referral's reports (referral/referral_reports.py), each a page, a CSV and a PDF: the
daily referral summary (each confirmed run's requests, their offers, skips by reason and
unfilled positions), the bids of a referral day, the current dispatches by employer, and
the by-name requests of a period (the anti-collusion audit); each read in the same queries
for one row as for many, behind its permission, and among the hall's tabs."""

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
from checkoff.tests.factories import EmployerFactory
from referral.models import DispatchMethod, Requirement
from referral.services import (
    bid_place,
    dispatch_make,
    exemption_start,
    referral_run_confirm,
    referral_run_propose,
)

pytestmark = pytest.mark.django_db

SUMMARY = reverse("referral:referral_summary")
BIDS = reverse("referral:bids")
DISPATCHES = reverse("referral:current_dispatches")
BY_NAME = reverse("referral:by_name")


@pytest.fixture
def dispatcher(client, user_with_role):
    client.force_login(user_with_role(roles.DISPATCHER))
    return client


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def _queries(client, url: str, query: dict) -> int:
    client.get(url, query)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, query).status_code == 200
    return len(captured)


def _morning_run(clock):
    clock.set(2026, 12, 9, 7, 0)
    return referral_run_confirm(run=referral_run_propose(actor="tests"), actor="tests")


# --- The daily referral summary ----------------------------------------------------------


def test_the_summary_counts_offers_skips_by_reason_and_unfilled(
    dispatcher, registered, requested, clock
):
    on_list = [registered() for _ in range(3)]
    exemption_start(
        registration=on_list[0],
        kind="medical",
        starts_on=datetime.date(2026, 12, 1),
        actor="tests",
    )
    osha = Requirement.objects.get(code="OSHA-30")
    filled = requested(positions=1)
    unfilled = requested(positions=2, requirements=[osha])
    run = _morning_run(clock)

    page = dispatcher.get(SUMMARY, {"day": "2026-12-09"})
    rows = _csv(dispatcher.get(SUMMARY, {"day": "2026-12-09", "format": "csv"}))

    assert page.status_code == 200
    assert "Lacks a requirement of the request: 1" in page.content.decode()
    assert rows[0] == [
        "run",
        "request",
        "book",
        "employer",
        "positions",
        "offers",
        "skips",
        "skipped_exempt",
        "skipped_already_dispatched",
        "skipped_out_of_standing",
        "skipped_blacked_out",
        "skipped_lacks_requirement",
        "skipped_bidding_suspended",
        "skipped_did_not_bid",
        "unfilled",
    ]
    employer = str(filled.employer)
    # run, request, book, employer, positions, offers, skips; skips by reason; unfilled.
    first = [str(run.pk), str(filled.pk), "WIRE-N", employer, "1", "1", "1"]
    second = [str(run.pk), str(unfilled.pk), "WIRE-N", employer, "2", "0", "3"]
    assert rows[1:] == [
        [*first, "1", "0", "0", "0", "0", "0", "0", "0"],
        [*second, "1", "1", "0", "0", "1", "0", "0", "2"],
    ]
    pdf = dispatcher.get(SUMMARY, {"day": "2026-12-09", "format": "pdf"})
    assert "Referral summary of Wed Dec 09, 2026" in pdf_text(pdf.content)


def test_an_unconfirmed_run_is_not_in_the_summary(dispatcher, registered, requested, clock):
    registered()
    requested()
    clock.set(2026, 12, 9, 7, 0)
    referral_run_propose(actor="tests")
    rows = _csv(dispatcher.get(SUMMARY, {"day": "2026-12-09", "format": "csv"}))
    assert len(rows) == 1


def test_the_summary_costs_the_same_queries_for_one_request_as_for_ten(
    client, user_with_role, registered, requested, clock
):
    for _ in range(3):
        registered()
    requested()
    _morning_run(clock)
    client.force_login(user_with_role(roles.DISPATCHER))
    one = _queries(client, SUMMARY, {"day": "2026-12-09"})
    for _ in range(9):
        requested()
    clock.set(2026, 12, 9, 7, 0)
    referral_run_confirm(run=referral_run_propose(actor="tests"), actor="tests")
    page = client.get(SUMMARY, {"day": "2026-12-09"})
    assert len(page.context["lines"]) == 1 + 9
    assert _queries(client, SUMMARY, {"day": "2026-12-09"}) == one


# --- Bids of a referral day --------------------------------------------------------------


def test_the_bids_of_a_referral_day(dispatcher, registered, requested, clock):
    on_list = [registered() for _ in range(3)]
    labor_request = requested()
    clock.set(2026, 12, 8, 18, 5)
    late = bid_place(member=on_list[2].member, labor_request=labor_request, actor="tests")
    clock.set(2026, 12, 8, 23, 30)  # Dec 9 in UTC, still the evening's bid
    later = bid_place(member=on_list[1].member, labor_request=labor_request, actor="tests")

    rows = _csv(dispatcher.get(BIDS, {"day": "2026-12-09", "format": "csv"}))

    employer = str(labor_request.employer)
    assert rows == [
        ["placed_at", "request", "employer", "book", "member_number", "name", "position", "status"],
        [
            "2026-12-08 18:05:00",
            str(labor_request.pk),
            employer,
            "WIRE-N",
            late.member.member_number,
            late.member.full_name,
            "3",
            "Placed",
        ],
        [
            "2026-12-08 23:30:00",
            str(labor_request.pk),
            employer,
            "WIRE-N",
            later.member.member_number,
            later.member.full_name,
            "2",
            "Placed",
        ],
    ]
    assert len(_csv(dispatcher.get(BIDS, {"day": "2026-12-10", "format": "csv"}))) == 1
    page = dispatcher.get(BIDS, {"day": "2026-12-09"})
    assert page.status_code == 200 and late.member.full_name in page.content.decode()
    pdf = dispatcher.get(BIDS, {"day": "2026-12-09", "format": "pdf"})
    assert late.member.full_name in pdf_text(pdf.content)


def test_the_bids_cost_the_same_queries_for_one_as_for_ten(
    client, user_with_role, registered, requested, clock
):
    on_list = [registered() for _ in range(10)]
    labor_request = requested()
    clock.set(2026, 12, 8, 18, 5)
    bid_place(member=on_list[0].member, labor_request=labor_request, actor="tests")
    client.force_login(user_with_role(roles.DISPATCHER))
    one = _queries(client, BIDS, {"day": "2026-12-09"})
    for registration in on_list[1:]:
        clock.advance(minutes=1)
        bid_place(member=registration.member, labor_request=labor_request, actor="tests")
    assert len(client.get(BIDS, {"day": "2026-12-09"}).context["rows"]) == 10
    assert _queries(client, BIDS, {"day": "2026-12-09"}) == one


# --- Current dispatches by employer ------------------------------------------------------


def _dispatched(registered, requested, employer=None):
    registration = registered()
    labor_request = requested(**({"employer": employer} if employer else {}))
    return dispatch_make(
        labor_request=labor_request,
        registration=registration,
        method=DispatchMethod.IN_PERSON,
        actor="tests",
    )


def test_the_current_dispatches_by_employer(dispatcher, registered, requested, employer, clock):
    zeta = EmployerFactory(code="ZETA", name="Zeta Power")
    first = _dispatched(registered, requested)
    second = _dispatched(registered, requested, employer=zeta)

    rows = _csv(dispatcher.get(DISPATCHES, {"format": "csv"}))

    assert rows[0] == ["employer", "member_number", "name", "book", "since", "status", "request"]
    by_employer = sorted(rows[1:])
    expected = sorted(
        [
            str(d.employer),
            d.member.member_number,
            d.member.full_name,
            "WIRE-N",
            "2026-12-08",
            "Dispatched",
            str(d.labor_request_id),
        ]
        for d in (first, second)
    )
    assert by_employer == expected
    page = dispatcher.get(DISPATCHES)
    assert [g.employer for g in page.context["groups"]] == [r[0] for r in rows[1:]]
    assert "Zeta Power" in page.content.decode()


def test_the_current_dispatches_cost_the_same_queries_for_one_as_for_ten(
    client, user_with_role, registered, requested, clock
):
    _dispatched(registered, requested)
    client.force_login(user_with_role(roles.DISPATCHER))
    one = _queries(client, DISPATCHES, {})
    for n in range(9):
        _dispatched(registered, requested, employer=EmployerFactory() if n % 2 else None)
    assert client.get(DISPATCHES).context["count"] == 10
    assert _queries(client, DISPATCHES, {}) == one


# --- By-name requests --------------------------------------------------------------------


def test_the_by_name_requests_of_a_period(dispatcher, registered, requested, clock):
    went, stayed = registered(), registered()
    asked = requested(named_member=went.member, attestation="The foreman asked unprompted.")
    requested(named_member=stayed.member, attestation="Asked for by the owner.")
    requested()  # not by name
    dispatch_make(
        labor_request=asked,
        registration=went,
        method=DispatchMethod.BY_NAME,
        actor="tests",
    )

    rows = _csv(
        dispatcher.get(BY_NAME, {"start": "2026-12-08", "end": "2026-12-08", "format": "csv"})
    )

    assert rows[0] == [
        "received",
        "request",
        "employer",
        "book",
        "member_number",
        "name",
        "attestation",
        "recorded_by",
        "dispatched",
        "status",
    ]
    assert [(r[4], r[6], r[7], r[8], r[9]) for r in rows[1:]] == [
        (went.member.member_number, "The foreman asked unprompted.", "tests", "yes", "Filled"),
        (stayed.member.member_number, "Asked for by the owner.", "tests", "no", "Open"),
    ]
    assert rows[1][0] == "2026-12-08 09:00"
    outside = dispatcher.get(BY_NAME, {"start": "2026-12-09", "end": "2026-12-31", "format": "csv"})
    assert len(_csv(outside)) == 1
    page = dispatcher.get(BY_NAME, {"start": "2026-12-01", "end": "2026-12-08"})
    assert page.status_code == 200 and "The foreman asked unprompted." in page.content.decode()
    assert dispatcher.get(BY_NAME, {"start": "2026-12-09", "end": "2026-12-01"}).status_code == 400


def test_the_by_name_requests_cost_the_same_queries_for_one_as_for_ten(
    client, user_with_role, registered, requested, clock
):
    members = [registered().member for _ in range(10)]
    requested(named_member=members[0], attestation="Unprompted.")
    client.force_login(user_with_role(roles.DISPATCHER))
    query = {"start": "2026-12-01", "end": "2026-12-31"}
    one = _queries(client, BY_NAME, query)
    for member in members[1:]:
        requested(named_member=member, attestation="Unprompted.")
    assert len(client.get(BY_NAME, query).context["rows"]) == 10
    assert _queries(client, BY_NAME, query) == one


# --- Tabs and permissions ----------------------------------------------------------------


def test_the_hall_tabs_lead_to_the_reports(client, user_with_role, rules):
    client.force_login(user_with_role(roles.STAFF))
    html = client.get(reverse("referral:books")).content.decode()
    for url in (SUMMARY, BIDS, DISPATCHES, BY_NAME):
        assert f'href="{url}"' in html
        assert client.get(url).status_code == 200, url
    assert reverse("admin:referral_referralrun_changelist") in html


def test_a_role_without_the_hall_sees_none_of_the_reports(client, user_with_role, rules):
    client.force_login(user_with_role(roles.ORGANIZER))
    for url in (SUMMARY, BIDS, DISPATCHES, BY_NAME):
        assert client.get(url).status_code == 403, url
        assert client.get(url, {"format": "csv"}).status_code == 403, url
