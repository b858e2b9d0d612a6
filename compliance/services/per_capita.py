"""Per-capita reports (docs/design.md §10): a month's count and amount per category for
one affiliate, worked out as a draft with its roll-forward from last month, then submitted
and paid."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from audit.actors import Actor, actor_checked, person, saved_by
from audit.context import acting_as
from members.models import Member

from ..models import (
    ChangeKind,
    PerCapitaChange,
    PerCapitaLine,
    PerCapitaReport,
    ReportStatus,
    RollChange,
    StandingChange,
)
from ..selectors import month_end, per_capita_counted, per_capita_previous, per_capita_rates
from .eligibility import ENTRY_BATCH

if TYPE_CHECKING:
    pass


@transaction.atomic
def per_capita_report_work_out(
    *, affiliate, year: int, month: int, actor: Actor
) -> PerCapitaReport:
    """The month's report as a draft (worked out again while it is one): counts and amount
    per category, and the roll-forward from last month's reported count, with the members
    added and dropped since the records as they stood at last month's end."""
    with acting_as(actor_checked(actor)):  # the draft, when this makes it
        report, _ = PerCapitaReport.objects.select_for_update().get_or_create(
            affiliate=affiliate, year=year, month=month
        )
    if report.status != ReportStatus.DRAFT:
        raise ValidationError(
            f"The {report.label} report is {report.get_status_display().lower()}: "
            "it no longer changes."
        )
    counted = per_capita_counted(affiliate, year, month)
    previous = per_capita_previous(report)
    prev_year, prev_month = (year, month - 1) if month > 1 else (year - 1, 12)
    before = per_capita_counted(affiliate, prev_year, prev_month)
    if previous is not None:
        report.previous_count = previous.count
    elif affiliate.opening_count is not None:
        report.previous_count = affiliate.opening_count
    else:
        report.previous_count = len(before)
    rates = per_capita_rates(affiliate, year, month)
    report.lines.all().delete()
    report.changes.all().delete()
    per_class: dict[int, int] = {}
    for class_id in counted.values():
        per_class[class_id] = per_class.get(class_id, 0) + 1
    lines = []
    for class_id, count in sorted(per_class.items()):
        rate = rates.get(class_id, rates.get(None, Decimal("0.00")))
        lines.append(
            PerCapitaLine(
                report=report,
                classification_id=class_id,
                count=count,
                rate=rate,
                amount=rate * count,
            )
        )
    PerCapitaLine.objects.bulk_create(lines)
    added = sorted(set(counted) - set(before))
    dropped = sorted(set(before) - set(counted))
    day = month_end(year, month)
    reasons = _roll_reasons(set(added) | set(dropped), day)
    PerCapitaChange.objects.bulk_create(
        [
            PerCapitaChange(
                report=report,
                member_id=m,
                change=RollChange.ADDED,
                reason=reasons.get(m, ("", ""))[0],
            )
            for m in added
        ]
        + [
            PerCapitaChange(
                report=report,
                member_id=m,
                change=RollChange.DROPPED,
                reason=reasons.get(m, ("", ""))[1],
            )
            for m in dropped
        ],
        batch_size=ENTRY_BATCH,
    )
    report.count = len(counted)
    report.amount = sum((line.amount for line in lines), Decimal("0.00"))
    report.added, report.dropped = len(added), len(dropped)
    report.worked_out_at = timezone.now()
    saved_by(report, actor=actor)
    return report


def _roll_reasons(member_ids: set[int], day: datetime.date) -> dict[int, tuple[str, str]]:
    """Why each member was added (first) or dropped (second) this month."""
    if not member_ids:
        return {}
    first = day.replace(day=1)
    changes = {
        c.member_id: c
        for c in StandingChange.objects.filter(
            member_id__in=member_ids, effective_on__gte=first, effective_on__lte=day
        )
        .exclude(kind=ChangeKind.NOTICE)
        .order_by("effective_on", "id")
    }
    reasons = {}
    for member in Member.objects.filter(pk__in=member_ids):
        change = changes.get(member.pk)
        if change is not None:
            why = f"{change.get_kind_display()} on {change.effective_on}"
            reasons[member.pk] = (why, why)
        elif first <= member.join_date <= day:
            reasons[member.pk] = (f"Joined on {member.join_date}", "")
        else:
            reasons[member.pk] = (
                "Back in good standing or paid up",
                "In arrears, or not paid up, at month end",
            )
    return reasons


@transaction.atomic
def per_capita_report_submit(*, report: PerCapitaReport, actor: Actor) -> PerCapitaReport:
    """Mark the report sent to the affiliate: only while last month's count, plus the
    members added, less those dropped, gives this month's."""
    report = PerCapitaReport.objects.select_for_update().get(pk=report.pk)
    if report.status != ReportStatus.DRAFT:
        raise ValidationError(f"The {report.label} report was already submitted.")
    if not report.rolls_forward:
        raise ValidationError(
            f"The roll-forward does not hold: {report.previous_count} last month + "
            f"{report.added} added - {report.dropped} dropped = {report.rolled_count}, not "
            f"{report.count}. Last month's count no longer matches the records as they stood "
            "then: find the records changed since, correct them, and work the month out again."
        )
    report.status = ReportStatus.SUBMITTED
    report.submitted_at = timezone.now()
    report.submitted_by = person(actor)
    saved_by(report, actor=actor)
    return report


@transaction.atomic
def per_capita_report_paid(
    *, report: PerCapitaReport, paid_on: datetime.date, actor: Actor
) -> PerCapitaReport:
    report = PerCapitaReport.objects.select_for_update().get(pk=report.pk)
    if report.status != ReportStatus.SUBMITTED:
        raise ValidationError("Only a submitted report is paid.")
    report.status = ReportStatus.PAID
    report.paid_on = paid_on
    saved_by(report, actor=actor)
    return report
