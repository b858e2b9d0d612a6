"""The job's page in Chromium: an officer uploads members, sees the check wait for a worker,
and the page follows the job by itself to its outcome, without a reload by hand."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from accounts import roles
from jobs.models import Job
from members.tests.factories import PASSWORD, ClassificationFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CSV = "member_number,first_name,last_name,classification,join_date\n" + "".join(
    f"{7000 + i},Ada{i},Lovelace,JW,2020-01-01\n" for i in range(120)
)


def test_the_job_page_follows_the_check_of_an_upload_to_its_outcome(
    live_server, page, settings, tmp_path
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.MEDIA_ROOT = tmp_path
    ClassificationFactory(code="JW", name="Journeyman Wireman")
    UserFactory(username="officer1", role=roles.OFFICER)
    upload = tmp_path / "members.csv"
    upload.write_text(CSV)

    page.goto(f"{live_server.url}/admin/members/member/import/")
    page.fill("#id_username", "officer1")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.set_input_files("#id_file", str(upload))
    page.click("input[value='Check and preview']")

    expect(page).to_have_url(re.compile(r"/admin/jobs/job/\d+/change/"))
    expect(page.locator(".job-status")).to_have_text("Waiting for a worker")
    job = Job.objects.get()
    assert job.started_by.username == "officer1"

    _worker_runs_while_the_page_polls()

    # No reload by hand: the page asks how the job goes, and shows its outcome.
    # (A poll that finds the database busy is asked again a little later.)
    expect(page.locator(".job-outcome")).to_contain_text(
        "120 members are ready to import", timeout=15_000
    )
    expect(page.get_by_role("link", name="Preview and confirm")).to_be_visible()
    page.get_by_role("link", name="Preview and confirm").click()
    expect(page.locator("h2").first).to_contain_text("120 members ready to import")


def _worker_runs_while_the_page_polls() -> None:
    """A worker takes the queued jobs while the page polls (on the tests' SQLite file the
    worker and a poll take turns, as on `make run`'s)."""
    call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0", verbosity=0)
