"""What check-off adds to the office's header (`appkit.office_links`) and its work list
(`appkit.work_items`), declared in CheckoffConfig: the employers' reconciliation page, the
suspense lines to resolve and the employers whose remittance is late."""

from __future__ import annotations

import datetime

from django.urls import reverse
from django.utils import timezone

from appkit.extensions import OfficeLink, WorkItem

from .models import RemittanceLine, SuspenseStatus
from .selectors import employers_late

EMPLOYERS_LINK = OfficeLink("Employers", "checkoff:employers", "checkoff.view_remittancebatch")


def _open_suspense() -> int:
    return RemittanceLine.objects.filter(suspense=SuspenseStatus.OPEN).count()


def _last_work_month() -> tuple[int, int]:
    first = timezone.localdate().replace(day=1)
    last = first - datetime.timedelta(days=1)
    return last.year, last.month


def _late_employers() -> int:
    return len(employers_late(*_last_work_month()))


def _employers_url() -> str:
    year, month = _last_work_month()
    return reverse("checkoff:employers") + f"?month={year}-{month:02d}"


SUSPENSE_WORK = WorkItem(
    label="remittance lines in suspense, to apply or return",
    permission="checkoff.view_remittanceline",
    count=_open_suspense,
    url=lambda: reverse("admin:checkoff_remittanceline_changelist") + "?suspense=open",
)
LATE_EMPLOYERS_WORK = WorkItem(
    label="employers late with last month's remittance",
    permission="checkoff.view_remittancebatch",
    count=_late_employers,
    url=_employers_url,
)
