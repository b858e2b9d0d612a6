"""A job's result file: written as the work goes, never held in memory."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable

from django.core.files import File
from django.utils import timezone

from .models import Job
from .progress import Progress


def job_result_csv(job: Job, *, name: str, lines: Iterable[str], progress: Progress) -> int:
    """Write CSV lines (a header first) to the job's download; returns the rows written."""
    rows = -1  # the header
    with tempfile.TemporaryFile() as out:
        for line in lines:
            out.write(line.encode("utf-8"))
            rows += 1
            progress.advance()
        out.seek(0)
        job.result.save(f"{name}-{timezone.localdate():%Y-%m-%d}.csv", File(out), save=False)
    Job.objects.filter(pk=job.pk).update(result=job.result.name)
    return max(rows, 0)
