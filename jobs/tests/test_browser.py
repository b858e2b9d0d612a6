"""The job's page in Chromium: an officer uploads members, sees the check wait for a worker,
and the page follows the job by itself to its outcome, without a reload by hand; an export
followed to Done ends with a full bar, a way back and its file under a clean name, on a
phone too, with nothing axe finds serious."""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from accounts import roles
from jobs.models import Job
from members.for_jobs import members_export_start
from members.tests.factories import PASSWORD, ClassificationFactory, MemberFactory, UserFactory

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


def test_an_export_followed_to_done_has_a_full_bar_a_way_back_and_a_clean_file_name(
    live_server, page, settings, tmp_path
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.MEDIA_ROOT = tmp_path
    members = MemberFactory.create_batch(40)
    officer = UserFactory(username="officer1", role=roles.OFFICER)
    job = members_export_start(params={"ids": sorted(m.pk for m in members)}, actor=officer)

    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    page.goto(f"{live_server.url}/admin/jobs/job/{job.pk}/change/")
    page.fill("#id_username", "officer1")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    expect(page.locator(".job-status")).to_have_text("Waiting for a worker")
    expect(page.locator(".errornote")).to_have_count(0)

    _worker_runs_while_the_page_polls()

    expect(page.locator(".job-status")).to_have_text("Done", timeout=15_000)
    bar = page.locator(".job-bar")
    expect(bar).to_have_js_property("value", 100)
    expect(bar).to_have_js_property("max", 100)
    # Full across the page, not the browser's default stub of a bar.
    width, room = bar.evaluate(
        "b => [b.getBoundingClientRect().width, b.parentElement.clientWidth]"
    )
    assert width >= room * 0.9, (width, room)
    expect(page.locator(".job-numbers")).to_have_text("40 of 40")
    expect(page.locator(".job-error")).to_have_count(0)
    back = page.get_by_role("link", name="Back to the members")
    expect(back).to_have_attribute("href", "/admin/members/member/")

    name = f"members-{timezone.localdate():%Y-%m-%d}.csv"
    with page.expect_download() as download:
        page.get_by_role("link", name=f"Download {name}").click()
    assert download.value.suggested_filename == name

    sideways = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert sideways <= 0, f"{sideways}px of sideways scroll at 390px"
    results = Axe().run(page)
    serious = [
        v["id"] for v in results.response["violations"] if v["impact"] in ("serious", "critical")
    ]
    assert serious == []

    back.click()
    expect(page).to_have_url(re.compile(r"/admin/members/member/$"))
