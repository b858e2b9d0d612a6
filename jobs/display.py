"""What a job's page shows, worked out once for the page, its refreshes (JSON), the list of
jobs and the download: counts that never read "7 of 6", the way back to what the job worked
on (for a refused job, the way to start it again), whether its outcome is good news, a
warning or a failure, and its file's name."""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote, urlencode

from django.urls import NoReverseMatch, reverse

from .extensions import JobObject
from .models import Job, JobStatus
from .services import job_kind

log = logging.getLogger(__name__)


def job_counts(job: Job) -> tuple[int, int | None]:
    """Done, and of how many, as shown. A total is often an estimate (rows counted before the
    work, a chain's length): a job past it shows its count as the total, never more done than
    there is; at Done the final count is the total."""
    done = max(job.done, 0)
    if job.status == JobStatus.SUCCEEDED:
        return done, done or None
    if job.total is None:
        return done, None
    return done, max(job.total, done)


def job_numbers(job: Job) -> str:
    done, total = job_counts(job)
    if total:
        return f"{done:,} of {total:,}"
    return f"{done:,} done" if done else ""


@dataclass(frozen=True)
class BackLink:
    label: str
    url: str


def job_status_label(job: Job) -> str:
    """The job's status in words: a failed job that refused (its work decided not to write)
    says so, since a retry, the answer to a failure, would only refuse again."""
    return "Refused" if job.status == JobStatus.FAILED and job.refused else job.get_status_display()


def job_back(job: Job) -> BackLink:
    """Where the job's page leads back to: what its kind says it worked on (the period, the
    remittance...), or, where the kind names nothing or the job lacks what the link needs,
    the jobs."""
    try:
        back = job_kind(job.kind).back
    except ValueError:  # a kind whose app is gone: its jobs still show
        back = ()
    for obj in back if isinstance(back, tuple) else (back,):
        url = _object_url(job, obj)
        if url:
            return BackLink(obj.label, url)
    return BackLink("the jobs", reverse("admin:jobs_job_changelist"))


def _object_url(job: Job, obj: JobObject) -> str | None:
    params = job.params if isinstance(job.params, dict) else {}
    outcome = job.outcome if isinstance(job.outcome, dict) else {}
    args: list[Any] = []
    if obj.param or obj.outcome:
        value = params.get(obj.param) if obj.param else outcome.get(obj.outcome)
        if value is None or value == "":
            return None
        args = [value]
    try:
        name = obj.url_name(job) if callable(obj.url_name) else obj.url_name
        url = reverse(name, args=args)
    except (LookupError, TypeError, ValueError, NoReverseMatch):
        # A link is no reason to fail the page: it is left out, and the cause logged.
        log.warning("Job %s (%s): no link back to %s", job.pk, job.kind, obj.label)
        return None
    query = {key: params[key] for key in obj.query if params.get(key) not in (None, "")}
    return f"{url}?{urlencode(query)}" if query else url


def job_tone(job: Job) -> str:
    """How the page colours the job: red ("failed") for a failed job only; amber
    ("attention") for work done that found problems in what it was given (a file's rows);
    green ("done") for the rest, a dry run's list of what it would change included; none
    ("") while unfinished."""
    if job.status == JobStatus.FAILED:
        return "failed"
    if job.status != JobStatus.SUCCEEDED:
        return ""
    outcome = job.outcome if isinstance(job.outcome, dict) else {}
    return "attention" if _positive(outcome.get("error_count")) else "done"


def _positive(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0


def job_findings(job: Job) -> list[str]:
    """The outcome's list (a file's problems, or what a dry run would change), as text."""
    outcome = job.outcome if isinstance(job.outcome, dict) else {}
    items = outcome.get("errors")
    if not isinstance(items, list):
        return []
    return [str(item) for item in items]


_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\]+")


def job_download_name(job: Job) -> str:
    """The name a job's file downloads as: the one its work gave it, never the storage's
    path or the suffix storage adds to keep files apart; a name without a safe character
    left becomes `job-<id>` with the file's extension."""
    stored = PurePosixPath(job.result.name or "").name
    name = unicodedata.normalize("NFC", job.result_name or stored)
    name = _UNSAFE.sub("-", name).strip(" .-")
    if not name:
        suffix = PurePosixPath(stored).suffix
        name = f"job-{job.pk}{suffix}"
    return name


def content_disposition(name: str) -> str:
    """An attachment's header (RFC 6266): a quoted ASCII name every browser reads, and the
    name itself, UTF-8 encoded, for those that read `filename*` (all current ones)."""
    ascii_name = (
        unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().replace('"', "'")
    )
    ascii_name = ascii_name.replace("\\", "-").strip()
    if not ascii_name or ascii_name.startswith("."):  # nothing but the extension survived
        ascii_name = f"download{ascii_name}"
    header = f'attachment; filename="{ascii_name}"'
    if ascii_name != name:
        header += f"; filename*=UTF-8''{quote(name, safe='')}"
    return header
