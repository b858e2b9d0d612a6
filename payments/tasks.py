"""Mail the payments app sends, by a worker (receipts are the dues app's: dues/tasks.py):
a mail server that is slow or down delays the mail, never the payment (the task is queued
in the payment's own transaction, and retried from the jobs' page when it fails)."""

from __future__ import annotations

try:  # Django 6 has the task API itself (DEP 14); 5.2 has its backport
    from django.tasks import task
except ImportError:
    from django_tasks import task

from .notifications import dispute_alert_send


@task()
def dispute_alert_email(payment_id: int, reason: str) -> None:
    dispute_alert_send(payment_id, reason)
