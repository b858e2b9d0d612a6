"""The one task every job runs through (django-tasks): a worker (`manage.py jobs_worker`,
django-tasks-db's `db_worker` made to outlive its database) picks it up from the database
queue."""

from __future__ import annotations

try:  # Django 6 has the task API itself (DEP 14); 5.2 has its backport
    from django.tasks import TaskContext, task
except ImportError:
    from django_tasks import TaskContext, task

from .services import job_run


@task(takes_context=True)
def job_run_task(context: TaskContext, job_id: int) -> None:
    job_run(job_id, task_id=str(context.task_result.id))
