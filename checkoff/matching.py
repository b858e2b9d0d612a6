"""Matching a remittance's lines to members (docs/design.md §9, docs/domain.md §1): by
member number, then by the employee id at that employer, then by the SSN's last four digits
with the last name; never by a name alone. Each line gets one exception code, or none;
authorized members the file left out get a MISSING line. A few queries for the whole file,
whatever its length. A line whose money would reach its member but is over the ceiling
(`over_ceiling`) is held in suspense (CEILING) for an officer instead."""

from __future__ import annotations

import datetime
import unicodedata
from collections import defaultdict
from decimal import Decimal

from django.conf import settings
from django.db.models import Q

from dues.ledger import ZERO, working_dues
from dues.selectors import dues_rates_on
from members.models import Member, MemberStatus

from .models import (
    SUSPENSE_EXCEPTIONS,
    BatchStatus,
    CheckoffAuthorization,
    Employer,
    LineException,
    RemittanceLine,
)

# Lines whose money reaches the member they were matched to.
POSTED_TO_MEMBER = ("", LineException.SHORT, LineException.OVER)
# `matched_by` of a line a person matched (remittance_line_match), never the file's data.
BY_A_PERSON = "person"
# A line carrying more than this many times the dues expected of it is a slip (a misplaced
# decimal point, the wrong column), not an overpayment: it is held (CEILING).
FAR_OVER_EXPECTED = 3


def remitted_lines():
    """Lines whose money reached their member, in batches posted and not reversed."""
    return RemittanceLine.objects.filter(
        batch__status=BatchStatus.POSTED, exception__in=POSTED_TO_MEMBER, amount__gt=0
    )


def last_name_key(name: str) -> str:
    """A last name as matching compares it: no accents, case, spaces or punctuation."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "".join(ch for ch in plain.casefold() if ch.isalnum())


def lines_match(employer: Employer, lines: list[RemittanceLine]) -> list[RemittanceLine]:
    """Match `lines` (unsaved, in file order) in place, and give the MISSING lines of the
    file's main work month to add to them."""
    authorizations = list(CheckoffAuthorization.objects.filter(employer=employer))
    by_employee_id = {a.employee_id.strip(): a.member_id for a in authorizations if a.employee_id}
    by_ssn_name: dict[tuple[str, str], set[int]] = defaultdict(set)
    held = {a.member_id for a in authorizations if a.ssn_last4}
    names = dict(Member.objects.filter(pk__in=held).values_list("pk", "last_name"))
    for a in authorizations:
        if a.ssn_last4 and a.member_id in names:
            by_ssn_name[(a.ssn_last4, last_name_key(names[a.member_id]))].add(a.member_id)
    by_number = dict(
        Member.objects.filter(
            member_number__in={line.member_number for line in lines if line.member_number}
        ).values_list("member_number", "pk")
    )
    for line in lines:
        line.member_id, line.matched_by = _member_of(line, by_number, by_employee_id, by_ssn_name)

    members = Member.objects.in_bulk({line.member_id for line in lines if line.member_id})
    authorized = defaultdict(list)
    for a in authorizations:
        authorized[a.member_id].append(a)
    remitted = _months_remitted(employer, members)
    rates = _rates_by_month({(line.year, line.month) for line in lines})
    seen: set[tuple[int, int, int]] = set()
    for line in lines:
        member = members.get(line.member_id)
        if member is not None:
            line.expected, line.expected_working = _expected(
                line, member, rates, remitted, employer.pk
            )
        line.exception = _exception(line, member, authorized, remitted[employer.pk], seen)
    return _missing(employer, lines, authorizations)


def line_matched_by_a_person(line: RemittanceLine, member: Member) -> None:
    """Give an unmatched line of a checked file to the member a person chose for it (by name
    or number: never by itself), and work out its expected dues and exception by the rules
    `lines_match` applies to the file: the member's other lines of the file for that month
    count as its earlier lines do (a second one is DUPLICATE)."""
    employer = line.batch.employer
    authorized = {
        member.pk: list(CheckoffAuthorization.objects.filter(employer=employer, member=member))
    }
    remitted = _months_remitted(employer, {member.pk: member})
    rates = _rates_by_month({(line.year, line.month)})
    earlier = (
        RemittanceLine.objects.filter(
            batch_id=line.batch_id, member=member, year=line.year, month=line.month
        )
        .exclude(pk=line.pk)
        .filter(exception__in=(*POSTED_TO_MEMBER, LineException.CEILING))
    )
    seen = {(member.pk, line.year, line.month)} if earlier.exists() else set()
    line.member, line.matched_by = member, BY_A_PERSON
    line.expected, line.expected_working = _expected(line, member, rates, remitted, employer.pk)
    line.exception = _exception(line, member, authorized, remitted[employer.pk], seen)


def _member_of(line, by_number, by_employee_id, by_ssn_name) -> tuple[int | None, str]:
    if line.member_number and line.member_number in by_number:
        return by_number[line.member_number], "member_number"
    if line.employee_id and line.employee_id in by_employee_id:
        return by_employee_id[line.employee_id], "employee_id"
    if line.ssn_last4 and line.last_name:
        found = by_ssn_name.get((line.ssn_last4, last_name_key(line.last_name)), set())
        if len(found) == 1:  # two members alike: a person decides, not a guess
            return next(iter(found)), "ssn_last4"
    return None, ""


def _months_remitted(employer: Employer, members: dict[int, Member]) -> dict[int, set]:
    """Employer id → the (member, year, month) already remitted by posted batches, for
    these members."""
    remitted: dict[int, set] = defaultdict(set)
    posted = (
        remitted_lines()
        .filter(member_id__in=list(members))
        .values_list("batch__employer_id", "member_id", "year", "month")
    )
    for employer_id, *key in posted:
        remitted[employer_id].add(tuple(key))
    remitted[employer.pk]
    return remitted


def _rates_by_month(months: set[tuple[int, int]]) -> dict[tuple[int, int], dict]:
    return {(y, m): dues_rates_on(datetime.date(y, m, 1)) for y, m in months}


def _expected(
    line, member: Member, rates, remitted: dict[int, set], employer_id: int
) -> tuple[Decimal | None, Decimal | None]:
    """The dues this line should carry at the rate in force for its work month, and the
    working dues within them: the flat monthly amount (unless another employer already
    remitted this month for the member: it is owed once) plus working dues on what the
    line reports. (None, None) if there is no rate, or the earnings it needs are missing."""
    rate = rates[(line.year, line.month)].get(member.classification_id)
    if rate is None:
        return None, None
    working = working_dues(
        rate.working_basis,
        rate.working_rate,
        floor=rate.working_floor,
        cap=rate.working_cap,
        gross_wages=line.gross_wages,
        base_wages=line.base_wages,
        hours=line.hours,
    )
    if working is None:
        return None, None
    key = (member.pk, line.year, line.month)
    flat_paid = any(key in months for other, months in remitted.items() if other != employer_id)
    return (ZERO if flat_paid else rate.monthly_amount) + working, working


def _exception(line, member, authorized, remitted_here: set, seen: set) -> str:
    if member is None:
        return LineException.UNMATCHED
    if member.status != MemberStatus.ACTIVE:
        return LineException.INACTIVE_MEMBER
    if not any(a.covers(line.year, line.month) for a in authorized.get(member.pk, ())):
        return LineException.NO_AUTHORIZATION
    key = (member.pk, line.year, line.month)
    if key in remitted_here or key in seen:
        return LineException.DUPLICATE
    seen.add(key)
    if over_ceiling(line):
        return LineException.CEILING
    if line.expected is not None and line.amount < line.expected:
        return LineException.SHORT
    if line.expected is not None and line.amount > line.expected:
        return LineException.OVER
    return ""


def over_ceiling(line: RemittanceLine) -> bool:
    """Whether a line carries more than may reach a member's ledger by itself: more than the
    local's ceiling for one line (REMITTANCE_LINE_MAX), or more than FAR_OVER_EXPECTED times
    the dues expected of it (when they are known and not nothing)."""
    if line.amount > settings.REMITTANCE_LINE_MAX:
        return True
    expected = line.expected
    return expected is not None and expected > 0 and line.amount > expected * FAR_OVER_EXPECTED


def main_month(lines: list[RemittanceLine]) -> tuple[int, int]:
    """The work month most lines are for (the latest, on a tie)."""
    counts: dict[tuple[int, int], int] = defaultdict(int)
    for line in lines:
        counts[(line.year, line.month)] += 1
    return max(counts, key=lambda month: (counts[month], month))


def _missing(employer, lines, authorizations) -> list[RemittanceLine]:
    """A MISSING line for each active member authorized for the main month whom the file
    does not list for it."""
    if not lines:
        return []
    year, month = main_month(lines)
    listed = {line.member_id for line in lines if (line.year, line.month) == (year, month)}
    absent = {
        a.member_id for a in authorizations if a.covers(year, month) and a.member_id not in listed
    }
    active = Member.objects.filter(pk__in=absent, status=MemberStatus.ACTIVE).filter(
        ~Q(pk__in=listed)
    )
    return [
        RemittanceLine(
            member=member,
            member_number=member.member_number,
            last_name=member.last_name,
            first_name=member.first_name,
            year=year,
            month=month,
            amount=ZERO,
            matched_by="authorization",
            exception=LineException.MISSING,
        )
        for member in active.order_by("member_number")
    ]


def in_suspense(line: RemittanceLine) -> bool:
    return line.exception in SUSPENSE_EXCEPTIONS and line.amount != 0
