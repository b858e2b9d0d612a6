"""The worker (`manage.py jobs_worker`): django-tasks-db's, made to outlive its database.

Its own loop ends at the first database error it meets outside a task ("connection
refused" while PostgreSQL restarts), and queued work then waits for ever. This one closes
the connection, waits (longer each time, up to a minute) and goes on; the task it was
running when the database went, which it could not record, is failed with its job once
the database is back. Each start (and restart) also fails the jobs whose worker died."""

from __future__ import annotations

import logging
import time

from django.db import connections
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from .services import job_task_abandoned, jobs_lost_fail

log = logging.getLogger(__name__)

FIRST_WAIT_SECONDS = 1.0
LONGEST_WAIT_SECONDS = 60.0


class JobsWorker(Worker):
    task_running: str | None = None

    def run(self) -> None:
        wait = FIRST_WAIT_SECONDS
        while True:
            try:
                self._catch_up()
                wait = FIRST_WAIT_SECONDS  # the database answers again
                super().run()
                return
            except Exception:
                log.exception("The worker met an error; it goes on in %.0f s", wait)
                connections_closed()
                if not self.running:  # asked to stop while a task ran: stop
                    return
                time.sleep(wait)
                wait = min(wait * 2, LONGEST_WAIT_SECONDS)

    def run_task(self, db_task_result: DBTaskResult) -> None:
        # Noted until the task's end is recorded: if the database goes meanwhile, the
        # error leaves the loop with the task still "running" in the queue and its job.
        self.task_running = str(db_task_result.id)
        super().run_task(db_task_result)
        self.task_running = None

    def _catch_up(self) -> None:
        if self.task_running is not None:
            job_task_abandoned(task_id=self.task_running)
            self.task_running = None
        jobs_lost_fail()


def connections_closed() -> None:
    """Every connection of this thread closed, even a broken one: the next query opens one."""
    for connection in connections.all(initialized_only=True):
        try:
            connection.close()
        except Exception:
            log.debug("Closing a broken connection failed", exc_info=True)
