"""What check-off shows: a batch's totals and what posting it will do, the employers' month
(expected against remitted, lateness, suspense), a member's check-off, the members a person
finds for a line."""

from __future__ import annotations

import datetime
import hashlib
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils import timezone

from dues.ledger import ZERO, money
from dues.selectors import dues_rates_on, exact_decimal
from members.models import Member, MemberStatus
from members.selectors import members_searched

from .matching import POSTED_TO_MEMBER, in_suspense
from .models import (
    SUSPENSE_EXCEPTIONS,
    BatchStatus,
    CheckoffAuthorization,
    Employer,
    LineException,
    RemittanceBatch,
    RemittanceLine,
    SuspenseStatus,
)


@dataclass(frozen=True)
class ExceptionTotal:
    code: str
    label: str
    count: int
    amount: Decimal


@dataclass(frozen=True)
class BatchSummary:
    matched: int  # lines whose money goes (or went) to their member
    matched_total: Decimal
    suspense: int
    suspense_total: Decimal
    exceptions: list[ExceptionTotal]


def batch_summary(batch: RemittanceBatch) -> BatchSummary:
    """The preview's totals: matched, each exception, suspense (one query)."""
    rows = batch.lines.values("exception").annotate(
        count=Count("id"), paying=Count("id", filter=Q(amount__gt=0)), amount=Sum("amount")
    )
    by_code = {row["exception"]: (row["count"], row["amount"] or ZERO) for row in rows}
    paying = {row["exception"]: row["paying"] for row in rows}
    to_member = [
        (paying.get(code, 0), by_code.get(code, (0, ZERO))[1]) for code in POSTED_TO_MEMBER
    ]
    held = [by_code.get(code, (0, ZERO)) for code in SUSPENSE_EXCEPTIONS]
    return BatchSummary(
        matched=sum(count for count, _ in to_member),
        matched_total=sum((amount for _, amount in to_member), ZERO),
        suspense=sum(count for count, amount in held if amount),
        suspense_total=sum((amount for _, amount in held), ZERO),
        exceptions=[
            ExceptionTotal(code.value, code.label, *by_code[code.value])
            for code in LineException
            if code.value in by_code
        ],
    )


@dataclass(frozen=True)
class EmployerMonth:
    """One employer's work month: what its authorized members owe (expected), what it
    remitted, its exceptions and suspense, and how late it is."""

    employer: Employer
    authorized: int
    expected: Decimal
    remitted: Decimal
    exceptions: dict[str, int]
    suspense_month: Decimal  # open, of lines for this work month
    suspense_all: Decimal  # open, of every month
    due: datetime.date
    received_on: datetime.date | None
    days_late: int  # past the due day: until received, or until today if not yet

    @property
    def difference(self) -> Decimal:
        return self.remitted - self.expected


def employers_month(
    year: int, month: int, today: datetime.date | None = None
) -> list[EmployerMonth]:
    """Every employer's work month year-month, in a few queries whatever their number."""
    today = today or timezone.localdate()
    key = year * 100 + month
    covering = CheckoffAuthorization.objects.filter(
        Q(last_month__isnull=True) | Q(last_month__gte=key),
        first_month__lte=key,
        member__status=MemberStatus.ACTIVE,
    ).values_list("employer_id", "member_id", "member__classification_id")
    rates = dues_rates_on(datetime.date(year, month, 1))
    lines = RemittanceLine.objects.filter(
        year=year, month=month, batch__status=BatchStatus.POSTED
    ).values_list(
        "batch__employer_id", "member_id", "amount", "expected", "exception", "batch__received_on"
    )
    remitted: dict[int, Decimal] = defaultdict(lambda: ZERO)
    expected_of_line: dict[tuple[int, int], Decimal] = {}
    exceptions: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    received: dict[int, datetime.date] = {}
    for employer_id, member_id, amount, expected, exception, received_on in lines:
        remitted[employer_id] += amount
        if exception:
            exceptions[employer_id][exception] += 1
        if member_id and expected is not None and amount > 0:
            expected_of_line[(employer_id, member_id)] = expected
        if amount > 0:
            received[employer_id] = min(received.get(employer_id, received_on), received_on)
    authorized: dict[int, int] = defaultdict(int)
    expected: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for employer_id, member_id, classification_id in covering:
        authorized[employer_id] += 1
        rate = rates.get(classification_id)
        flat = rate.monthly_amount if rate else ZERO
        expected[employer_id] += expected_of_line.get((employer_id, member_id), flat)
    open_lines = RemittanceLine.objects.filter(suspense=SuspenseStatus.OPEN)
    suspense_all = dict(
        open_lines.values("batch__employer_id")
        .annotate(total=Sum("amount"))
        .values_list("batch__employer_id", "total")
    )
    suspense_month = dict(
        open_lines.filter(year=year, month=month)
        .values("batch__employer_id")
        .annotate(total=Sum("amount"))
        .values_list("batch__employer_id", "total")
    )
    rows = []
    for employer in Employer.objects.order_by("code"):
        due = employer.due_date(year, month)
        got = received.get(employer.pk)
        late = ((got or today) - due).days
        rows.append(
            EmployerMonth(
                employer=employer,
                authorized=authorized[employer.pk],
                expected=expected[employer.pk],
                remitted=remitted[employer.pk],
                exceptions=dict(exceptions[employer.pk]),
                suspense_month=money(exact_decimal(suspense_month.get(employer.pk) or ZERO)),
                suspense_all=money(exact_decimal(suspense_all.get(employer.pk) or ZERO)),
                due=due,
                received_on=got,
                days_late=max(late, 0) if (got or today > due) else 0,
            )
        )
    return rows


def employers_late(year: int, month: int, today: datetime.date | None = None) -> list[Employer]:
    """The employers with an active member authorized for work month year-month, nothing
    remitted for it, and its due date passed: two small queries, not the month's report
    (the office's home counts them on every visit)."""
    today = today or timezone.localdate()
    key = year * 100 + month
    remitted = RemittanceLine.objects.filter(
        year=year, month=month, batch__status=BatchStatus.POSTED, amount__gt=0
    ).values("batch__employer_id")
    authorized = Employer.objects.filter(
        Q(authorizations__last_month__isnull=True) | Q(authorizations__last_month__gte=key),
        authorizations__first_month__lte=key,
        authorizations__member__status=MemberStatus.ACTIVE,
    )
    return [
        employer
        for employer in authorized.exclude(pk__in=remitted).distinct().order_by("code")
        if employer.due_date(year, month) < today
    ]


@dataclass(frozen=True)
class MemberCheckoff:
    authorizations: list[CheckoffAuthorization]
    last_remittance: dict[int, RemittanceLine]  # employer id → the latest line for the member


def member_checkoff(member_id: int) -> MemberCheckoff:
    authorizations = list(
        CheckoffAuthorization.objects.filter(member_id=member_id)
        .select_related("employer")
        .order_by("-signed_on")
    )
    latest: dict[int, RemittanceLine] = {}
    if not authorizations:  # most members pay directly: one query for them
        return MemberCheckoff(authorizations=[], last_remittance=latest)
    for line in (
        RemittanceLine.objects.filter(
            member_id=member_id, batch__status=BatchStatus.POSTED, amount__gt=0
        )
        .select_related("batch")
        .order_by("-year", "-month", "-id")[:24]
    ):
        latest.setdefault(line.batch.employer_id, line)
    return MemberCheckoff(authorizations=authorizations, last_remittance=latest)


# --- What posting will do -----------------------------------------------------------------

# Lines the confirmation page names one by one (the counts and totals are of every line).
PLAN_SHOWN = 500


@dataclass(frozen=True)
class PostingPlan:
    """What posting a checked batch will do, as `remittance_post` decides it from its lines:
    which become members' payments, which go to suspense, which do nothing."""

    credited: list[RemittanceLine]  # the first PLAN_SHOWN, in file order
    credited_count: int
    credited_total: Decimal
    members_credited: int
    working_count: int  # lines whose working dues are charged as they report
    working_total: Decimal
    suspense: list[RemittanceLine]  # the first PLAN_SHOWN
    suspense_count: int
    suspense_total: Decimal
    nothing: int  # lines that post nothing (MISSING members, amounts of zero)
    # The lines as the page was drawn: posting from it is refused if they have changed
    # since (a line matched meanwhile), so what was confirmed is what posts.
    fingerprint: str


def posting_plan(batch: RemittanceBatch) -> PostingPlan:
    """What posting `batch` will do, line by line (the predicates of remittance_post)."""
    credited, suspense = [], []
    counts = {"credited": 0, "suspense": 0, "nothing": 0, "working": 0}
    totals = {"credited": ZERO, "suspense": ZERO, "working": ZERO}
    members: set[int] = set()
    digest = hashlib.sha256()
    lines = batch.lines.select_related("member").order_by("row_number", "id")
    for line in lines.iterator(chunk_size=2000):
        digest.update(f"{line.pk}:{line.member_id}:{line.exception}:{line.amount};".encode())
        if line.member_id and line.exception in POSTED_TO_MEMBER and line.amount > 0:
            kind, shown = "credited", credited
            members.add(line.member_id)
            if line.expected_working and line.expected_working > 0:
                counts["working"] += 1
                totals["working"] += line.expected_working
        elif in_suspense(line):
            kind, shown = "suspense", suspense
        else:
            counts["nothing"] += 1
            continue
        counts[kind] += 1
        totals[kind] += line.amount
        if len(shown) < PLAN_SHOWN:
            shown.append(line)
    return PostingPlan(
        credited=credited,
        credited_count=counts["credited"],
        credited_total=money(totals["credited"]),
        members_credited=len(members),
        working_count=counts["working"],
        working_total=money(totals["working"]),
        suspense=suspense,
        suspense_count=counts["suspense"],
        suspense_total=money(totals["suspense"]),
        nothing=counts["nothing"],
        fingerprint=digest.hexdigest(),
    )


# --- Finding a member for a line ----------------------------------------------------------

# Members a search shows at most: a person narrows a longer list by typing more.
FOUND_AT_MOST = 20


@dataclass(frozen=True)
class MembersFound:
    members: list[Member]
    more: bool  # more matched than are shown
    authorized: set[int]  # of them, those with a check-off authorization at the employer


def members_found(term: str, employer: Employer) -> MembersFound:
    """The members a person looks for by name or number (a line's member, chosen by hand):
    a whole member number finds that member; otherwise every word must be in their number,
    first or last name, or email (members.selectors.members_searched)."""
    words = term.split()[:5]
    if not words:
        return MembersFound(members=[], more=False, authorized=set())
    members = Member.objects.select_related("classification")
    exact = members.filter(member_number=term.strip())
    if not exact.exists():
        for word in words:
            members = members_searched(members, word[:100])
        exact = members
    found = list(exact.order_by("last_name", "first_name", "member_number")[: FOUND_AT_MOST + 1])
    authorized = set(
        CheckoffAuthorization.objects.filter(
            employer=employer,
            member__in=[m.pk for m in found[:FOUND_AT_MOST]],
            revoked_on__isnull=True,
        ).values_list("member_id", flat=True)
    )
    return MembersFound(
        members=found[:FOUND_AT_MOST], more=len(found) > FOUND_AT_MOST, authorized=authorized
    )
