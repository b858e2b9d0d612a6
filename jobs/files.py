"""A job's result file: a CSV written as the work goes, never held in memory; a file that
is made whole before it is written (a PDF) kept as it is."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable

from django.core.files import File
from django.core.files.base import ContentFile
from django.utils import timezone

from .models import Job
from .progress import Progress


def job_result_csv(job: Job, *, name: str, lines: Iterable[str], progress: Progress) -> int:
    """Write CSV lines (a header first) to the job's download; returns the rows written.
    Progress counts the rows, not the header: a step's total is its rows, and a count one
    past it would read "7 of 6"."""
    rows = -1  # the header
    with tempfile.TemporaryFile() as out:
        for line in lines:
            out.write(line.encode("utf-8"))
            rows += 1
            if rows:
                progress.advance()
        out.seek(0)
        download = f"{name}-{timezone.localdate():%Y-%m-%d}.csv"
        job.result.save(download, File(out), save=False)
    job.result_name = download
    Job.objects.filter(pk=job.pk).update(result=job.result.name, result_name=download)
    return max(rows, 0)


def job_result_bytes(job: Job, *, name: str, content: bytes) -> None:
    """Keep a file made whole before it is written (a PDF: its pages are numbered and its
    fonts embedded at the end) as the job's download, named `name`."""
    job.result.save(name, ContentFile(content), save=False)
    job.result_name = name
    Job.objects.filter(pk=job.pk).update(result=job.result.name, result_name=name)
