"""Mail that members sends, by a worker (queued in the change's own transaction)."""

from __future__ import annotations

try:  # Django 6 has the task API itself (DEP 14); 5.2 has its backport
    from django.tasks import task
except ImportError:
    from django_tasks import task

from .notifications import contact_change_send


@task()
def contact_change_email(member_id: int, fields: list[str]) -> None:
    contact_change_send(member_id, fields)
