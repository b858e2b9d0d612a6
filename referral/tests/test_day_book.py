"""The day book (/referral/day-book/): the dispatches made on one of the local's days, by the
local's clock (23:30 on Dec 8 in Los Angeles is Dec 9 in UTC, and Dec 8's), in the order
made; today's by default; as a page, CSV and PDF, its queries the same for 1 dispatch as
for 10; behind the permission to see dispatches, and among the hall's tabs."""

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
from appkit.tests.helpers import pdf_text
from audit.models import AuditEvent
from checkoff.tests.factories import EmployerFactory
from jobs.models import JobStatus
from jobs.tests.helpers import job_of
from members.tests.factories import MemberFactory
from referral import report_files
from referral.models import DispatchMethod
from referral.services import dispatch_make, labor_request_receive, registration_register

pytestmark = pytest.mark.django_db

URL = reverse("referral:day_book")


@pytest.fixture
def dispatch_at(book, clock):
    """A member registered on Dec 1 and dispatched, through the service, to a new request
    received at 09:00 of Dec 8 (to start Dec 10), at the local wall-clock time given."""

    def go(*when: int, member=None, employer=None):
        clock.set(2026, 12, 1, 9, 0)
        member = member or MemberFactory(classification=book.classification)
        registration = registration_register(member=member, book=book, actor="tests")
        clock.set(2026, 12, 8, 9, 0)
        labor_request = labor_request_receive(
            employer=employer or EmployerFactory(),
            book=book,
            positions=1,
            start_on=datetime.date(2026, 12, 10),
            start_at=datetime.time(7, 0),
            worksite="1 Main St",
            report_to="Gate 3",
            wage=Decimal("52.10"),
            requirements=[],
            short_call=False,
            agreement_type="standard",
            actor="tests",
        )
        clock.set(*when)
        return dispatch_make(
            labor_request=labor_request,
            registration=registration,
            method=DispatchMethod.IN_PERSON,
            actor="tests",
        )

    return go


@pytest.fixture
def dispatcher(client, user_with_role):
    client.force_login(user_with_role(roles.DISPATCHER))
    return client


def _members(page) -> list[str]:
    return [line.member_number for line in page.context["lines"]]


def test_a_dispatch_at_half_past_eleven_at_night_is_in_that_local_days_book(
    dispatcher, dispatch_at, clock
):
    late = dispatch_at(2026, 12, 8, 23, 30)
    assert late.dispatched_at.astimezone(datetime.UTC).date() == datetime.date(2026, 12, 9)
    early = dispatch_at(2026, 12, 9, 0, 30)

    tuesday = dispatcher.get(URL, {"day": "2026-12-08"})
    wednesday = dispatcher.get(URL, {"day": "2026-12-09"})

    assert _members(tuesday) == [late.member.member_number]
    assert tuesday.context["lines"][0].time == "23:30"
    assert _members(wednesday) == [early.member.member_number]
    assert late.member.member_number not in wednesday.content.decode()


def test_the_day_book_lists_the_days_dispatches_in_the_order_made(dispatcher, dispatch_at):
    employer = EmployerFactory(code="ACME", name="Acme Electric")
    second = dispatch_at(2026, 12, 8, 11, 15, employer=employer)
    first = dispatch_at(2026, 12, 8, 10, 5)
    dispatch_at(2026, 12, 9, 12, 0)  # the day after

    page = dispatcher.get(URL, {"day": "2026-12-08"})

    assert page.status_code == 200
    assert _members(page) == [first.member.member_number, second.member.member_number]
    line = page.context["lines"][1]
    assert (line.time, line.name, line.book, line.employer, line.method, line.status) == (
        "11:15",
        second.member.full_name,
        "WIRE-N",
        "ACME: Acme Electric",
        "In person",
        "Dispatched",
    )
    html = page.content.decode()
    assert reverse("admin:referral_dispatch_change", args=[second.pk]) in html
    assert "from midnight to midnight in America/Los_Angeles" in html


def test_the_day_book_is_todays_by_default(dispatcher, dispatch_at, clock):
    made = dispatch_at(2026, 12, 8, 23, 30)
    clock.set(2026, 12, 8, 23, 45)  # Dec 9 in UTC
    page = dispatcher.get(URL)
    assert page.context["day"] == datetime.date(2026, 12, 8)
    assert _members(page) == [made.member.member_number]


def test_an_unreadable_day_is_a_form_error(dispatcher, rules):
    for day in ("2026-13-01", "yesterday", "0001-01-01"):
        page = dispatcher.get(URL, {"day": day})
        assert page.status_code == 400, day
        assert "errornote" in page.content.decode()


def test_the_day_book_costs_the_same_queries_for_one_dispatch_as_for_ten(dispatcher, dispatch_at):
    dispatch_at(2026, 12, 8, 10, 0)
    dispatcher.get(URL, {"day": "2026-12-08"})  # warm: permissions, content types
    with CaptureQueriesContext(connection) as one:
        dispatcher.get(URL, {"day": "2026-12-08"})
    for minute in range(9):
        dispatch_at(2026, 12, 8, 11, minute)

    with CaptureQueriesContext(connection) as ten:
        page = dispatcher.get(URL, {"day": "2026-12-08"})

    assert len(page.context["lines"]) == 10
    assert len(ten) == len(one), [q["sql"] for q in ten.captured_queries]


def test_the_day_book_downloads_as_csv_and_pdf(dispatcher, dispatch_at):
    made = dispatch_at(2026, 12, 8, 23, 30, employer=EmployerFactory(code="ACME", name="Acme"))
    query = {"day": "2026-12-08"}

    response = dispatcher.get(URL, {**query, "format": "csv"})

    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    member = made.member
    assert rows == [
        ["time", "member_number", "name", "book", "employer", "request", "method", "status"],
        [
            "23:30",
            member.member_number,
            member.full_name,
            "WIRE-N",
            "ACME: Acme",
            str(made.labor_request_id),
            "In person",
            "Dispatched",
        ],
    ]
    pdf = dispatcher.get(URL, {**query, "format": "pdf"})
    assert pdf["Content-Type"] == "application/pdf"
    assert 'filename="day-book-2026-12-08-' in pdf["Content-Disposition"]
    text = pdf_text(pdf.content)
    assert "Day book: dispatches of Tue Dec 08, 2026" in text and member.full_name in text
    exports = AuditEvent.objects.filter(action="export", model_label="referral.dispatch")
    assert exports.count() == 2


def test_a_long_day_books_pdf_is_a_jobs(dispatcher, dispatch_at, monkeypatch, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    monkeypatch.setattr(report_files, "PDF_ROWS_IN_REQUEST", 1)
    first = dispatch_at(2026, 12, 8, 10, 0)
    second = dispatch_at(2026, 12, 8, 23, 30)

    job = job_of(dispatcher.post(URL + "?day=2026-12-08&format=pdf"))

    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.params == {"report": "day_book", "day": "2026-12-08"}
    download = dispatcher.get(reverse("admin:jobs_job_download", args=[job.pk]))
    text = pdf_text(b"".join(download.streaming_content))
    assert first.member.full_name in text and second.member.full_name in text
    page = dispatcher.get(reverse("admin:jobs_job_change", args=[job.pk])).content.decode()
    assert f'href="{URL}?day=2026-12-08">Back to the report' in page


def test_the_hall_tabs_lead_to_the_day_book(client, user_with_role, rules):
    client.force_login(user_with_role(roles.STAFF))
    html = client.get(reverse("referral:books")).content.decode()
    assert f'href="{URL}"' in html
    assert client.get(URL).status_code == 200


def test_a_role_that_may_not_see_dispatches_sees_no_day_book(client, user_with_role, rules):
    client.force_login(user_with_role(roles.ORGANIZER))
    assert client.get(URL).status_code == 403
    assert client.get(URL, {"format": "csv"}).status_code == 403
