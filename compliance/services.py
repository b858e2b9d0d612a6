"""Governance writes (docs/design.md §10): the arrears policy applied, an officer's hold or
override, eligibility lists worked out and published, candidates' inspections, per-capita
reports. Each takes the acting user; each change is a kept, audited record."""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import connection, transaction
from django.template import Context, Template
from django.utils import timezone

from audit.csv_export import csv_lines
from dues.services import adjustment_record
from jobs.progress import Progress
from members.models import Member, MemberStatus
from members.services import member_update

from .models import (
    ArrearsPolicy,
    ChangeKind,
    EligibilityEntry,
    EligibilityList,
    Inspection,
    PerCapitaChange,
    PerCapitaLine,
    PerCapitaReport,
    ReportStatus,
    RollChange,
    StandingChange,
    StandingHold,
)
from .selectors import (
    StandingOn,
    arrears_policy_on,
    holds_open,
    month_end,
    per_capita_counted,
    per_capita_previous,
    per_capita_rates,
    standings_on,
)

User = AbstractBaseUser | None

# --- The arrears policy -------------------------------------------------------------------


@dataclass(frozen=True)
class Proposal:
    """A change the arrears policy makes to one member's standing on a day, and why."""

    member_id: int
    member_number: str
    name: str
    kind: ChangeKind
    from_status: str
    to_status: str
    months_owed: int
    amount_owed: Decimal
    reason: str
    held: str = ""


@dataclass
class ArrearsRun:
    day: datetime.date
    policy: ArrearsPolicy
    proposals: list[Proposal] = field(default_factory=list)
    applied: int = 0
    dry_run: bool = True

    def __str__(self) -> str:
        held = sum(1 for p in self.proposals if p.held)
        verb = "would change" if self.dry_run else "changed"
        return (
            f"Arrears policy {self.policy.version} on {self.day}: {verb} "
            f"{len(self.proposals) - held if self.dry_run else self.applied} member(s)"
            f"{f', {held} held by an officer' if held else ''}."
        )


def _months_since(first_due: datetime.date | None, day: datetime.date) -> int:
    """Months without paying, counting the first unpaid one, on `day`."""
    if first_due is None or first_due > day:
        return 0
    return (day.year - first_due.year) * 12 + day.month - first_due.month + 1


def _proposal_for(
    member: tuple[int, str, str, str],
    standing: StandingOn,
    noticed: set[tuple[int, int]],
    suspended_for_arrears: set[int],
) -> Proposal | None:
    member_id, number, first, last = member
    policy, months, status = standing.policy, standing.months_owed, standing.status
    owed = f"Owes {months} month(s) (${standing.balance:,}) on {standing.day}"
    rule = f"by arrears policy {policy.version}"

    def proposal(kind: ChangeKind, to_status: str, reason: str) -> Proposal:
        return Proposal(
            member_id,
            number,
            f"{first} {last}",
            kind,
            status,
            to_status,
            months,
            standing.balance,
            reason,
        )

    if status == MemberStatus.ACTIVE and standing.joined:
        if months >= policy.drop_after:
            return proposal(
                ChangeKind.DROP,
                MemberStatus.DROPPED,
                f"{owed}: dropped at {policy.drop_after} {rule}.",
            )
        if months >= policy.suspend_after:
            return proposal(
                ChangeKind.SUSPEND,
                MemberStatus.SUSPENDED,
                f"{owed}: suspended at {policy.suspend_after} {rule}.",
            )
        if months >= policy.delinquent_after and (member_id, months) not in noticed:
            return proposal(
                ChangeKind.NOTICE,
                status,
                f"{owed}: notice before suspension at {policy.suspend_after} {rule}.",
            )
    elif status == MemberStatus.SUSPENDED and member_id in suspended_for_arrears:
        # A suspension the policy made is the policy's to lift (an officer's is theirs).
        if standing.balance <= 0:
            return proposal(
                ChangeKind.REINSTATE,
                MemberStatus.ACTIVE,
                f"Arrears and fee paid by {standing.day}: reinstated {rule}; "
                "continuous good standing broken.",
            )
        behind = max(months, _months_since(standing.first_uncovered_due, standing.day))
        if behind >= policy.drop_after:
            return proposal(
                ChangeKind.DROP,
                MemberStatus.DROPPED,
                f"Unpaid for {behind} months on {standing.day}: "
                f"dropped at {policy.drop_after} {rule}.",
            )
    return None


def arrears_policy_proposals(day: datetime.date) -> ArrearsRun:
    """What the policy in force on `day` changes, member by member, from the records as
    they stood at its end; nothing is written."""
    policy = arrears_policy_on(day)
    members = Member.objects.filter(status__in=[MemberStatus.ACTIVE, MemberStatus.SUSPENDED])
    standings = standings_on(day, members)
    # A notice is sent once for each count of months owed in an episode of arrears.
    noticed = set(
        StandingChange.objects.filter(
            kind=ChangeKind.NOTICE, effective_on__gt=day - datetime.timedelta(days=366)
        ).values_list("member_id", "months_owed")
    )
    run = ArrearsRun(day=day, policy=policy)
    held_members = holds_open()
    suspended_for_arrears = _suspended_for_arrears(day)
    for member in members.order_by("member_number").values_list(
        "id", "member_number", "first_name", "last_name"
    ):
        proposal = _proposal_for(member, standings[member[0]], noticed, suspended_for_arrears)
        if proposal is None:
            continue
        hold = held_members.get(proposal.member_id)
        if hold is not None:
            proposal = Proposal(**{**proposal.__dict__, "held": hold.reason})
        run.proposals.append(proposal)
    return run


def _suspended_for_arrears(day: datetime.date) -> set[int]:
    """The members whose latest change of status by `day` is the policy's suspension."""
    latest: dict[int, str] = {}
    for member_id, kind in (
        StandingChange.objects.exclude(kind=ChangeKind.NOTICE)
        .filter(effective_on__lte=day)
        .order_by("member_id", "effective_on", "id")
        .values_list("member_id", "kind")
    ):
        latest[member_id] = kind
    return {member_id for member_id, kind in latest.items() if kind == ChangeKind.SUSPEND}


def arrears_policy_apply(
    *,
    day: datetime.date | None = None,
    dry_run: bool = False,
    actor: User = None,
    progress: Progress | None = None,
) -> ArrearsRun:
    """Apply the policy in force on `day` (today): each change an audited decision naming
    the policy version, the member's status changed with it. Safe to run twice: a member
    already changed is not proposed again."""
    day = day or timezone.localdate()
    run = arrears_policy_proposals(day)
    run.dry_run = dry_run
    if dry_run:
        return run
    todo = [p for p in run.proposals if not p.held]
    if progress is not None:
        progress.step("Applying the arrears policy", total=len(todo))
    for proposal in todo:
        if _apply_one(proposal, run.policy, day, actor):
            run.applied += 1
        if progress is not None:
            progress.advance()
    return run


@transaction.atomic
def _apply_one(proposal: Proposal, policy: ArrearsPolicy, day: datetime.date, actor: User) -> bool:
    # Lock the member: two runs at once (the nightly job and an officer) change them once.
    member = Member.objects.select_for_update().get(pk=proposal.member_id)
    if member.status != proposal.from_status:
        return False
    if (
        proposal.kind == ChangeKind.NOTICE
        and StandingChange.objects.filter(
            member=member,
            kind=ChangeKind.NOTICE,
            months_owed=proposal.months_owed,
            effective_on__gt=day - datetime.timedelta(days=366),
        ).exists()
    ):
        return False
    broken_from = None
    if proposal.kind == ChangeKind.REINSTATE:
        suspension = (
            StandingChange.objects.filter(member=member, kind=ChangeKind.SUSPEND)
            .order_by("-effective_on", "-id")
            .first()
        )
        broken_from = suspension.effective_on if suspension else day
    change = _change_record(
        member=member,
        kind=proposal.kind,
        day=day,
        to_status=proposal.to_status,
        months_owed=proposal.months_owed,
        amount_owed=proposal.amount_owed,
        policy=policy,
        reason=proposal.reason,
        actor=actor,
        continuity_broken_from=broken_from,
    )
    if proposal.kind == ChangeKind.SUSPEND and policy.reinstatement_fee > 0:
        adjustment_record(
            member=member,
            amount=policy.reinstatement_fee,
            reason=f"Reinstatement fee, arrears policy {policy.version}",
            actor=actor,
            idempotency_key=f"reinstatement-fee:{change.pk}",
        )
    if proposal.kind == ChangeKind.NOTICE and member.email:
        transaction.on_commit(lambda: arrears_notice_send(change.pk))
    return True


def _change_record(
    *,
    member: Member,
    kind: ChangeKind,
    day: datetime.date,
    to_status: str,
    reason: str,
    actor: User,
    policy: ArrearsPolicy | None = None,
    months_owed: int = 0,
    amount_owed: Decimal = Decimal("0.00"),
    continuity_broken_from: datetime.date | None = None,
) -> StandingChange:
    change = StandingChange(
        member=member,
        kind=kind,
        effective_on=day,
        from_status=member.status,
        to_status=to_status,
        months_owed=months_owed,
        amount_owed=max(amount_owed, Decimal("0.00")),
        policy=policy,
        reason=reason,
        decided_by=actor,
        continuity_broken_from=continuity_broken_from,
    )
    change.full_clean()
    change._history_user = actor
    change.save()
    if to_status != member.status:
        # The policy (or the officer's override, checked above) decided the change; who
        # applied it is named on the status change too, not only on the decision.
        member_update(member=member, actor=actor, changes={"status": to_status}, role_checked=False)
    return change


def arrears_notice_send(change_id: int) -> int:
    """Mail the member their notice before suspension, in the words the local wrote."""
    change = StandingChange.objects.select_related("member", "policy").get(pk=change_id)
    member, policy = change.member, change.policy
    context = Context(
        {
            "member": member.full_name,
            "months_owed": change.months_owed,
            "amount_owed": f"${change.amount_owed:,}",
            "suspend_after": policy.suspend_after,
            "local": settings.LOCAL_NAME,
        },
        autoescape=False,
    )
    send_mail(
        subject=policy.notice_subject,
        message=Template(policy.notice_text).render(context),
        from_email=None,
        recipient_list=[member.email],
    )
    return 1


@transaction.atomic
def standing_override(
    *, member: Member, status: str, reason: str, actor: AbstractBaseUser
) -> StandingChange:
    """An officer sets one member's status, with the reason kept beside the decision."""
    if not reason.strip():
        raise ValidationError({"reason": "Say why: the override is kept with its reason."})
    if status not in MemberStatus.values:
        raise ValidationError({"status": f"Choose one of: {', '.join(MemberStatus.values)}."})
    member = Member.objects.select_for_update().get(pk=member.pk)
    if member.status == status:
        raise ValidationError(
            {"status": f"{member} is already {MemberStatus(status).label.lower()}."}
        )
    return _change_record(
        member=member,
        kind=ChangeKind.OVERRIDE,
        day=timezone.localdate(),
        to_status=status,
        reason=reason.strip(),
        actor=actor,
    )


@transaction.atomic
def standing_hold(*, member: Member, reason: str, actor: AbstractBaseUser) -> StandingHold:
    """Hold the arrears policy's changes to one member until released."""
    if not reason.strip():
        raise ValidationError({"reason": "Say why the member is held."})
    Member.objects.select_for_update().get(pk=member.pk)
    if StandingHold.objects.filter(member=member, released_at__isnull=True).exists():
        raise ValidationError(f"{member} is already held.")
    hold = StandingHold(member=member, reason=reason.strip(), held_by=actor)
    hold._history_user = actor
    hold.save()
    return hold


def standing_hold_release(*, hold: StandingHold, actor: AbstractBaseUser) -> StandingHold:
    if hold.released_at is None:
        hold.released_at = timezone.now()
        hold.released_by = actor
        hold._history_user = actor
        hold.save()
    return hold


# --- Eligibility lists --------------------------------------------------------------------

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
    *, title: str, record_date: datetime.date, actor: User, progress: Progress | None = None
) -> EligibilityList:
    """A draft list for `record_date`: every member, eligible or not and why, by the
    ledger as it stood at the end of that day."""
    title = title.strip() or f"Eligibility on {record_date}"
    elist = EligibilityList(
        title=title[:200],
        record_date=record_date,
        policy=arrears_policy_on(record_date),
        created_by=actor,
    )
    elist._history_user = actor
    with transaction.atomic():
        elist.save()
        _entries_write(elist, progress)
    return elist


def _entries_write(elist: EligibilityList, progress: Progress | None) -> None:
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
    elist.save(update_fields=["eligible_count", "ineligible_count"])


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
def eligibility_list_publish(*, elist: EligibilityList, actor: AbstractBaseUser) -> EligibilityList:
    """Freeze the list: its CSV is stored and hashed; a later payment changes nothing."""
    elist = EligibilityList.objects.select_for_update().get(pk=elist.pk)
    if elist.is_published:
        raise ValidationError("This list is already published; it cannot change.")
    snapshot = "".join(eligibility_csv_lines(elist))
    elist.snapshot = snapshot
    elist.sha256 = hashlib.sha256(snapshot.encode()).hexdigest()
    elist.published_at = timezone.now()
    elist.published_by = actor
    elist._history_user = actor
    elist.save()
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
        eligibility_list=elist, candidate=candidate, inspected_at=now, recorded_by=actor, note=note
    )
    inspection._history_user = actor
    inspection.save()
    return inspection


# --- Per capita ---------------------------------------------------------------------------


@transaction.atomic
def per_capita_report_work_out(*, affiliate, year: int, month: int, actor: User) -> PerCapitaReport:
    """The month's report as a draft (worked out again while it is one): counts and amount
    per category, and the roll-forward from last month's reported count, with the members
    added and dropped since the records as they stood at last month's end."""
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
    report._history_user = actor
    report.save()
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
def per_capita_report_submit(
    *, report: PerCapitaReport, actor: AbstractBaseUser
) -> PerCapitaReport:
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
    report.submitted_by = actor
    report._history_user = actor
    report.save()
    return report


@transaction.atomic
def per_capita_report_paid(
    *, report: PerCapitaReport, paid_on: datetime.date, actor: AbstractBaseUser
) -> PerCapitaReport:
    report = PerCapitaReport.objects.select_for_update().get(pk=report.pk)
    if report.status != ReportStatus.SUBMITTED:
        raise ValidationError("Only a submitted report is paid.")
    report.status = ReportStatus.PAID
    report.paid_on = paid_on
    report._history_user = actor
    report.save()
    return report
