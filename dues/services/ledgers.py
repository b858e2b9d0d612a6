"""The member ledgers (MemberLedger): each member's dues as the rules work them out, kept
in the transaction of every write that changes them, so pages about many members read
them instead of working out the whole local."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import connection, transaction
from django.utils import timezone

from ..kept_totals import kept_totals_check, kept_totals_compact, kept_totals_rebuild
from ..models import RECEIVED_STATUSES, MemberLedger
from ..selectors import dues_standings, member_ledger, standings_sql

if TYPE_CHECKING:
    from members.models import Member

# Members worked out per statement (a parameter list per batch).
BATCH = 2000

_COLUMNS = (
    "charged",
    "credit",
    "balance",
    "paid_through",
    "first_uncovered_due",
    "months_in_arrears",
    "as_of",
    "next_due",
    "last_charge_order",
)


@transaction.atomic  # its row locks hold to the end: a command or a job calls it bare
def member_ledgers_refresh(
    member_ids: Iterable[int] | None = None, *, as_of: datetime.date | None = None
) -> None:
    """Work these members' ledgers out again by the rules (all members: None) and keep
    the answers, set-based."""
    as_of = as_of or timezone.localdate()
    if member_ids is None:
        _refresh("1 = 1", [], as_of)
        return
    ids = sorted(set(member_ids))
    if ids:
        _planned_for_batches()
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        # Lock the ledger rows first: a write to the same member that commits meanwhile is
        # then seen by the statement below, rather than overwritten by an older answer.
        list(
            MemberLedger.objects.select_for_update()
            .filter(member_id__in=batch)
            .values_list("member_id", flat=True)
        )
        _refresh(f"m.id IN ({', '.join(['%s'] * len(batch))})", batch, as_of)


def _planned_for_batches() -> None:
    """A batch's charges and payments are some thirty rows for each of a few thousand
    members, read by index. At PostgreSQL's default cost of a random read (4, made for
    spinning disks) the planner scans and hashes every charge of the local instead (at
    100,000 members, 2.8 million rows for 60,000: 1.4 s a batch against 0.5 s), and it
    JIT-compiles each batch's statement anew (90 ms, to save less). For the rest of this
    transaction (so it holds behind a pooler too): the cost of a read on the solid-state
    disks databases run on, and no JIT."""
    if connection.vendor == "postgresql" and not connection.get_autocommit():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL random_page_cost = 1.1")
            cursor.execute("SET LOCAL jit = off")


def _refresh(member_filter: str, filter_params: list, as_of: datetime.date) -> None:
    table = MemberLedger._meta.db_table
    updates = ", ".join(f"{column} = excluded.{column}" for column in _COLUMNS)
    statement, as_of_uses = standings_sql(member_filter, as_of=as_of)
    sql = (
        f"INSERT INTO {table} (member_id, {', '.join(_COLUMNS)}) "
        "SELECT member_id, charged, credit, balance, paid_through, first_uncovered_due, "
        f"months_in_arrears, %s, next_due, last_charge_order "
        f"FROM ({statement}) s "
        # SQLite needs a WHERE here to read ON CONFLICT as the upsert clause.
        f"WHERE true ON CONFLICT (member_id) DO UPDATE SET {updates}"
    )
    params = [as_of, *RECEIVED_STATUSES, *filter_params, *[as_of] * as_of_uses]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def member_ledgers_bring_up_to_date(
    today: datetime.date | None = None, *, member_ids: Iterable[int] | None = None
) -> int:
    """Count months in arrears again for the members (of `member_ids`; None: all) whose
    next uncovered charge fell due since their ledger was worked out; returns how many.
    None, most days. A write of the kept ledgers only, the same whoever asks: pages, jobs
    and extensions call it before reading kept ledgers or totals (dues.selectors only
    reads them)."""
    today = today or timezone.localdate()
    ledgers = MemberLedger.objects.filter(next_due__lt=today)
    if member_ids is not None:
        ledgers = ledgers.filter(member_id__in=list(member_ids))
    stale = list(ledgers.values_list("member_id", flat=True))
    if stale:
        member_ledgers_refresh(stale, as_of=today)
    return len(stale)


def member_ledger_bring_up_to_date(member: Member) -> MemberLedger:
    """One member's kept ledger with its `past_due` (dues.selectors.member_ledger), up to
    today: as member_ledgers_bring_up_to_date(member_ids=[member.pk]) then member_ledger(),
    in one query most days. The ledger read says itself whether a charge fell due since it
    was worked out (its `next_due` is past, the same rule); only then is it counted again
    and read again."""
    ledger = member_ledger(member)
    if ledger.next_due is not None and ledger.next_due < timezone.localdate():
        member_ledgers_refresh([member.pk])
        ledger = member_ledger(member)
    return ledger


@dataclass(frozen=True)
class LedgerDifference:
    member_id: int
    field: str
    kept: object
    worked_out: object

    def __str__(self) -> str:
        return (
            f"member #{self.member_id}: {self.field} is {self.kept} in the ledger, "
            f"{self.worked_out} by the rules"
        )


def member_ledgers_check(*, as_of: datetime.date | None = None) -> list[LedgerDifference]:
    """Work every member's ledger out afresh and name each place the kept one differs."""
    as_of = as_of or timezone.localdate()
    member_ledgers_bring_up_to_date(as_of)
    worked_out = dues_standings(as_of=as_of)
    kept = {row.member_id: row for row in MemberLedger.objects.all()}
    differences = []
    for member_id, standing in worked_out.items():
        row = kept.get(member_id)
        paid = standing.paid_through.replace("-", "") if standing.paid_through else None
        expected = {
            "charged": standing.charged,
            "credit": standing.credit,
            "balance": standing.balance,
            "paid_through": int(paid) if paid else None,
            "first_uncovered_due": standing.first_uncovered_due,
            "months_in_arrears": standing.months_in_arrears,
        }
        if row is None:
            if any(expected[name] for name in expected):
                differences.append(LedgerDifference(member_id, "ledger", None, "activity"))
            continue
        differences += [
            LedgerDifference(member_id, name, getattr(row, name), value)
            for name, value in expected.items()
            if getattr(row, name) != value
        ]
    return differences


def ledgers_and_totals_check(*, repair: bool = False) -> list[str]:
    """Every kept ledger worked out afresh by the rules, every kept total summed afresh from
    its table (folded first): each difference, in words. With `repair`, set right too."""
    member_ledgers_bring_up_to_date()
    kept_totals_compact()
    with _one_snapshot():
        ledgers = member_ledgers_check()
        totals = kept_totals_check()
    if ledgers and repair:
        member_ledgers_refresh({d.member_id for d in ledgers})
    if totals and repair:
        kept_totals_rebuild()
    return [str(d) for d in [*ledgers, *totals]]


@contextmanager
def _one_snapshot() -> Iterator[None]:
    """Read the tables and their caches in one snapshot (PostgreSQL's repeatable read): a
    payment committed between reading a cache and summing its table is not a difference.
    (Inside a transaction already begun, its own snapshot rules.)"""
    if connection.vendor != "postgresql" or not connection.get_autocommit():
        yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield
