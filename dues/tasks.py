"""Mail that dues sends, by a worker: a mail server that is slow or down delays the mail,
never the payment (the task is queued in the payment's own transaction, and retried from
the jobs' page when it fails)."""

from __future__ import annotations

try:  # Django 6 has the task API itself (DEP 14); 5.2 has its backport
    from django.tasks import task
except ImportError:
    from django_tasks import task

from .receipts import receipt_send


@task()
def receipt_email(payment_id: int) -> None:
    receipt_send(payment_id)
