from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandParser

from jobs.scheduling import schedule_due_jobs


class Command(BaseCommand):
    help = (
        "Start the jobs that are due on the schedule (nightly checks, hourly Stripe "
        "reconciliation), and keep doing so. Several may run, on several machines: each "
        "job starts once per period."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="start what is due, then stop")
        parser.add_argument("--interval", type=float, default=30.0, help="seconds between looks")

    def handle(self, *args, once: bool, interval: float, **options) -> None:
        while True:
            for job in schedule_due_jobs():
                self.stdout.write(f"Started: {job.label} (job {job.pk})")
            if once:
                return
            time.sleep(interval)
