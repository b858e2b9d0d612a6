"""For tests of work that runs as a job (the tests run tasks immediately, in the request)."""

from __future__ import annotations

from django.urls import resolve

from jobs.models import Job

START_PAGE = "admin/jobs/job/start.html"


def job_of(response) -> Job:
    """The job a view started: it answers with a redirect to the job's page. A GET that
    answered with the page asking to start it (jobs/views.py) has its button pressed, as
    its user would (the test client's own response knows the client)."""
    if response.status_code == 200 and START_PAGE in [t.name for t in response.templates]:
        response = response.client.post(response.wsgi_request.get_full_path())
    assert response.status_code == 302, response
    match = resolve(response["Location"])
    assert match.url_name == "jobs_job_change", response["Location"]
    return Job.objects.get(pk=match.kwargs["object_id"])


def job_download(client, response) -> str:
    """The text of the file the job made, downloaded as its starter would."""
    job = job_of(response)
    assert job.status == "succeeded", (job.status, job.error)
    download = client.get(f"/admin/jobs/job/{job.pk}/download/")
    assert download.status_code == 200
    return b"".join(download.streaming_content).decode()


def kinds_added(monkeypatch, *kinds) -> None:
    """Kinds of work only a test knows, beside the ones the apps declare."""
    from jobs import services

    declared = services._kinds()
    monkeypatch.setattr(services, "_kinds", lambda: {**declared, **{k.name: k for k in kinds}})


def database_queue(settings) -> None:
    """Jobs queued in the database, for a worker to take (not run inside the request)."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def worker_batch(command: str = "jobs_worker") -> None:
    """One worker, run until the queue is empty (`manage.py jobs_worker --batch`)."""
    from django.core.management import call_command

    call_command(command, "--batch", "--no-startup-delay", "--interval", "0", verbosity=0)
