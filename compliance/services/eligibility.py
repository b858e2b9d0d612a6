"""Eligibility lists (docs/design.md §10): every member, eligible or not and why, on a
record date; a list published is frozen (its CSV stored and hashed); a candidate inspects
it once within 30 days (LMRDA 401(c))."""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from appkit.files import csv_lines
from audit.actors import Actor, actor_checked, person, saved_by
from jobs.progress import Progress
from members.models import Member, MemberStatus

from ..models import EligibilityEntry, EligibilityList, Inspection
from ..selectors import arrears_policy_on, standings_on

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


ELIGIBILITY_CSV_HEADER = [
    "member_number",
    "name",
    "classification",
    "status",
    "eligible",
    "reason_code",
    "reason",
    "months_owed",
    "checkoff_protected",
]
ENTRY_BATCH = 5000


def eligibility_list_create(
    *, title: str, record_date: datetime.date, actor: Actor, progress: Progress | None = None
) -> EligibilityList:
    """A draft list for `record_date`: every member, eligible or not and why, by the
    ledger as it stood at the end of that day."""
    title = title.strip() or f"Eligibility on {record_date}"
    elist = EligibilityList(
        title=title[:200],
        record_date=record_date,
        policy=arrears_policy_on(record_date),
        created_by=person(actor),
    )
    with transaction.atomic():
        saved_by(elist, actor=actor)
        _entries_write(elist, progress, actor)
    return elist


def _entries_write(elist: EligibilityList, progress: Progress | None, actor: Actor) -> None:
    # Every member the local has (one who joined after the record date is listed, and
    # says so); those who died are not.
    members = Member.objects.exclude(status=MemberStatus.DECEASED)
    if progress is not None:
        progress.step("Working out each member's standing on the record date")
    standings = standings_on(elist.record_date, members)
    rows = members.order_by("member_number").values_list(
        "id", "member_number", "first_name", "last_name", "classification__code"
    )
    entries = []
    for member_id, number, first, last, code in rows.iterator(chunk_size=ENTRY_BATCH):
        standing = standings[member_id]
        entries.append(
            (
                elist.pk,
                member_id,
                number,
                f"{first} {last}"[:201],
                code,
                standing.status,
                standing.in_good_standing,
                standing.reason_code,
                standing.reason[:300],
                standing.months_owed,
                standing.checkoff_protected,
            )
        )
    _entries_insert(entries)
    elist.eligible_count = sum(1 for entry in entries if entry[6])
    elist.ineligible_count = len(entries) - elist.eligible_count
    saved_by(elist, actor=actor, update_fields=["eligible_count", "ineligible_count"])


_ENTRY_COLUMNS = (
    "eligibility_list_id",
    "member_id",
    "member_number",
    "name",
    "classification",
    "status",
    "eligible",
    "reason_code",
    "reason",
    "months_owed",
    "checkoff_protected",
)


def _entries_insert(rows: list[tuple]) -> None:
    """The list's rows, as plain values: by COPY on PostgreSQL (a list is the whole local;
    building a model instance for each row costs more than writing it), else bulk_create."""
    if connection.vendor != "postgresql":
        EligibilityEntry.objects.bulk_create(
            [EligibilityEntry(**dict(zip(_ENTRY_COLUMNS, row, strict=True))) for row in rows],
            batch_size=ENTRY_BATCH,
        )
        return
    table = EligibilityEntry._meta.db_table
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({', '.join(_ENTRY_COLUMNS)}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)


def eligibility_csv_lines(elist: EligibilityList) -> Iterable[str]:
    rows = elist.entries.order_by("member_number").values_list(
        "member_number",
        "name",
        "classification",
        "status",
        "eligible",
        "reason_code",
        "reason",
        "months_owed",
        "checkoff_protected",
    )
    return csv_lines(
        ELIGIBILITY_CSV_HEADER,
        (
            [*row[:4], "yes" if row[4] else "no", *row[5:8], "yes" if row[8] else "no"]
            for row in rows.iterator(chunk_size=ENTRY_BATCH)
        ),
    )


@transaction.atomic
def eligibility_list_publish(*, elist: EligibilityList, actor: Actor) -> EligibilityList:
    """Freeze the list: its CSV is stored and hashed; a later payment changes nothing."""
    elist = EligibilityList.objects.select_for_update().get(pk=elist.pk)
    if elist.is_published:
        raise ValidationError("This list is already published; it cannot change.")
    snapshot = "".join(eligibility_csv_lines(elist))
    elist.snapshot = snapshot
    elist.sha256 = hashlib.sha256(snapshot.encode()).hexdigest()
    elist.published_at = timezone.now()
    elist.published_by = person(actor)
    saved_by(elist, actor=actor)
    return elist


INSPECTION_WINDOW = datetime.timedelta(days=30)


@transaction.atomic
def inspection_record(
    *, elist: EligibilityList, candidate: Member, actor: AbstractBaseUser, note: str = ""
) -> Inspection:
    """A candidate inspects the list (LMRDA 401(c)): once within 30 days."""
    elist = EligibilityList.objects.get(pk=elist.pk)
    if not elist.is_published:
        raise ValidationError("Publish the list before a candidate inspects it.")
    # Lock the candidate: two officers recording at once give one inspection.
    Member.objects.select_for_update().get(pk=candidate.pk)
    now = timezone.now()
    earlier = (
        Inspection.objects.filter(candidate=candidate, inspected_at__gt=now - INSPECTION_WINDOW)
        .order_by("-inspected_at")
        .first()
    )
    if earlier is not None:
        raise ValidationError(
            f"{candidate} already inspected a list on "
            f"{timezone.localtime(earlier.inspected_at):%Y-%m-%d %H:%M}: "
            "a candidate may inspect it once within 30 days (LMRDA 401(c))."
        )
    inspection = Inspection(
        eligibility_list=elist,
        candidate=candidate,
        inspected_at=now,
        recorded_by=actor_checked(actor),
        note=note,
    )
    saved_by(inspection, actor=actor)
    return inspection
