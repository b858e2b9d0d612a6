"""What an irreversible governance step will do, said before it is done (docs/style.md: "an
irreversible step shown whole first"): applying the arrears policy after its dry run, and
publishing an eligibility list. Reads only."""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Count
from django.utils import timezone

from members.models import Member

from .models import ChangeKind, EligibilityList, Ineligible

if TYPE_CHECKING:
    from .services.arrears import ArrearsRun, Listed

# A list of names this long or shorter is named in full; a longer one is counted.
NAMES_SHOWN = 25
ROWS_SHOWN = 200
_PLAN_FIELDS = (
    "member_id",
    "member_number",
    "name",
    "kind",
    "from_status",
    "to_status",
    "months_owed",
    "amount_owed",
    "held",
    "emailed",
)


# --- The arrears policy: what a dry run listed --------------------------------------------


def arrears_plan(run: ArrearsRun) -> dict[str, Any]:
    """The dry run's list, kept in its job's outcome: every change it proposed, so that
    applying it later applies exactly these (and the confirmation can say what they are)."""
    notices = [p.member_id for p in run.proposals if p.kind == ChangeKind.NOTICE and not p.held]
    with_email: set[int] = set()
    for start in range(0, len(notices), 5000):
        with_email |= set(
            Member.objects.filter(pk__in=notices[start : start + 5000])
            .exclude(email="")
            .values_list("pk", flat=True)
        )
    return {
        "day": run.day.isoformat(),
        "policy": run.policy.version,
        "fee": str(run.policy.reinstatement_fee),
        "changes": [
            [
                p.member_id,
                p.member_number,
                p.name,
                str(p.kind),
                str(p.from_status),
                str(p.to_status),
                p.months_owed,
                str(p.amount_owed),
                bool(p.held),
                p.member_id in with_email,
            ]
            for p in run.proposals
        ],
    }


@dataclass(frozen=True)
class PlannedChange:
    member_id: int
    member_number: str
    name: str
    kind: str
    from_status: str
    to_status: str
    months_owed: int
    amount_owed: Decimal
    held: bool
    emailed: bool

    @property
    def kind_label(self) -> str:
        return ChangeKind(self.kind).label


@dataclass(frozen=True)
class KindTotal:
    label: str
    count: int
    owed: Decimal


@dataclass
class ArrearsPlan:
    """A dry run's list, as its confirmation says it."""

    day: datetime.date
    policy: str
    fee: Decimal
    changes: list[PlannedChange] = field(default_factory=list)

    @property
    def to_apply(self) -> list[PlannedChange]:
        return [c for c in self.changes if not c.held]

    @property
    def held(self) -> list[PlannedChange]:
        return [c for c in self.changes if c.held]

    @property
    def listed(self) -> set[Listed]:
        return {(c.member_id, c.kind, c.to_status) for c in self.to_apply}

    @property
    def by_kind(self) -> list[KindTotal]:
        counts = Counter(c.kind for c in self.to_apply)
        return [
            KindTotal(
                kind.label,
                counts[kind],
                sum((c.amount_owed for c in self.to_apply if c.kind == kind), Decimal("0.00")),
            )
            for kind in ChangeKind
            if counts[kind]
        ]

    @property
    def suspensions(self) -> int:
        return sum(1 for c in self.to_apply if c.kind == ChangeKind.SUSPEND)

    @property
    def fees(self) -> Decimal:
        return self.fee * self.suspensions

    @property
    def emailed(self) -> list[PlannedChange]:
        return [c for c in self.to_apply if c.emailed]

    @property
    def not_emailed(self) -> int:
        return sum(1 for c in self.to_apply if c.kind == ChangeKind.NOTICE and not c.emailed)

    @property
    def names_shown(self) -> int:
        return NAMES_SHOWN

    @property
    def rows_shown(self) -> list[PlannedChange]:
        return self.to_apply[:ROWS_SHOWN]


def arrears_plan_of(outcome: dict[str, Any]) -> ArrearsPlan | None:
    """The list a dry run's job kept, or None if it kept none (an older or a failed run)."""
    plan = outcome.get("plan")
    if not isinstance(plan, dict) or "changes" not in plan:
        return None
    changes = []
    for row in plan["changes"]:
        values = dict(zip(_PLAN_FIELDS, row, strict=True))
        values["amount_owed"] = Decimal(values["amount_owed"])
        changes.append(PlannedChange(**values))
    return ArrearsPlan(
        day=datetime.date.fromisoformat(plan["day"]),
        policy=plan["policy"],
        fee=Decimal(plan["fee"]),
        changes=changes,
    )


# --- Publishing an eligibility list -------------------------------------------------------


@dataclass(frozen=True)
class PublishFacts:
    """What publishing a draft list freezes."""

    elist: EligibilityList
    reasons: list[tuple[str, int]]
    worked_out_early: bool

    @property
    def count(self) -> int:
        return self.elist.eligible_count + self.elist.ineligible_count


def eligibility_publish_facts(elist: EligibilityList) -> PublishFacts:
    """The counts the list freezes, why the ineligible are so, and whether it was worked out
    before its record date had ended (a payment received later that day is not on it)."""
    counts = dict(
        elist.entries.filter(eligible=False)
        .values("reason_code")
        .annotate(n=Count("pk"))
        .values_list("reason_code", "n")
    )
    reasons = [(Ineligible(code).label, counts[code]) for code in Ineligible if counts.get(code)]
    reasons += [(code or "other", n) for code, n in counts.items() if code not in Ineligible.values]
    ended = timezone.make_aware(
        datetime.datetime.combine(elist.record_date + datetime.timedelta(days=1), datetime.time())
    )
    created = getattr(elist, "created_at", None)
    return PublishFacts(
        elist=elist,
        reasons=reasons,
        worked_out_early=created is not None and created < ended,
    )
