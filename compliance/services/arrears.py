"""The arrears policy applied (docs/design.md §10): what it proposes for each member on a
day, its changes applied as audited decisions naming the policy's version, the notice before
suspension, and an officer's override or hold."""

from __future__ import annotations

import datetime
from collections.abc import Collection
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template import Context, Template
from django.utils import timezone

from appkit.templatetags.office import currency
from audit.actors import Actor, actor_checked, person, saved_by
from dues.selectors import dues_standings, member_dues_summary
from dues.services import adjustment_record
from dues.words import BALANCE, MONTHS_BEHIND, PAST_DUE, balance_words
from jobs.progress import Progress
from members.models import Member, MemberStatus
from members.services import member_update

from ..models import ArrearsPolicy, ChangeKind, Convention, StandingChange, StandingHold
from ..selectors import StandingOn, arrears_policy_on, holds_open, standings_on

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    pass


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
    run.proposals = _with_the_ledgers_count(run.proposals, day)
    return run


def _with_the_ledgers_count(proposals: list[Proposal], day: datetime.date) -> list[Proposal]:
    """Each reason names the months the policy counts and, where its rule gives another
    number (a month owed from its due date, a grace period), the months behind the dues
    ledger shows on the same day: the office's pages and the member's read the ledger's."""
    owing = [p for p in proposals if p.kind != ChangeKind.REINSTATE]
    if not owing:
        return proposals
    ledger = dues_standings(
        Member.objects.filter(pk__in=[p.member_id for p in owing]), day, recorded_by=day
    )
    named = []
    for proposal in proposals:
        behind = ledger.get(proposal.member_id)
        months = behind.months_in_arrears if behind is not None else 0
        if proposal.kind != ChangeKind.REINSTATE and months != proposal.months_owed:
            reason = (
                f"{proposal.reason.removesuffix('.')} (the dues ledger: {months} month(s) "
                f"behind on {day}, counting a month from the day after it is due)."
            )
            proposal = Proposal(**{**proposal.__dict__, "reason": reason})
        named.append(proposal)
    return named


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


Listed = tuple[int, str, str]
"""One change a dry run listed: (member id, kind of change, the status it sets)."""


def listed(proposal: Proposal) -> Listed:
    return (proposal.member_id, str(proposal.kind), str(proposal.to_status))


class ArrearsFactsChanged(ValidationError):
    """The policy on the day no longer makes the changes a dry run listed."""


def arrears_policy_apply(
    *,
    day: datetime.date | None = None,
    dry_run: bool = False,
    actor: Actor,
    progress: Progress | None = None,
    expected: Collection[Listed] | None = None,
) -> ArrearsRun:
    """Apply the policy in force on `day` (today): each change an audited decision naming
    the policy version, the member's status changed with it. Safe to run twice: a member
    already changed is not proposed again.

    `expected` is what a dry run listed, which an officer confirmed: exactly those changes
    are applied, or none (ArrearsFactsChanged) if the policy now makes others."""
    day = day or timezone.localdate()
    run = arrears_policy_proposals(day)
    run.dry_run = dry_run
    if dry_run:
        return run
    todo = [p for p in run.proposals if not p.held]
    if expected is not None:
        _facts_unchanged(run, todo, set(expected))
    if progress is not None:
        progress.step("Applying the arrears policy", total=len(todo))
    for proposal in todo:
        if _apply_one(proposal, run.policy, day, actor):
            run.applied += 1
        if progress is not None:
            progress.advance()
    return run


def _facts_unchanged(run: ArrearsRun, todo: list[Proposal], expected: set[Listed]) -> None:
    """Refuse unless the changes to make now are the ones listed (a listed change already
    decided on the day, by a retry or the nightly run, counts as made)."""
    now = {listed(p): p for p in todo}
    gone = expected - set(now)
    if gone:
        gone -= set(
            StandingChange.objects.filter(
                effective_on=run.day, member_id__in=[m for m, _, _ in gone]
            ).values_list("member_id", "kind", "to_status")
        )
    new = [p for key, p in now.items() if key not in expected]
    if not gone and not new:
        return
    shown = sorted(gone)[:FACTS_SHOWN]
    numbers = dict(
        Member.objects.filter(pk__in=[m for m, _, _ in shown]).values_list("pk", "member_number")
    )
    said = [
        f"{numbers.get(m, m)} ({ChangeKind(kind).label.lower()}) is no longer proposed"
        for m, kind, _ in shown
    ] + [
        f"{p.member_number} {p.name} ({p.kind.label.lower()}) is proposed but was not listed"
        for p in new[:FACTS_SHOWN]
    ]
    more = len(gone) + len(new) - len(said)
    raise ArrearsFactsChanged(
        f"The records changed since the dry run for {run.day}: {'; '.join(said)}"
        f"{f'; and {more} more' if more > 0 else ''}. Nothing was applied: list what the "
        "policy changes again, and apply that list."
    )


FACTS_SHOWN = 10


@transaction.atomic
def _apply_one(proposal: Proposal, policy: ArrearsPolicy, day: datetime.date, actor: Actor) -> bool:
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
    actor: Actor,
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
        decided_by=person(actor),
        continuity_broken_from=continuity_broken_from,
    )
    change.full_clean()
    saved_by(change, actor=actor)
    if to_status != member.status:
        # The policy (or the officer's override, checked above) decided the change; who
        # applied it is named on the status change too, not only on the decision.
        member_update(member=member, actor=actor, changes={"status": to_status}, role_checked=False)
    return change


def arrears_notice_send(change_id: int) -> int:
    """Mail the member their notice before suspension, in the words the local wrote, then
    what they owe as their dues page names it (_dues_named)."""
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
    notice = Template(policy.notice_text).render(context).rstrip()
    send_mail(
        subject=policy.notice_subject,
        message=f"{notice}\n\n{_dues_named(change)}\n",
        from_email=None,
        recipient_list=[member.email],
    )
    return 1


def _dues_named(change: StandingChange) -> str:
    """The member's dues on the notice's day in the words of their dues page (dues/words.py)
    and by the ledger's rule; where the policy counts its months owed otherwise (dues in
    advance, a grace period), its count too, each named, as the change's reason names them:
    the local's own text names only the policy's."""
    day, policy = change.effective_on, change.policy
    # A past day from the records as they stood at its end, as the reason reads them;
    # today's (the nightly run's) as the dues page shows them, charges not yet due included.
    recorded_by = day if day < timezone.localdate() else None
    dues = member_dues_summary(change.member, day, recorded_by=recorded_by)
    lines = [
        f"Your dues on {day}, as your dues page shows them:",
        f"{PAST_DUE}: {currency(dues.past_due)}",
        f"{BALANCE}: {balance_words(dues.balance)}",
        f"{MONTHS_BEHIND}: {dues.months_in_arrears}",
    ]
    if dues.months_in_arrears != change.months_owed:
        # "Dues in advance: a month is owed from its due date" -> "a month is owed from ..."
        rule = Convention(policy.convention).label.rpartition(": ")[2]
        grace = f", after {policy.grace_days} days' grace" if policy.grace_days else ""
        lines[-1] += " (a month counts from the day after its due date)"
        lines.append(
            f"Months owed by arrears policy {policy.version}: {change.months_owed} "
            f"({rule[:1].lower()}{rule[1:]}{grace}). This notice goes by the policy's count."
        )
    return "\n".join(lines)


@transaction.atomic
def standing_override(*, member: Member, status: str, reason: str, actor: Actor) -> StandingChange:
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
    """Hold the arrears policy's changes to one member until released: an officer's act."""
    if not reason.strip():
        raise ValidationError({"reason": "Say why the member is held."})
    Member.objects.select_for_update().get(pk=member.pk)
    if StandingHold.objects.filter(member=member, released_at__isnull=True).exists():
        raise ValidationError(f"{member} is already held.")
    hold = StandingHold(member=member, reason=reason.strip(), held_by=actor_checked(actor))
    saved_by(hold, actor=actor)
    return hold


def standing_hold_release(*, hold: StandingHold, actor: Actor) -> StandingHold:
    if hold.released_at is None:
        hold.released_at = timezone.now()
        hold.released_by = person(actor)
        saved_by(hold, actor=actor)
    return hold
