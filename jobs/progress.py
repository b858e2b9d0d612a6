"""How long work says how far it got: the same work reports to a job's page (a worker) or
to a progress bar on a terminal (a command)."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from django.utils import timezone
from tqdm import tqdm

from .models import Job, JobStatus

# A job's row is written at most this often: progress costs the work almost nothing.
WRITE_EVERY_SECONDS = 0.5


class Progress:
    """Steps of work, each with how much of it is done (and of how much, when known)."""

    def step(self, name: str, total: int | None = None) -> None:
        pass

    def advance(self, count: int = 1) -> None:
        pass


class JobProgress(Progress):
    """Progress written to the job's row, for its page to show (done/total, rate, time left)."""

    def __init__(self, job: Job):
        # This run's job only: a run given up for lost, and retried, leaves the next alone.
        self.job = Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING, attempts=job.attempts)
        self.name, self.done, self.total = "", 0, None
        self.written_at = 0.0

    def step(self, name: str, total: int | None = None) -> None:
        self.name, self.done, self.total = name, 0, total
        self._write(force=True)

    def advance(self, count: int = 1) -> None:
        self.done += count
        self._write()

    def _write(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.written_at < WRITE_EVERY_SECONDS:
            return
        self.written_at = now
        self.job.update(step=self.name, done=self.done, total=self.total, updated_at=timezone.now())


class TerminalProgress(Progress):
    """A progress bar on the terminal a command runs in (tqdm); nothing when not a terminal."""

    def __init__(self, stream: TextIO | None = None):
        self.stream = stream or sys.stderr
        self.bar: tqdm | None = None

    def step(self, name: str, total: int | None = None) -> None:
        self.close()
        self.bar = tqdm(
            total=total,
            desc=name,
            unit=" rows",
            file=self.stream,
            disable=not getattr(self.stream, "isatty", lambda: False)(),
            dynamic_ncols=True,
        )

    def advance(self, count: int = 1) -> None:
        if self.bar is not None:
            self.bar.update(count)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
