"""A long report's PDF is laid out by a worker, never inside the request (docs/design.md §1):
its link shows what will be made and a button, and starts nothing; the button's POST queues
a job and leads straight to its page; the job's PDF holds every row and downloads from that
page, for whoever started it and the office's Officers, nobody else. A short one still comes
straight back."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.urls import reverse

from accounts import roles
from appkit.tests.helpers import pdf_text
from audit.models import AuditEvent
from jobs.models import Job, JobStatus
from jobs.services import job_run
from jobs.tests.helpers import START_PAGE, database_queue, job_of
from members.tests.factories import MemberFactory
from referral import report_files
from referral.models import RollOffReason
from referral.services import registration_register, registration_roll_off

pytestmark = pytest.mark.django_db

NAMES = [("Ana", "Nunez"), ("Ben", "Brown"), ("Cy", "Cole"), ("Di", "Diaz")]


@pytest.fixture
def long_reports(monkeypatch, settings, tmp_path):
    """Three rows make a long report here: 500 would only make the tests slow."""
    settings.MEDIA_ROOT = tmp_path
    monkeypatch.setattr(report_files, "PDF_ROWS_IN_REQUEST", 2)


@pytest.fixture
def hall(book, clock):
    """Four on WIRE-N at 08:00 on Dec 7; Di dropped (quit) at 10:00."""
    clock.set(2026, 12, 7, 8, 0)
    registrations = {
        first: registration_register(
            member=MemberFactory(
                first_name=first, last_name=last, classification=book.classification
            ),
            book=book,
            actor="tests",
        )
        for first, last in NAMES
    }
    clock.set(2026, 12, 7, 10, 0)
    registration_roll_off(
        registration=registrations["Di"], reason=RollOffReason.QUIT, actor="tests"
    )
    return registrations


def _as(client, user_with_role, role):
    user = user_with_role(role)
    client.force_login(user)
    return user


def _pdf_of(client, job: Job) -> str:
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.error
    download = client.get(reverse("admin:jobs_job_download", args=[job.pk]))
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith('attachment; filename="book-WIRE-N-')
    content = b"".join(download.streaming_content)
    assert content.startswith(b"%PDF-")
    return pdf_text(content)


def test_a_long_lists_pdf_is_queued_and_the_request_only_leads_to_its_job(
    client, user_with_role, book, hall, long_reports, settings
):
    database_queue(settings)  # queued for a worker: nothing is laid out in the request
    dispatcher = _as(client, user_with_role, roles.DISPATCHER)
    url = reverse("referral:book_list", args=[book.pk]) + "?format=pdf"

    asked = client.get(url)

    # The link starts nothing (a reload, a prefetch): it says what will be made.
    assert START_PAGE in [t.name for t in asked.templates]
    assert Job.objects.count() == 0
    html = asked.content.decode()
    assert 'method="post"' in html and "Make the PDF of 3 rows" in html

    started = client.post(url)

    assert started.status_code == 302
    job = job_of(started)
    assert (job.kind, job.status, job.started_by) == (
        "referral.report_pdf",
        JobStatus.QUEUED,
        dispatcher,
    )
    assert not job.result
    assert not AuditEvent.objects.filter(action="export").exists()
    # The same dispatcher's second press, while it waits, is the same job.
    assert job_of(client.post(url)).pk == job.pk

    job_run(job.pk)  # as the worker does

    text = _pdf_of(client, job)
    assert "WIRE-N" in text and "out-of-work list" in text
    for name in ("Ana Nunez", "Ben Brown", "Cy Cole"):
        assert name in text
    assert "Di Diaz" not in text
    job.refresh_from_db()
    assert job.outcome["rows"] == 3
    export = AuditEvent.objects.get(action="export", model_label="referral.registration")
    assert export.actor == dispatcher and export.detail == (
        "Exported 3 registrants on book WIRE-N as PDF."
    )
    page = client.get(reverse("admin:jobs_job_change", args=[job.pk])).content.decode()
    assert f'href="{reverse("referral:book_list", args=[book.pk])}">Back to the report' in page


def test_a_long_list_as_it_stood_is_laid_out_by_a_job_with_its_past_rows(
    client, user_with_role, book, hall, long_reports
):
    _as(client, user_with_role, roles.STAFF)
    url = reverse("referral:book_as_of", args=[book.pk])

    job = job_of(client.post(f"{url}?at=2026-12-07T09:00&format=pdf"))

    text = _pdf_of(client, job)
    assert "As it stood at 2026-12-07 09:00 PST (America/Los_Angeles)." in text
    assert "Di Diaz" in text  # still on the list at 09:00
    assert job.params == {"report": "book_as_of", "pk": book.pk, "at": "2026-12-07T09:00"}


@pytest.mark.parametrize(
    ("report", "query", "shown"),
    [
        ("resign_due", {"days": "40"}, ["Ana Nunez", "Ben Brown", "Cy Cole"]),
        ("dropped", {"start": "2026-12-01", "end": "2026-12-07", "reason": ""}, ["Di Diaz"]),
    ],
)
def test_the_hall_wide_reports_go_through_a_job_when_long(
    client, user_with_role, book, hall, long_reports, monkeypatch, report, query, shown
):
    monkeypatch.setattr(report_files, "PDF_ROWS_IN_REQUEST", len(shown) - 1)
    _as(client, user_with_role, roles.DISPATCHER)
    url = reverse(f"referral:{report}")

    job = job_of(client.post(f"{url}?{urlencode(query | {'format': 'pdf'})}"))

    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.error
    download = client.get(reverse("admin:jobs_job_download", args=[job.pk]))
    text = pdf_text(b"".join(download.streaming_content))
    assert all(name in text for name in shown)


def test_a_short_pdf_still_comes_straight_back(
    client, user_with_role, book, hall, long_reports, monkeypatch
):
    monkeypatch.setattr(report_files, "PDF_ROWS_IN_REQUEST", 3)  # exactly the list's rows
    _as(client, user_with_role, roles.STAFF)

    response = client.get(reverse("referral:book_list", args=[book.pk]), {"format": "pdf"})

    assert response["Content-Type"] == "application/pdf"
    assert "Cy Cole" in pdf_text(response.content)
    assert Job.objects.count() == 0


def test_only_its_starter_and_the_officers_download_a_reports_pdf(
    client, user_with_role, book, hall, long_reports
):
    _as(client, user_with_role, roles.STAFF)
    pdf = reverse("referral:book_list", args=[book.pk]) + "?format=pdf"
    job = job_of(client.post(pdf))
    download = reverse("admin:jobs_job_download", args=[job.pk])
    assert client.get(download).status_code == 200

    # Another who may see the report, but did not ask for this file: not theirs to take.
    _as(client, user_with_role, roles.DISPATCHER)
    assert client.get(download).status_code == 404
    # A role that may not see the hall's reports at all: neither the file nor the report.
    _as(client, user_with_role, roles.ORGANIZER)
    assert client.get(download).status_code == 404
    assert client.post(pdf).status_code == 403
    # An Officer sees every job and its file (jobs.view_all_jobs), and the hall's reports.
    _as(client, user_with_role, roles.OFFICER)
    assert client.get(download).status_code == 200
