"""29 CFR 452.87 in the ledger (`dues.arrears_protection`, declared in CheckoffConfig): a
member whose dues an employer deducts keeps good standing for a work month that employer
has not remitted yet, or remitted late. The month is protected while the member had an
authorization in force for it and no posted remittance line of that employer carries the
member's money for it; once remitted, the payment covers it like any other. As the
records stood on a day, a remittance received after it had not arrived yet."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable

from dues.extensions import ArrearsProtection, DeductedAtSource
from dues.models import DuesCharge

from .matching import POSTED_TO_MEMBER, remitted_lines
from .models import BatchStatus, CheckoffAuthorization

_POSTED = ", ".join(f"'{code}'" for code in POSTED_TO_MEMBER)

PROTECTED_SQL = f"""
SELECT DISTINCT a.member_id, per.year, per.month
FROM checkoff_checkoffauthorization a
JOIN credit ON credit.member_id = a.member_id
JOIN dues_duesperiod per
  ON per.year * 100 + per.month >= a.first_month
 AND (a.last_month IS NULL OR per.year * 100 + per.month <= a.last_month)
WHERE NOT EXISTS (
    SELECT 1 FROM checkoff_remittanceline l
    JOIN checkoff_remittancebatch b ON b.id = l.batch_id
    WHERE l.member_id = a.member_id AND l.year = per.year AND l.month = per.month
      AND b.employer_id = a.employer_id AND b.status = '{BatchStatus.POSTED}'
      AND l.exception IN ({_POSTED}) AND l.amount > 0
      AND b.received_on <= {{recorded_by}}
)
"""


def protected_months(
    member_ids: Iterable[int], recorded_by: datetime.date
) -> dict[int, set[tuple[int, int]]]:
    """The same rule as PROTECTED_SQL, for the months these members are charged for."""
    member_ids = list(member_ids)
    authorizations = defaultdict(list)
    for a in CheckoffAuthorization.objects.filter(member_id__in=member_ids):
        authorizations[a.member_id].append(a)
    if not authorizations:
        return {}
    remitted = set(
        remitted_lines()
        .filter(member_id__in=list(authorizations), batch__received_on__lte=recorded_by)
        .values_list("member_id", "batch__employer_id", "year", "month")
    )
    charged = DuesCharge.objects.filter(member_id__in=list(authorizations)).values_list(
        "member_id", "period__year", "period__month"
    )
    protected: dict[int, set[tuple[int, int]]] = defaultdict(set)
    for member_id, year, month in charged:
        for a in authorizations[member_id]:
            if a.covers(year, month) and (member_id, a.employer_id, year, month) not in remitted:
                protected[member_id].add((year, month))
    return dict(protected)


CHECKOFF_PROTECTION = ArrearsProtection(sql=PROTECTED_SQL, months=protected_months)


def deducted_members(member_ids: Iterable[int] | None, day: datetime.date) -> set[int]:
    """Those of these members (None: all) with an authorization in force on `day` (signed
    by then, not revoked by then): their employer deducts their dues."""
    in_force = CheckoffAuthorization.objects.filter(signed_on__lte=day).exclude(revoked_on__lte=day)
    if member_ids is not None:
        in_force = in_force.filter(member_id__in=list(member_ids))
    return set(in_force.values_list("member_id", flat=True))


CHECKOFF_DEDUCTIONS = DeductedAtSource(members=deducted_members)
