"""Remittances in: checked (read and matched, nothing recorded), then posted once (matched
money becomes the members' payroll-deduction payments; the rest waits in suspense), or
undone by a reversing batch. Suspense lines are applied to a member or returned, each by an
officer with a reason."""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from appkit.sql import bulk_insert, bulk_set
from audit.actors import Actor, person, saved_by
from audit.chain_blocks import chain_in_blocks
from dues.ledger import ZERO, money
from dues.models import Adjustment, Payment, PaymentMethod
from dues.services import (
    adjustment_record,
    member_ledgers_refresh,
    payment_record,
    payments_record_many,
    refund_record,
)
from jobs.progress import Progress
from members.models import Member

from .matching import (
    POSTED_TO_MEMBER,
    in_suspense,
    lines_match,
    main_month,
    over_ceiling,
    remitted_lines,
)
from .models import (
    BatchStatus,
    CheckoffAuthorization,
    Employer,
    LineException,
    RemittanceBatch,
    RemittanceLine,
    SuspenseAction,
    SuspenseResolution,
    SuspenseStatus,
)
from .remittance_file import RemittanceRead, remittance_read
from .selectors import posting_plan

if TYPE_CHECKING:
    pass


# Lines written or posted per statement.
BATCH = 2000


@dataclass
class RemittanceCheck:
    """What checking a file found: the batch (saved, unless a dry run) and its lines, or
    the rows that refuse the file."""

    read: RemittanceRead
    batch: RemittanceBatch | None = None
    lines: list[RemittanceLine] = field(default_factory=list)
    already_posted: RemittanceBatch | None = None

    @property
    def ok(self) -> bool:
        return self.read.ok and self.batch is not None


def file_digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def remittance_check(
    *,
    employer: Employer,
    content: bytes,
    file_name: str,
    received_on: datetime.date,
    reference: str = "",
    control_total: Decimal | None = None,
    actor: Actor,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> RemittanceCheck:
    """Read and match a remittance file; keep it as a checked batch (not with `dry_run`).
    Nothing reaches a member's ledger until the batch is posted."""
    progress = progress or Progress()
    if received_on > timezone.localdate():
        raise ValidationError({"received_on": "The received date cannot be in the future."})
    progress.step("Reading the file", total=1)
    read = remittance_read(content, employer)
    progress.advance()
    result = RemittanceCheck(read=read)
    if not read.ok:
        return result
    digest = file_digest(content)
    result.already_posted = RemittanceBatch.objects.filter(
        file_sha256=digest, status=BatchStatus.POSTED
    ).first()
    progress.step("Matching lines to members", total=len(read.lines))
    missing = lines_match(employer, read.lines)
    progress.advance(len(read.lines))
    year, month = main_month(read.lines)
    lines = read.lines + missing
    batch = RemittanceBatch(
        employer=employer,
        year=year,
        month=month,
        received_on=received_on,
        reference=reference.strip()[:100],
        control_total=control_total,
        total=money(sum((line.amount for line in lines), ZERO)),
        line_count=len(read.lines),
        file_name=file_name[:255],
        file_sha256=digest,
        created_by=person(actor),
    )
    result.batch, result.lines = batch, lines
    if dry_run:
        return result
    with transaction.atomic():
        saved_by(batch, actor=actor)
        for line in lines:
            line.batch = batch
        for start in range(0, len(lines), BATCH):
            bulk_insert(lines[start : start + BATCH])
    return result


@dataclass
class RemittancePosting:
    batch: RemittanceBatch
    posted: int = 0  # lines recorded as members' payments
    posted_total: Decimal = ZERO
    suspense: int = 0
    suspense_total: Decimal = ZERO


def remittance_post(
    *,
    batch: RemittanceBatch,
    actor: Actor,
    progress: Progress | None = None,
    confirmed_plan: str | None = None,
) -> RemittancePosting:
    """Post a checked batch: each matched line's money as the member's payroll-deduction
    payment (received the day the employer's money was), working dues charged as reported;
    the rest to the employer's suspense. All of it or nothing; a batch is posted once."""
    progress = progress or Progress()
    # Its audit events fill blocks of the trail's numbers reserved as they go, from the first
    # (the batch marked posted): a long posting holds no lock on the trail's head, and
    # logins go on meanwhile (audit.chain_blocks).
    with transaction.atomic(), chain_in_blocks(actor=actor, smallest=1):
        # Lock the employer: two of its batches post one after the other, so a member's
        # month is remitted once (the second sees the first's lines as DUPLICATE).
        Employer.objects.select_for_update().get(pk=batch.employer_id)
        batch = RemittanceBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.status != BatchStatus.CHECKED:
            raise ValidationError(f"{batch} is already {batch.get_status_display().lower()}.")
        if not batch.balanced:
            raise ValidationError(batch.imbalance)
        # What a person confirmed (selectors.posting_plan), checked under the batch's lock,
        # which a line matched by hand takes too: a match made after the confirmation page
        # was drawn, even while the post waited for a worker, stops the post.
        if confirmed_plan is not None and posting_plan(batch).fingerprint != confirmed_plan:
            raise ValidationError(
                "A line of this remittance was matched after its posting was confirmed: "
                "nothing was posted. Look at what posting will do now and confirm it again."
            )
        if (
            batch.file_sha256
            and RemittanceBatch.objects.filter(
                file_sha256=batch.file_sha256, status=BatchStatus.POSTED
            ).exists()
        ):
            raise ValidationError("This file has already been posted; nothing was posted again.")
        batch.status = BatchStatus.POSTED
        batch.posted_by, batch.posted_at = person(actor), timezone.now()
        try:
            with transaction.atomic():
                saved_by(batch, actor=actor, update_fields=["status", "posted_by", "posted_at"])
        except IntegrityError:  # the same file, posted by someone else meanwhile
            raise ValidationError("This file has already been posted.") from None
        lines = list(batch.lines.order_by("id"))
        _duplicates_marked(batch, lines)
        _ceilings_marked(lines)
        result = RemittancePosting(batch=batch)
        progress.step("Posting lines", total=len(lines))
        to_member = [
            ln
            for ln in lines
            if ln.member_id and ln.exception in POSTED_TO_MEMBER and ln.amount > 0
        ]
        for start in range(0, len(to_member), BATCH):
            _posted_to_members(batch, to_member[start : start + BATCH], actor)
            progress.advance(len(to_member[start : start + BATCH]))
        suspense = [ln for ln in lines if in_suspense(ln)]
        RemittanceLine.objects.filter(pk__in=[ln.pk for ln in suspense]).update(
            suspense=SuspenseStatus.OPEN
        )
        result.posted = len(to_member)
        result.posted_total = money(sum((ln.amount for ln in to_member), ZERO))
        result.suspense = len(suspense)
        result.suspense_total = money(sum((ln.amount for ln in suspense), ZERO))
        # Months this batch remits are no longer protected (452.87), paid or not: the
        # members paid were worked out again with their payments, the others are here.
        paid = {ln.member_id for ln in to_member}
        member_ledgers_refresh({ln.member_id for ln in lines if ln.member_id} - paid)
    return result


def _duplicates_marked(batch: RemittanceBatch, lines: list[RemittanceLine]) -> None:
    """Lines whose member's month this employer's batches posted since the check are
    DUPLICATE now: their money goes to suspense, never a second time to the member."""
    matched = [ln for ln in lines if ln.member_id and ln.exception in POSTED_TO_MEMBER]
    posted = set(
        remitted_lines()
        .filter(
            batch__employer_id=batch.employer_id, member_id__in={ln.member_id for ln in matched}
        )
        .exclude(batch=batch)
        .values_list("member_id", "year", "month")
    )
    late = [ln for ln in matched if (ln.member_id, ln.year, ln.month) in posted]
    for line in late:
        line.exception = LineException.DUPLICATE
    RemittanceLine.objects.filter(pk__in=[ln.pk for ln in late]).update(
        exception=LineException.DUPLICATE
    )


def _ceilings_marked(lines: list[RemittanceLine]) -> None:
    """Matched lines over the ceiling now (checked before it was lowered, or before there
    was one) are CEILING: their money goes to suspense, never to the member by itself."""
    over = [
        ln
        for ln in lines
        if ln.member_id and ln.exception in POSTED_TO_MEMBER and ln.amount > 0 and over_ceiling(ln)
    ]
    for line in over:
        line.exception = LineException.CEILING
    RemittanceLine.objects.filter(pk__in=[ln.pk for ln in over]).update(
        exception=LineException.CEILING
    )


def _posted_to_members(batch: RemittanceBatch, lines: list[RemittanceLine], actor: Actor) -> None:
    """Record these matched lines as their members' payments, with the working dues they
    report charged, and link each line to what it made."""
    payments = [
        Payment(
            member_id=line.member_id,
            amount=line.amount,
            method=PaymentMethod.PAYROLL_DEDUCTION,
            received_date=batch.received_on,
            reference=payment_reference(line, batch),
            note=f"Work month {line.work_month}",
            idempotency_key=f"{PAYMENT_KEY}{line.pk}",
        )
        for line in lines
    ]
    working = [line for line in lines if line.expected_working and line.expected_working > 0]
    adjustments = [
        Adjustment(
            member_id=line.member_id,
            amount=line.expected_working,
            reason=f"Working dues for {line.work_month}, reported by {batch.employer.code}",
            idempotency_key=f"{WORKING_KEY}{line.pk}",
        )
        for line in working
    ]
    payments_record_many(
        payments=payments, adjustments=adjustments, actor=actor, reason="remittance_post"
    )
    # Each line linked to the payment and working dues it made (each has its id now).
    for line, payment in zip(lines, payments, strict=True):
        line.payment_id = payment.pk
    for line, adjustment in zip(working, adjustments, strict=True):
        line.working_dues_id = adjustment.pk
    bulk_set(lines, ["payment_id", "working_dues_id"])


def payment_reference(line: RemittanceLine, batch: RemittanceBatch) -> str:
    """What a check-off payment's reference says wherever the payment is shown (the payments
    list and page, the member's dues page, the receipt): its remittance and its work month."""
    return f"Check-off {batch.employer.code} remittance #{batch.pk}, work month {line.work_month}"[
        :100
    ]


PAYMENT_KEY = "checkoff-line:"
WORKING_KEY = "checkoff-working:"


# --- Employers and authorizations --------------------------------------------------------


@transaction.atomic
def employer_save(*, employer: Employer, actor: Actor) -> Employer:
    """Record a new employer or a change to one (its contact, due day, file layout)."""
    employer.code = Employer.code_of(employer.code)
    employer.full_clean()
    saved_by(employer, actor=actor)
    return employer


@transaction.atomic
def authorization_save(
    *, authorization: CheckoffAuthorization, actor: Actor
) -> CheckoffAuthorization:
    """Record a new check-off authorization or a change to one (its revocation): the months
    it covers are protected from arrears, so the member's ledger is worked out again."""
    authorization.months_kept()
    authorization.full_clean()
    saved_by(authorization, actor=actor)
    member_ledgers_refresh([authorization.member_id])
    return authorization


# --- Suspense -------------------------------------------------------------------------------


def _suspense_line(line: RemittanceLine) -> RemittanceLine:
    # Lock the line: two officers resolving it at once, the second finds it resolved.
    line = (
        RemittanceLine.objects.select_for_update().select_related("batch__employer").get(pk=line.pk)
    )
    if line.suspense != SuspenseStatus.OPEN:
        raise ValidationError("This line is not in suspense (it was resolved already).")
    return line


def _note(note: str) -> str:
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": "Say why: a note is required."})
    return note


@transaction.atomic
def suspense_apply(
    *, line: RemittanceLine, member: Member, note: str, actor: Actor
) -> SuspenseResolution:
    """Apply a suspense line's money to a member: it becomes their payroll-deduction
    payment, received when the employer's money was."""
    note = _note(note)
    line = _suspense_line(line)
    payment = payment_record(
        member=member,
        amount=line.amount,
        method=PaymentMethod.PAYROLL_DEDUCTION,
        received_date=line.batch.received_on,
        reference=payment_reference(line, line.batch),
        note=f"Work month {line.work_month}, from suspense: {note}"[:1000],
        actor=actor,
        idempotency_key=f"checkoff-suspense:{line.pk}",
    )
    return _resolved(line, SuspenseAction.APPLIED, note, actor, member=member, payment=payment)


@transaction.atomic
def suspense_return(*, line: RemittanceLine, note: str, actor: Actor) -> SuspenseResolution:
    """Mark a suspense line's money as given back to the employer."""
    note = _note(note)
    line = _suspense_line(line)
    return _resolved(line, SuspenseAction.RETURNED, note, actor)


def _resolved(line, action, note, actor, **made) -> SuspenseResolution:
    resolution = SuspenseResolution(
        line=line, action=action, note=note, resolved_by=person(actor), **made
    )
    saved_by(resolution, actor=actor)
    line.suspense = action
    line.save(update_fields=["suspense"])
    return resolution


# --- Reversal -------------------------------------------------------------------------------


@transaction.atomic
def remittance_reverse(*, batch: RemittanceBatch, reason: str, actor: Actor) -> RemittanceBatch:
    """Undo a posted batch with a reversing batch (its lines negated): the payments it made
    are refunded, its open suspense is closed, and the original is marked reversed. Nothing
    of the original is edited away; the file may then be posted again, corrected or not."""
    reason = _note(reason)
    Employer.objects.select_for_update().get(pk=batch.employer_id)
    batch = RemittanceBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status != BatchStatus.POSTED or batch.reverses_id is not None:
        raise ValidationError("Only a posted remittance (not itself a reversal) can be reversed.")
    if batch.lines.filter(suspense=SuspenseStatus.APPLIED).exists():
        raise ValidationError(
            "Some of its suspense was applied to members: refund those payments first."
        )
    reversal = RemittanceBatch(
        employer_id=batch.employer_id,
        year=batch.year,
        month=batch.month,
        received_on=timezone.localdate(),
        reference=f"Reversal of #{batch.pk}",
        control_total=-batch.total,
        total=-batch.total,
        line_count=batch.line_count,
        status=BatchStatus.POSTED,
        reverses=batch,
        reason=reason,
        created_by=person(actor),
        posted_by=person(actor),
        posted_at=timezone.now(),
    )
    saved_by(reversal, actor=actor)
    lines = list(batch.lines.select_related("payment", "member", "working_dues").order_by("id"))
    bulk_insert(
        [
            RemittanceLine(
                batch=reversal,
                row_number=line.row_number,
                raw=line.raw,
                member_number=line.member_number,
                last_name=line.last_name,
                first_name=line.first_name,
                employee_id=line.employee_id,
                ssn_last4=line.ssn_last4,
                year=line.year,
                month=line.month,
                hours=line.hours,
                gross_wages=line.gross_wages,
                base_wages=line.base_wages,
                amount=-line.amount,
                member_id=line.member_id,
                matched_by=line.matched_by,
                exception=line.exception,
            )
            for line in lines
        ]
    )
    for line in lines:
        if line.payment is not None and line.payment.refundable > 0:
            refund_record(
                payment=line.payment,
                amount=line.payment.refundable,
                reason=f"Remittance #{batch.pk} reversed: {reason}"[:1000],
                actor=actor,
                idempotency_key=f"checkoff-reversal:{line.pk}",
            )
        if line.working_dues_id:
            adjustment_record(
                member=line.member,
                amount=-line.working_dues.amount,
                reason=f"Remittance #{batch.pk} reversed: working dues taken back",
                actor=actor,
                idempotency_key=f"checkoff-reversal-working:{line.pk}",
            )
    batch.lines.filter(suspense=SuspenseStatus.OPEN).update(suspense=SuspenseStatus.RETURNED)
    batch.status = BatchStatus.REVERSED
    saved_by(batch, actor=actor, update_fields=["status"])
    member_ledgers_refresh({line.member_id for line in lines if line.member_id})
    return reversal
