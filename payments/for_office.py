"""What payments adds to the office's work list (`appkit.work_items`, declared in
PaymentsConfig): autopay collections that did not go through and need a person."""

from __future__ import annotations

import datetime

from django.urls import reverse
from django.utils import timezone

from appkit.extensions import WorkItem

from .models import AutopayCollection, CollectionStatus

GAVE_UP_DAYS = 30


def _collections(status: str) -> str:
    return reverse("admin:payments_autopaycollection_changelist") + f"?status__exact={status}"


def _count(status: str, *, days: int | None = None):
    def count() -> int:
        collections = AutopayCollection.objects.filter(status=status)
        if days is not None:
            since = timezone.now() - datetime.timedelta(days=days)
            collections = collections.filter(updated_at__gte=since)
        return collections.count()

    return count


AUTOPAY_REVIEW_WORK = WorkItem(
    label="autopay collections held for review (Stripe reported another amount or currency)",
    permission="payments.view_autopaycollection",
    count=_count(CollectionStatus.NEEDS_REVIEW),
    url=lambda: _collections(CollectionStatus.NEEDS_REVIEW),
)
AUTOPAY_FAILED_WORK = WorkItem(
    label="autopay collections that failed (a retry is scheduled)",
    permission="payments.view_autopaycollection",
    count=_count(CollectionStatus.FAILED),
    url=lambda: _collections(CollectionStatus.FAILED),
)
AUTOPAY_GAVE_UP_WORK = WorkItem(
    label=f"autopay collections given up after the last retry (last {GAVE_UP_DAYS} days)",
    permission="payments.view_autopaycollection",
    count=_count(CollectionStatus.GAVE_UP, days=GAVE_UP_DAYS),
    url=lambda: _collections(CollectionStatus.GAVE_UP),
)
