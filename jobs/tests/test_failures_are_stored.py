"""Whatever its work hands it, a job ends Done or Failed, with a sentence a person reads:
text PostgreSQL refuses (NUL, a lone surrogate) is stored with a replacement character, and
an error nobody expected is logged with its trace while the page says so in words."""

from __future__ import annotations

import decimal
import logging

import pytest
from django.core.files.base import ContentFile
from django_tasks_db.models import DBTaskResult

from accounts import roles
from appkit.text import REPLACEMENT
from jobs.extensions import JobFailed, JobKind
from jobs.models import Job, JobStatus
from jobs.services import job_kind, job_start
from jobs.tests.helpers import database_queue, kinds_added, worker_batch
from members.tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

NUL = "\x00"


def _parser_breaks(job, progress):
    progress.step(f"Reading row 3{NUL}")
    raise ValueError(f"invalid start byte {NUL} in position 12")


def _refuses_the_file(job, progress):
    raise JobFailed(f"Row 3 holds a stray byte ({NUL}) where a name should be.")


def _ends_with_odd_text(job, progress):
    progress.step(f"Counting {NUL}rows")
    progress.advance(2)
    return {
        "message": f"2 rows{NUL} read from bad\udcff.csv",
        "errors": [f"row{NUL}1"],
        f"key{NUL}": float("nan"),
        "amount": decimal.Decimal("12.50"),
    }


KINDS = [
    JobKind(name="tests.parser_breaks", label="Read", permission="", run=_parser_breaks),
    JobKind(name="tests.refuses_the_file", label="Read", permission="", run=_refuses_the_file),
    JobKind(name="tests.odd_text", label="Read", permission="", run=_ends_with_odd_text),
]


def _started(kind: str, **extra) -> Job:
    return job_start(
        kind=job_kind(kind), key=f"{kind}{NUL}", label=f"Read {NUL}", actor="tests", **extra
    )


def test_an_error_with_a_nul_in_its_message_fails_the_job_with_a_sentence(
    settings, monkeypatch, caplog
):
    database_queue(settings)
    kinds_added(monkeypatch, *KINDS)
    job = _started("tests.parser_breaks", params={"file": f"a{NUL}.csv"})
    with caplog.at_level(logging.ERROR, logger="jobs.services"):
        worker_batch()

    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.error.startswith("The work stopped on an error it did not expect")
    assert f"(job {job.pk})" in job.error
    assert "ValueError" not in job.error and "Traceback" not in job.error
    assert NUL not in job.error + job.step + job.label + job.key + str(job.params)
    assert job.params == {"file": f"a{REPLACEMENT}.csv"}
    # The trace is in the worker's log, for whoever looks after the site.
    assert "invalid start byte" in caplog.text and "Traceback" in caplog.text
    # The queue's row agrees, and says it in the same words.
    task = DBTaskResult.objects.get(pk=job.task_id)
    assert task.status == "FAILED"
    assert NUL not in task.traceback and job.error in task.traceback


def test_a_sentence_the_work_fails_with_is_shown_as_it_said_it(settings, monkeypatch):
    database_queue(settings)
    kinds_added(monkeypatch, *KINDS)
    job = _started("tests.refuses_the_file")
    worker_batch()

    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.error == f"Row 3 holds a stray byte ({REPLACEMENT}) where a name should be."


def test_an_outcome_progress_and_file_name_with_refused_text_are_stored(
    settings, monkeypatch, tmp_path
):
    database_queue(settings)
    settings.MEDIA_ROOT = tmp_path
    kinds_added(monkeypatch, *KINDS)
    upload = ContentFile(b"member_number\n1\n", name=f"bad{NUL}name\udcff.csv")
    job = _started("tests.odd_text", upload=upload)
    worker_batch()

    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.outcome == {
        "message": f"2 rows{REPLACEMENT} read from bad{REPLACEMENT}.csv",
        "errors": [f"row{REPLACEMENT}1"],
        f"key{REPLACEMENT}": None,
        "amount": "12.50",
    }
    assert job.step == f"Counting {REPLACEMENT}rows"
    assert NUL not in job.upload.name and "\udcff" not in job.upload.name


def test_a_job_started_by_an_officer_says_why_it_failed_on_its_page(settings, monkeypatch, client):
    database_queue(settings)
    kinds_added(monkeypatch, *KINDS)
    officer = UserFactory(role=roles.OFFICER)
    job = job_start(kind=job_kind("tests.parser_breaks"), key="k", label="Read", actor="tests")
    Job.objects.filter(pk=job.pk).update(started_by=officer)
    worker_batch()

    client.force_login(officer)
    status = client.get(f"/admin/jobs/job/{job.pk}/status/").json()
    assert status["status"] == "failed" and status["retryable"]
    assert status["error"].startswith("The work stopped on an error it did not expect")
