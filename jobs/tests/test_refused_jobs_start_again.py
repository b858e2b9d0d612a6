"""A job whose work refused (decided not to write: JobRefused, or a service's ValidationError)
is not offered a Retry, which would only refuse again: its page says "Refused" and leads to
where the work starts afresh (its way back). A job that broke, or failed a check with a
sentence (JobFailed), is retried as before."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts import roles
from jobs.extensions import JobFailed, JobKind, JobObject, JobRefused
from jobs.models import Job, JobStatus
from jobs.services import job_retry, job_retryable, job_start
from jobs.tests.helpers import kinds_added
from members.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PERIOD = JobObject("the period", "admin:dues_duesperiod_change", param="period_id")


def _refuses(job, progress):
    raise JobRefused("The records changed since the list: nothing was written.")


def _says_no(job, progress):
    raise ValidationError("This period is closed: nothing was charged.")


def _check_fails(job, progress):
    raise JobFailed("2 differences, now set right.")


REFUSES = JobKind(name="tests.refuses", label="Refuses", permission="", run=_refuses, back=PERIOD)
SAYS_NO = JobKind(name="tests.says_no", label="Says no", permission="", run=_says_no, back=PERIOD)
CHECK_FAILS = JobKind(
    name="tests.check_fails", label="Checks", permission="", run=_check_fails, back=PERIOD
)


@pytest.fixture
def officer(client, monkeypatch):
    kinds_added(monkeypatch, REFUSES, SAYS_NO, CHECK_FAILS)
    user = UserFactory(username="treasurer", role=roles.OFFICER)
    client.force_login(user)
    return user


def _ran(kind: JobKind) -> Job:
    # Started as the scheduler would: these kinds need no permission of the officer's.
    job = job_start(
        kind=kind, key=kind.name, label=kind.label, actor="tests", params={"period_id": 3}
    )
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    return job


def _retry_form(html: str) -> str:
    return re.search(r'<form [^>]*class="job-retry"[^>]*>', html).group(0)


@pytest.mark.parametrize("kind", [REFUSES, SAYS_NO], ids=["JobRefused", "ValidationError"])
def test_a_refused_job_offers_a_fresh_start_not_a_retry(client, officer, kind):
    job = _ran(kind)
    assert job.refused and not job_retryable(job)
    assert "nothing was" in job.error

    html = client.get(reverse("admin:jobs_job_change", args=[job.pk])).content.decode()
    assert '<strong class="job-status">Refused</strong>' in html
    assert " hidden" in _retry_form(html)
    assert (
        '<a class="button default job-start-again" href="/admin/dues/duesperiod/3/change/">'
        "Start again from the period</a>"
    ) in html
    status = client.get(reverse("admin:jobs_job_status", args=[job.pk])).json()
    assert (status["status"], status["status_label"], status["retryable"]) == (
        "failed",
        "Refused",
        False,
    )
    listed = client.get(reverse("admin:jobs_job_changelist")).content.decode()
    assert '<td class="field-status_shown">Refused</td>' in listed
    read = client.get(reverse("api:job", args=[job.pk])).json()  # an API client is told too
    assert (read["status"], read["refused"]) == ("failed", True)

    # Asked anyway (an old tab, a hand-made request), the retry refuses and queues nothing.
    with pytest.raises(ValidationError, match="refused, not stopped"):
        job_retry(job=job, actor=officer)
    answer = client.post(reverse("admin:jobs_job_retry", args=[job.pk]), follow=True)
    assert "refused, not stopped" in answer.content.decode()
    job.refresh_from_db()
    assert (job.status, job.attempts) == (JobStatus.FAILED, 1)


def test_a_failed_check_is_still_retried(client, officer):
    job = _ran(CHECK_FAILS)
    assert not job.refused and job_retryable(job)
    html = client.get(reverse("admin:jobs_job_change", args=[job.pk])).content.decode()
    assert '<strong class="job-status">Failed</strong>' in html
    assert " hidden" not in _retry_form(html)
    assert "Start again from" not in html
    assert client.get(reverse("admin:jobs_job_status", args=[job.pk])).json()["retryable"]
    assert client.get(reverse("api:job", args=[job.pk])).json()["refused"] is False
