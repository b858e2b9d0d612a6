"""For tests of work that runs as a job (the tests run tasks immediately, in the request)."""

from __future__ import annotations

from django.urls import resolve

from jobs.models import Job


def job_of(response) -> Job:
    """The job a view started: it answers with a redirect to the job's page."""
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
