"""The hall's scheduled work (referral/for_jobs.py): the nightly job starts once a day at
00:15 local time, on the 23- and 25-hour days of the daylight-saving changes too; the
notices' sender every 5 minutes of both; the nightly job drops, ends and reminds as its
kind, and its notices go out (docs/design.md §11)."""

from __future__ import annotations

import datetime
import itertools
import zoneinfo
from types import SimpleNamespace

import pytest

from jobs import scheduling
from jobs.extensions import SCHEDULE
from jobs.models import Job, JobStatus
from jobs.tests.helpers import database_queue
from members.tests.factories import MemberFactory
from referral.for_jobs import NIGHTLY, NIGHTLY_AT_00_15, NOTICES_EVERY_5_MINUTES, NOTICES_SEND
from referral.models import (
    EventKind,
    Exemption,
    ExemptionKind,
    Notice,
    NoticeKind,
    NoticeStatus,
    Registration,
    RegistrationStatus,
)
from referral.services import exemption_start, registration_register

pytestmark = pytest.mark.django_db

LOS_ANGELES = zoneinfo.ZoneInfo("America/Los_Angeles")
UTC = datetime.UTC


def _local(job: Job) -> datetime.datetime:
    return job.scheduled_for.astimezone(LOS_ANGELES)


def _scheduler_looks(
    clock, monkeypatch, entry, start: datetime.datetime, end: datetime.datetime, every: int
) -> None:
    """The scheduler looking every `every` minutes of real time from `start` to `end` (local
    wall-clock times), at this one entry of the schedule (the others' starts cost time)."""
    assert entry in SCHEDULE.declarations()
    monkeypatch.setattr(scheduling, "SCHEDULE", SimpleNamespace(declarations=lambda: [entry]))
    instant = start.replace(tzinfo=LOS_ANGELES).astimezone(UTC)
    while instant < end.replace(tzinfo=LOS_ANGELES).astimezone(UTC):
        clock.now = instant
        scheduling.schedule_due_jobs(now=instant)
        instant += datetime.timedelta(minutes=every)


@pytest.mark.parametrize(
    "change_day",
    [
        datetime.date(2027, 3, 14),  # spring forward: 02:00 PST becomes 03:00 PDT (23 hours)
        datetime.date(2027, 11, 7),  # fall back: 02:00 PDT becomes 01:00 PST (25 hours)
    ],
)
def test_the_nightly_job_starts_once_a_day_at_00_15_across_the_daylight_saving_changes(
    clock, settings, monkeypatch, change_day
):
    database_queue(settings)  # started, not run: only the starts are counted
    days = [change_day + datetime.timedelta(days=n) for n in (-1, 0, 1)]
    midnight = datetime.datetime.combine(days[0], datetime.time(0))
    _scheduler_looks(
        clock, monkeypatch, NIGHTLY_AT_00_15, midnight, midnight + datetime.timedelta(days=3), 5
    )

    nightly = Job.objects.filter(kind=NIGHTLY.name).order_by("scheduled_for")
    assert [_local(job).replace(tzinfo=None) for job in nightly] == [
        datetime.datetime.combine(day, datetime.time(0, 15)) for day in days
    ]
    # Each started when its time came, not before (nor an hour off on the change day).
    assert all(job.created_at == job.scheduled_for for job in nightly)


@pytest.mark.parametrize(
    ("change_day", "real_hours"),
    [
        (datetime.date(2027, 3, 14), 2),  # 00:00 to 03:00 local: 02:00-03:00 never happens
        (datetime.date(2027, 11, 7), 4),  # 00:00 to 03:00 local: 01:00-02:00 happens twice
    ],
)
def test_the_sender_starts_every_5_minutes_through_the_daylight_saving_changes(
    clock, settings, monkeypatch, change_day, real_hours
):
    """The hour repeated when clocks fall back has its own starts: the sender does not
    pause for an hour (jobs/scheduling.py)."""
    database_queue(settings)
    midnight = datetime.datetime.combine(change_day, datetime.time(0))
    _scheduler_looks(
        clock,
        monkeypatch,
        NOTICES_EVERY_5_MINUTES,
        midnight,
        midnight + datetime.timedelta(hours=3),
        5,
    )

    sender = Job.objects.filter(kind=NOTICES_SEND.name)
    assert sender.count() == real_hours * 12
    starts = sorted(sender.values_list("scheduled_for", flat=True))
    assert {b - a for a, b in itertools.pairwise(starts)} == {datetime.timedelta(minutes=5)}


def test_the_nightly_job_drops_ends_and_reminds_as_its_kind_and_the_notices_go_out(
    book, clock, mailoutbox
):
    clock.set(2027, 2, 10, 9, 0)
    late, soon, exempt = (
        registration_register(
            member=MemberFactory(email=f"m{i}@example.org"), book=book, actor="tests"
        )
        for i in range(3)
    )
    Registration.objects.filter(pk=late.pk).update(resign_due=datetime.date(2027, 3, 14))
    Registration.objects.filter(pk=soon.pk).update(resign_due=datetime.date(2027, 3, 22))
    exemption_start(
        registration=exempt,
        kind=ExemptionKind.JURY_DUTY,
        starts_on=datetime.date(2027, 2, 10),
        ends_on=datetime.date(2027, 3, 14),
        actor="tests",
    )

    # The first morning after the spring change: the tasks run as they are started.
    at = clock.set(2027, 3, 15, 0, 15)
    started = scheduling.schedule_due_jobs(now=at)

    nightly = next(job for job in started if job.kind == NIGHTLY.name)
    nightly.refresh_from_db()
    assert nightly.status == JobStatus.SUCCEEDED, nightly.error
    assert (nightly.outcome["dropped"], nightly.outcome["exemptions_ended"]) == (1, 1)
    assert nightly.outcome["reminders"] == 1  # due in 7 days: Mar 22
    late.refresh_from_db()
    assert late.status == RegistrationStatus.ROLLED_OFF
    dropped = late.events.get(kind=EventKind.ROLLED_OFF)
    assert dropped.recorded_by_name == "referral.nightly"  # the job acts as its kind
    assert Exemption.objects.get(registration=exempt).ended_at is not None
    assert exempt.events.get(kind=EventKind.EXEMPTION_ENDED).recorded_by_name == (
        "referral.nightly"
    )

    # The sender, started in the same look after the nightly job, sent both notices.
    notices = Notice.objects.order_by("kind")
    assert [(n.kind, n.status, n.written_by) for n in notices] == [
        (NoticeKind.DROPPED, NoticeStatus.SENT, "referral.nightly"),
        (NoticeKind.RESIGN_REMINDER, NoticeStatus.SENT, "referral.nightly"),
    ]
    assert sorted(m.to[0] for m in mailoutbox) == ["m0@example.org", "m1@example.org"]
