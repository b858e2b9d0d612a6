"""Mail the payments app sends, by a worker (receipts are the dues app's: dues/tasks.py):
a mail server that is slow or down delays the mail, never the payment (the task is queued
in the payment's own transaction, and retried from the jobs' page when it fails)."""

from __future__ import annotations

try:  # Django 6 has the task API itself (DEP 14); 5.2 has its backport
    from django.tasks import task
except ImportError:
    from django_tasks import task

from .notifications import autopay_notice_send, dispute_alert_send
from .stripe_client import payment_method_detach


@task()
def dispute_alert_email(payment_id: int, reason: str) -> None:
    dispute_alert_send(payment_id, reason)


@task()
def autopay_notice_email(member_id: int, what: str, collection_id: int | None = None) -> None:
    autopay_notice_send(member_id, what, collection_id)


@task()
def payment_method_detach_later(payment_method_id: str) -> None:
    """Remove a cancelled autopay's card or bank account from Stripe (it is no longer
    used whatever happens: autopay is off in our records first)."""
    payment_method_detach(payment_method_id)
