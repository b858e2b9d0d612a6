"""Exporting the audit log: a GET shows what will be exported and a button, and starts
nothing (a link followed fifteen times, a reload, a prefetch); the button's POST starts the
export, and the same officer's same export while one is unfinished gives that job."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from accounts import roles
from audit.services import audit_event_record
from jobs.models import Job, JobStatus
from jobs.tests.helpers import database_queue, job_download, job_of

pytestmark = pytest.mark.django_db

EXPORT = reverse("admin:audit_auditevent_export")
FILTERS = {"action__exact": "export", "occurred_from": "2020-01-01"}


def test_getting_the_export_fifteen_times_starts_nothing(client, user_with_role, settings):
    database_queue(settings)
    client.force_login(user_with_role(roles.OFFICER))
    for _ in range(15):
        page = client.get(EXPORT, FILTERS)
        assert page.status_code == 200
    assert Job.objects.count() == 0
    html = page.content.decode()
    assert 'method="post"' in html and "Export these events to CSV" in html
    assert "2020-01-01" in html  # the filters it will apply, named


def test_the_same_officers_same_export_gives_the_unfinished_job(client, user_with_role, settings):
    database_queue(settings)  # queued, not run: still unfinished at the next POST
    officer = user_with_role(roles.OFFICER)
    client.force_login(officer)
    url = f"{EXPORT}?action__exact=export&occurred_from=2020-01-01"
    jobs = {job_of(client.post(url)).pk for _ in range(15)}
    assert len(jobs) == 1 and Job.objects.count() == 1
    job = Job.objects.get()
    assert (job.kind, job.started_by, job.status) == ("audit.export", officer, JobStatus.QUEUED)
    # Other filters are another export; another officer's, their own.
    assert job_of(client.post(f"{EXPORT}?action__exact=create")).pk != job.pk
    client.force_login(user_with_role(roles.OFFICER))
    assert job_of(client.post(url)).pk != job.pk
    assert Job.objects.count() == 3


def test_the_button_exports_the_log_as_filtered(client, user_with_role):
    for i in range(3):
        audit_event_record(action="export", actor_label="tests", detail=f"export {i}")
    audit_event_record(action="create", actor_label="tests", detail="not this one")
    client.force_login(user_with_role(roles.OFFICER))
    page = client.get(EXPORT, {"action__exact": "export"})
    text = job_download(client, client.post(page.wsgi_request.get_full_path()))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {row["action"] for row in rows} == {"export"} and len(rows) == 3


def test_filters_the_log_does_not_declare_start_nothing(client, user_with_role):
    client.force_login(user_with_role(roles.OFFICER))
    assert client.post(f"{EXPORT}?changes__icontains=x").status_code == 400
    assert Job.objects.count() == 0
