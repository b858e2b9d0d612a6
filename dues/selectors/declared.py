"""What higher apps declare to the ledger (dues/extensions.py), read for the rules: the
months that are not months in arrears, and the members an employer deducts dues from."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from ..extensions import ARREARS_PROTECTION, DEDUCTED_AT_SOURCE
from .common import FAR_FUTURE


def protected_months(
    member_ids: Iterable[int], *, recorded_by: datetime.date | None = None
) -> dict[int, set[tuple[int, int]]]:
    """Member id → the (year, month) whose unpaid charge is not a month in arrears, by
    every rule the apps declare (`dues.arrears_protection`), as they stood at the end of
    `recorded_by` (default: now)."""
    member_ids = list(member_ids)
    found: dict[int, set[tuple[int, int]]] = {}
    for protection in ARREARS_PROTECTION.declarations():
        months = protection.months(member_ids, recorded_by or FAR_FUTURE)
        for member_id, member_months in months.items():
            found.setdefault(member_id, set()).update(member_months)
    return found


def members_deducted_at_source(
    day: datetime.date, member_ids: Iterable[int] | None = None
) -> set[int]:
    """The members (of `member_ids`; None: all) whose employer deducts their dues on `day`,
    by every app that says so (`dues.deducted_at_source`: check-off)."""
    ids = None if member_ids is None else list(member_ids)
    found: set[int] = set()
    for source in DEDUCTED_AT_SOURCE.declarations():
        found |= source.members(ids, day)
    return found
