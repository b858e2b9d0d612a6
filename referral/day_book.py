"""The day book: the dispatches made on one of the local's days (its midnight to the next,
on settings.TIME_ZONE's clock, so a dispatch at 23:30 is that day's, whatever day it is in
UTC), in the order they were made. The page (/referral/day-book/) and its CSV and PDF
(report_files.py) build their lines here, read in one query whatever their number. Reads
only."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

from .models import Dispatch

DAY_BOOK_HEADER = (
    "time",
    "member_number",
    "name",
    "book",
    "employer",
    "request",
    "method",
    "status",
)


def local_day_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """The instants the local's day starts and the next one starts (23 or 25 hours apart
    on the days the clocks change)."""
    zone = timezone.get_default_timezone()  # the local's (settings.TIME_ZONE), whoever asks
    next_day = day + datetime.timedelta(days=1)
    return (
        datetime.datetime.combine(day, datetime.time.min, tzinfo=zone),
        datetime.datetime.combine(next_day, datetime.time.min, tzinfo=zone),
    )


def dispatches_on(day: datetime.date) -> QuerySet[Dispatch]:
    """The dispatches made on the local's `day`, first made first (the day book's index)."""
    start, end = local_day_bounds(day)
    return (
        Dispatch.objects.filter(dispatched_at__gte=start, dispatched_at__lt=end)
        .select_related("member", "employer", "registration__book")
        .order_by("dispatched_at", "id")
    )


@dataclass(frozen=True)
class DayBookLine:
    dispatch_id: int
    time: str
    member_number: str
    name: str
    book: str
    employer: str
    request_id: int
    method: str
    status: str

    def cells(self) -> list[object]:
        return [
            self.time,
            self.member_number,
            self.name,
            self.book,
            self.employer,
            self.request_id,
            self.method,
            self.status,
        ]


def line(dispatch: Dispatch) -> DayBookLine:
    return DayBookLine(
        dispatch_id=dispatch.pk,
        time=f"{timezone.localtime(dispatch.dispatched_at):%H:%M}",
        member_number=dispatch.member.member_number,
        name=dispatch.member.full_name,
        book=dispatch.registration.book.code,
        employer=str(dispatch.employer),
        request_id=dispatch.labor_request_id,
        method=dispatch.get_method_display(),
        status=dispatch.get_status_display(),
    )


def lines_of(day: datetime.date) -> list[DayBookLine]:
    return [line(d) for d in dispatches_on(day)]
