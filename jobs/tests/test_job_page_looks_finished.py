"""A job's page looks finished when the job is, and only then: counts never read "7 of 6",
the bar is full at Done, a red box only for a failed job's error, a dry run's list in a
success's colours, a way back to what the job worked on, and its file under a clean name."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from accounts import roles
from jobs.display import content_disposition, job_counts, job_numbers
from jobs.extensions import JobKind, JobObject
from jobs.files import job_result_csv
from jobs.models import Job, JobStatus
from jobs.services import _kinds, job_start
from jobs.tests.helpers import kinds_added
from members.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer(client):
    user = UserFactory(username="treasurer", role=roles.OFFICER)
    client.force_login(user)
    return user


def _job(officer, **fields: Any) -> Job:
    fields = {"kind": "tests.work", "key": "k", "label": "Work", "started_by": officer} | fields
    return Job.objects.create(**fields)


def _page(client, job: Job) -> str:
    response = client.get(reverse("admin:jobs_job_change", args=[job.pk]))
    assert response.status_code == 200
    return response.content.decode()


def _status(client, job: Job) -> dict:
    return client.get(reverse("admin:jobs_job_status", args=[job.pk])).json()


def _past_its_estimate(job, progress):
    progress.step("Counting", total=6)
    progress.advance(7)
    return {"message": "Counted."}


def _short_of_its_estimate(job, progress):
    progress.step("Counting", total=6)
    progress.advance(4)
    return {"message": "Counted."}


PAST = JobKind(name="tests.past", label="Past", permission="", run=_past_its_estimate)
SHORT = JobKind(name="tests.short", label="Short", permission="", run=_short_of_its_estimate)


# Counts and the bar


def test_a_running_job_past_its_estimate_never_shows_more_done_than_the_total(client, officer):
    job = _job(officer, status=JobStatus.RUNNING, done=7, total=6, started_at=timezone.now())
    assert job_counts(job) == (7, 7)
    assert job_numbers(job) == "7 of 7"
    status = _status(client, job)
    assert status["done"] <= status["total"]
    assert status["numbers"] == "7 of 7"
    assert status["percent"] == 99  # full only at Done
    assert "7 of 7" in _page(client, job)


def test_a_running_job_is_never_a_full_bar(officer):
    assert _job(officer, status=JobStatus.RUNNING, done=6, total=6).percent == 99
    assert _job(officer, key="k2", status=JobStatus.RUNNING, done=3, total=6).percent == 50


@pytest.mark.parametrize("kind, final", [(PAST, 7), (SHORT, 4)])
def test_at_done_the_bar_is_full_and_the_final_count_is_the_total(
    client, officer, monkeypatch, kind, final
):
    kinds_added(monkeypatch, kind)
    job = job_start(kind=kind, key=kind.name, label=kind.label, actor="tests")
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert (job.done, job.total, job.percent) == (final, final, 100)
    status = _status(client, job)
    assert (status["percent"], status["numbers"]) == (100, f"{final} of {final}")
    html = _page(client, job)
    assert re.search(r'<progress class="job-bar" max="100"\s+value="100"', html)
    assert f"{final} of {final}" in html
    assert "Counting" not in html  # the last step's name would read as still working


def test_at_done_the_bar_is_full_whatever_the_stored_counts_say(client, officer):
    job = _job(officer, status=JobStatus.SUCCEEDED, done=5, total=9)
    assert job.percent == 100
    assert job_numbers(job) == "5 of 5"
    assert _job(officer, key="k2", status=JobStatus.SUCCEEDED, done=0, total=None).percent == 100


def test_a_csv_counts_its_rows_not_its_header(officer, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path

    class Counted:
        done = 0

        def advance(self, count: int = 1) -> None:
            self.done += count

    progress = Counted()
    job = _job(officer)
    lines = ["a,b\n"] + [f"{i},x\n" for i in range(6)]
    assert job_result_csv(job, name="rows", lines=lines, progress=progress) == 6
    assert progress.done == 6


# The error box and the outcome's colours


def test_no_error_box_on_a_job_without_an_error(client, officer):
    for status in (JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.SUCCEEDED):
        html = _page(client, _job(officer, key=status, status=status))
        assert "errornote" not in html, status


def test_a_failed_job_shows_its_error_in_red(client, officer):
    html = _page(client, _job(officer, status=JobStatus.FAILED, error="The file has no header."))
    assert re.search(r'class="job-error errornote"[^>]*>The file has no header\.<', html)
    assert 'class="module job job-failed"' in html


def test_a_dry_runs_findings_are_a_success_not_errors(client, officer):
    outcome = {
        "message": "2 changes to make (a dry run: nothing changed).",
        "errors": ["1001 Nunez: to delinquent.", "1002 Brown: to suspended."],
        "applied": 0,
    }
    html = _page(client, _job(officer, status=JobStatus.SUCCEEDED, outcome=outcome))
    assert 'class="module job job-done"' in html
    assert "errorlist" not in html and "errornote" not in html
    assert '<ul class="job-findings"><li>1001 Nunez: to delinquent.</li>' in html


def test_problems_found_in_a_file_are_a_warning_not_a_failure(client, officer):
    outcome = {"message": "Nothing was imported: 1 problem.", "errors": ["Row 2: no name."]}
    html = _page(
        client, _job(officer, status=JobStatus.SUCCEEDED, outcome=outcome | {"error_count": 1})
    )
    assert 'class="module job job-attention"' in html
    assert "errornote" not in html


# The way back


PERIOD = "/admin/dues/duesperiod/3/change/"
JOBS = "/admin/jobs/job/"
BACK: dict[str, list[tuple[dict, dict, str, str]]] = {
    # kind: [(params, outcome, "Back to ...", its address)]
    "audit.verify": [({}, {}, "the jobs", JOBS)],
    "audit.export": [({"actor": ""}, {}, "the audit log", "/admin/audit/auditevent/")],
    "checkoff.remittance_check": [
        (
            {"employer_id": 1},
            {"batch": 5},
            "the remittance",
            "/admin/checkoff/remittancebatch/5/change/",
        ),
        ({"employer_id": 1}, {}, "the upload", "/admin/checkoff/remittancebatch/add/"),
    ],
    "checkoff.import_check": [
        ({"what": "employers"}, {}, "the import", "/admin/checkoff/employer/import/"),
        (
            {"what": "authorizations"},
            {},
            "the import",
            "/admin/checkoff/checkoffauthorization/import/",
        ),
        ({}, {}, "the jobs", JOBS),
    ],
    "checkoff.import": [
        ({"what": "employers"}, {}, "the import", "/admin/checkoff/employer/import/")
    ],
    "checkoff.remittance_post": [
        ({"batch_id": 5}, {}, "the remittance", "/admin/checkoff/remittancebatch/5/change/")
    ],
    "compliance.apply_arrears_policy": [
        (
            {"as_of": "2026-11-30", "dry_run": True},
            {},
            "the arrears policy",
            "/compliance/arrears/?as_of=2026-11-30",
        )
    ],
    "compliance.eligibility_list": [
        (
            {"record_date": "2026-04-01"},
            {"list": 7},
            "the eligibility list",
            "/compliance/eligibility/7/",
        ),
        ({"record_date": "2026-04-01"}, {}, "the eligibility lists", "/compliance/eligibility/"),
    ],
    "dues.generate_charges": [
        ({"period_id": 3}, {}, "the period", PERIOD),
        ({}, {}, "the jobs", JOBS),
    ],
    "dues.arrears_export": [
        (
            {"months": 3, "status": "active"},
            {},
            "the arrears report",
            "/dues/reports/arrears/?months=3&amp;status=active",
        ),
        ({"months": 3, "status": ""}, {}, "the arrears report", "/dues/reports/arrears/?months=3"),
    ],
    "dues.ledger_check": [({}, {}, "the jobs", JOBS)],
    "members.import_check": [({}, {}, "the import", "/admin/members/member/import/")],
    "members.import_write": [
        ({"checked_job": 1}, {}, "the import", "/admin/members/member/import/")
    ],
    "members.export": [({"ids": [1, 2]}, {}, "the members", "/admin/members/member/")],
    "payments.reconcile": [({}, {}, "the jobs", JOBS)],
    "payments.autopay_collect": [({"period_id": 3}, {}, "the period", PERIOD)],
    "payments.autopay_retry": [({}, {}, "the jobs", JOBS)],
    "referral.nightly": [({}, {}, "the jobs", JOBS)],
    "referral.notices_send": [({}, {}, "the jobs", JOBS)],
    "referral.report_pdf": [
        ({"report": "book_list", "pk": 3}, {}, "the report", "/referral/books/3/"),
        (
            {"report": "book_as_of", "pk": 3, "at": "2026-12-07T09:00"},
            {},
            "the report",
            "/referral/books/3/as-of/?at=2026-12-07T09%3A00",
        ),
        ({"report": "member_history", "member_id": 5}, {}, "the report", "/referral/members/5/"),
        (
            {
                "report": "dropped",
                "start": "2026-12-01",
                "end": "2026-12-07",
                "reason": "",
                "book": 3,
            },
            {},
            "the report",
            "/referral/dropped/?start=2026-12-01&amp;end=2026-12-07&amp;book=3",
        ),
        ({"report": "unemployed_counts"}, {}, "the report", "/referral/counts/"),
        (
            {"report": "day_book", "day": "2026-12-08"},
            {},
            "the report",
            "/referral/day-book/?day=2026-12-08",
        ),
    ],
    "referral.run_confirm": [
        ({"run": 4}, {}, "the run", "/admin/referral/referralrun/4/change/"),
    ],
    "referral.registration_import_check": [
        ({}, {}, "the import", "/admin/referral/registration/import/")
    ],
    "referral.registration_import": [
        ({}, {}, "the import", "/admin/referral/registration/import/")
    ],
    "referral.employercontract_import_check": [
        ({}, {}, "the import", "/admin/referral/employercontract/import/")
    ],
    "referral.employercontract_import": [
        ({}, {}, "the import", "/admin/referral/employercontract/import/")
    ],
}


def test_every_kind_says_where_its_page_leads_back_to():
    """A new kind is added here too: the way back from its page is decided, not forgotten."""
    assert set(BACK) == set(_kinds())


@pytest.mark.parametrize(
    "kind, params, outcome, label, url",
    [(kind, *case) for kind, cases in BACK.items() for case in cases],
)
def test_a_jobs_page_leads_back_to_what_it_worked_on(
    client, officer, kind, params, outcome, label, url
):
    job = _job(officer, kind=kind, status=JobStatus.SUCCEEDED, params=params, outcome=outcome)
    assert f'<a href="{url}">Back to {label}</a>' in _page(client, job)


def test_a_way_back_the_job_cannot_give_leaves_the_jobs(client, officer, monkeypatch):
    """A kind whose app is gone, or whose link its job cannot fill, still shows its page."""
    odd = JobKind(
        name="tests.odd",
        label="Odd",
        permission="",
        run=_past_its_estimate,
        back=(
            JobObject("the nowhere", "admin:no_such_page"),
            JobObject("the broken", lambda job: job.params["missing"]),
            JobObject("the period", "admin:dues_duesperiod_change", param="period_id"),
        ),
    )
    kinds_added(monkeypatch, odd)
    for kind in ("tests.odd", "tests.gone"):
        job = _job(officer, kind=kind, key=kind, params=["not", "a", "dict"])
        assert f'<a href="{JOBS}">Back to the jobs</a>' in _page(client, job)


# The file's name


def _with_result(officer, settings, tmp_path, name: str = "members") -> Job:
    settings.MEDIA_ROOT = tmp_path
    job = _job(officer, key=f"k-{Job.objects.count()}")
    job_result_csv(job, name=name, lines=["a\n", "1\n"], progress=_NoProgress())
    Job.objects.filter(pk=job.pk).update(status=JobStatus.SUCCEEDED)
    job.refresh_from_db()
    return job


class _NoProgress:
    def advance(self, count: int = 1) -> None:
        pass


def test_a_jobs_file_downloads_under_a_clean_name(client, officer, settings, tmp_path):
    first = _with_result(officer, settings, tmp_path)
    second = _with_result(officer, settings, tmp_path)  # the same name: storage adds a suffix
    assert first.result.name != second.result.name
    expected = f"members-{timezone.localdate():%Y-%m-%d}.csv"
    for job in (first, second):
        response = client.get(reverse("admin:jobs_job_download", args=[job.pk]))
        assert response.status_code == 200
        assert response["Content-Disposition"] == f'attachment; filename="{expected}"'
        assert response["Content-Type"].startswith("text/csv")
        assert f"Download {expected}</a>" in _page(client, job)


def test_a_name_beyond_ascii_is_encoded_with_a_plain_fallback():
    assert content_disposition("Mitglieder-Müller.csv") == (
        'attachment; filename="Mitglieder-Muller.csv"; '
        "filename*=UTF-8''Mitglieder-M%C3%BCller.csv"
    )
    assert content_disposition('say "hi".csv') == (
        "attachment; filename=\"say 'hi'.csv\"; filename*=UTF-8''say%20%22hi%22.csv"
    )
    assert content_disposition("会員.csv").startswith('attachment; filename="download.csv"; ')


def test_an_older_jobs_file_keeps_only_its_own_name(client, officer, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    job = _job(officer, status=JobStatus.SUCCEEDED)
    stored = default_storage.save("jobs/results/2026/12/arrears-2026-12-07.csv", ContentFile(b"a"))
    Job.objects.filter(pk=job.pk).update(result=stored)
    response = client.get(reverse("admin:jobs_job_download", args=[job.pk]))
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="arrears-2026-12-07')
    assert "/" not in disposition


def test_a_file_gone_from_storage_is_a_404_not_a_500(client, officer, settings, tmp_path):
    job = _with_result(officer, settings, tmp_path)
    job.result.storage.delete(job.result.name)
    response = client.get(reverse("admin:jobs_job_download", args=[job.pk]))
    assert response.status_code == 404
