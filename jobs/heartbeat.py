"""A running job's heartbeat: the worker writes it while the work runs, from a thread of its
own, so that long work reporting no progress for minutes is still seen alive, and a worker
that died (killed, out of memory, its machine gone) stops writing it. A job whose heartbeat
is older than LOST_AFTER is given up for lost (services.jobs_lost_fail)."""

from __future__ import annotations

import datetime
import logging
import threading
from types import TracebackType

from django.db import connection
from django.utils import timezone

from .models import JobHeartbeat

log = logging.getLogger(__name__)

BEAT_EVERY = datetime.timedelta(seconds=20)
# Several beats missed: a database that stalls for a minute does not fail the job.
LOST_AFTER = datetime.timedelta(minutes=3)


class Heartbeat:
    """`with Heartbeat(job_id, attempt):` around the work."""

    def __init__(self, job_id: int, attempt: int):
        self.job_id, self.attempt = job_id, attempt
        self.stopped = threading.Event()
        self.thread = threading.Thread(
            target=self._beat, name=f"job-{job_id}-heartbeat", daemon=True
        )

    def __enter__(self) -> Heartbeat:
        self.thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stopped.set()
        self.thread.join()

    def _beat(self) -> None:
        try:
            while not self.stopped.wait(BEAT_EVERY.total_seconds()):
                try:
                    # Only this attempt's row: a worker given up for lost that wakes up
                    # again does not make a later attempt look alive.
                    JobHeartbeat.objects.filter(job_id=self.job_id, attempt=self.attempt).update(
                        beat_at=timezone.now()
                    )
                except Exception:
                    # The database is away (restarting): beat again when it is back.
                    log.warning("Job %s: heartbeat not written", self.job_id, exc_info=True)
                    _closed()
        finally:
            _closed()  # this thread's own connection


def _closed() -> None:
    try:
        connection.close()
    except Exception:
        log.debug("Closing a broken connection failed", exc_info=True)
