from __future__ import annotations

import logging
import time

from django.core.management.base import BaseCommand, CommandParser

from jobs.scheduling import schedule_due_jobs
from jobs.services import jobs_lost_fail
from jobs.worker import connections_closed

log = logging.getLogger(__name__)

LONGEST_WAIT_SECONDS = 60.0


class Command(BaseCommand):
    help = (
        "Start the jobs that are due on the schedule (nightly checks, hourly Stripe "
        "reconciliation), fail the jobs whose worker died, and keep doing so; a lost "
        "database is waited out. Several may run, on several machines: each job starts "
        "once per period."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="start what is due, then stop")
        parser.add_argument("--interval", type=float, default=30.0, help="seconds between looks")

    def handle(self, *args, once: bool, interval: float, **options) -> None:
        wait = interval
        while True:
            try:
                self._look()
                wait = interval
            except Exception:
                if once:
                    raise
                log.exception("The scheduler met an error; it looks again in %.0f s", wait)
                connections_closed()
                time.sleep(wait)
                wait = min(wait * 2, max(interval, LONGEST_WAIT_SECONDS))
                continue
            if once:
                return
            time.sleep(interval)

    def _look(self) -> None:
        for job_id in jobs_lost_fail():
            self.stdout.write(f"Failed: job {job_id}, whose worker stopped")
        for job in schedule_due_jobs():
            self.stdout.write(f"Started: {job.label} (job {job.pk})")
