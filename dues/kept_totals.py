"""Running totals the database keeps (dues.KeptTotal), for the pages about the whole local:
how many members of each status, how many stand behind by each count of months and what
they owe, what each period billed, what each month received and refunded.

Summing a million rows on every page is what made those pages slow at scale; so triggers on
the tables themselves (PostgreSQL and SQLite) add each write's change to a total as a new
row, in the writer's own transaction: whoever writes, by service, set-based SQL, or a
migration, the totals follow. New rows, never an update of one row, so two payments never
wait on each other; the nightly check folds the rows into one per total
(`kept_totals_compact`) and names any total that differs from the tables summed afresh
(`kept_totals_check`, also run by the tests after every scenario that moves money).

Each measure is written once below, as SQL over a row: the triggers, the rebuild and the
check all read it from there.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from .models import RECEIVED_STATUSES, KeptTotal

TOTALS = KeptTotal._meta.db_table
_COLUMNS = "measure, status, key, count, amount"


def _month_of(column: str) -> dict[str, str]:
    """A date's month as a number, YYYYMM."""
    return {
        "postgresql": f"(EXTRACT(YEAR FROM {column}) * 100 + EXTRACT(MONTH FROM {column}))::int",
        "sqlite": f"CAST(strftime('%Y%m', {column}) AS INTEGER)",
    }


@dataclass(frozen=True)
class Measure:
    """What one row of `table` adds to the totals of `name`, as SQL over the row `{r}`:
    under which status and key, and how much money; rows where `counted` is false add
    nothing."""

    name: str
    table: str
    status: str
    key: str | dict[str, str]
    amount: str
    counted: str = "1 = 1"

    def values(self, vendor: str, row: str, sign: str = "") -> str:
        """The row's part, as a SELECT of no table (rows of a trigger: NEW, OLD)."""
        key = self.key if isinstance(self.key, str) else self.key[vendor]
        return (
            f"SELECT '{self.name}' AS measure, {self.status} AS status, {key} AS key, "
            f"{sign}1 AS count, {sign}{self.amount} AS amount WHERE {self.counted}"
        ).format(r=row)

    def select(self, vendor: str, table: str, sign: str = "") -> str:
        """Every row's part, of a table (or a transition table)."""
        return self.values(vendor, "r", sign).replace(" WHERE ", f" FROM {table} r WHERE ", 1)


_RECEIVED = ", ".join(f"'{status}'" for status in RECEIVED_STATUSES)

# Members by status (key 0).
MEMBERS = Measure("members", "members_member", "{r}.status", "0", "0")
# Members behind, by their status and months in arrears (the key), with what they owe.
STANDING = Measure(
    "standing",
    "dues_memberledger",
    "{r}.member_status",
    "{r}.months_in_arrears",
    "{r}.balance",
    counted="{r}.months_in_arrears >= 1",
)
# Charges by period (the key: the period's id), with their money.
BILLED = Measure("billed", "dues_duescharge", "''", "{r}.period_id", "{r}.amount")
# Money received, by the month it was received in (the key: YYYYMM).
RECEIVED = Measure(
    "received",
    "dues_payment",
    "''",
    _month_of("{r}.received_date"),
    "{r}.amount",
    counted=f"{{r}}.status IN ({_RECEIVED}) AND {{r}}.received_date IS NOT NULL",
)
# Refunds, by the month they were made in.
REFUNDED = Measure("refunded", "dues_refund", "''", _month_of("{r}.refunded_date"), "{r}.amount")

MEASURES = (MEMBERS, STANDING, BILLED, RECEIVED, REFUNDED)

# Rows' parts summed into totals (a total that sums to nothing is no total).
_SUMMED = (
    "SELECT measure, status, key, SUM(count), SUM(amount) FROM ({rows}) d "
    "GROUP BY measure, status, key HAVING SUM(count) <> 0 OR SUM(amount) <> 0"
)
_GROUPED = f"INSERT INTO {TOTALS} ({_COLUMNS}) {_SUMMED}"


# --- PostgreSQL: a statement trigger per write, over its transition tables ---------------

# A ledger copies its member's status and number (the arrears report sorts and filters on
# them by one index): when it is made, and in the statement that changes the member's,
# where the ledger row's lock orders the copy with any concurrent write to that ledger. A
# new ledger reads its member FOR SHARE, so a change of status being made meanwhile is
# waited for and copied (or waits, and then finds the new ledger to copy to). An insert
# that will meet an existing ledger (ON CONFLICT ... DO UPDATE) leaves the copies alone.
_POSTGRES_COPIES = [
    """
CREATE OR REPLACE FUNCTION dues_ledger_copies() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM dues_memberledger WHERE member_id = NEW.member_id) THEN
        RETURN NEW;
    END IF;
    SELECT status, member_number INTO NEW.member_status, NEW.member_number
    FROM members_member WHERE id = NEW.member_id FOR SHARE;
    RETURN NEW;
END $$""",
    "CREATE TRIGGER dues_ledger_copies BEFORE INSERT ON dues_memberledger "
    "FOR EACH ROW EXECUTE FUNCTION dues_ledger_copies()",
]
_LEDGER_COPY = """
    UPDATE dues_memberledger l SET member_status = n.status, member_number = n.member_number
    FROM new_rows n WHERE l.member_id = n.id
      AND (l.member_status <> n.status OR l.member_number <> n.member_number);"""


def _postgres(measure: Measure) -> list[str]:
    function = f"dues_kept_{measure.name}"
    plus_new = measure.select("postgresql", "new_rows")
    minus_old = measure.select("postgresql", "old_rows", sign="-")
    copy = _LEDGER_COPY if measure is MEMBERS else ""
    body = f"""
CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {_GROUPED.format(rows=plus_new)};
    ELSIF TG_OP = 'UPDATE' THEN
        {_GROUPED.format(rows=f"{plus_new} UNION ALL {minus_old}")};{copy}
    ELSE
        {_GROUPED.format(rows=minus_old)};
    END IF;
    RETURN NULL;
END $$"""
    # PostgreSQL allows transition tables on a trigger of one event only: three triggers.
    referencing = {
        "INSERT": "NEW TABLE AS new_rows",
        "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        "DELETE": "OLD TABLE AS old_rows",
    }
    return [body] + [
        f"CREATE TRIGGER {function}_{event.lower()} AFTER {event} ON {measure.table} "
        f"REFERENCING {tables} FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
        for event, tables in referencing.items()
    ]


def _postgres_reverse(measure: Measure) -> list[str]:
    function = f"dues_kept_{measure.name}"
    return [
        *(
            f"DROP TRIGGER IF EXISTS {function}_{event} ON {measure.table}"
            for event in ("insert", "update", "delete")
        ),
        f"DROP FUNCTION IF EXISTS {function}()",
    ]


# --- SQLite: row triggers -----------------------------------------------------------------


def _sqlite(measure: Measure) -> list[str]:
    trigger = f"dues_kept_{measure.name}"

    plus_new = f"INSERT INTO {TOTALS} ({_COLUMNS}) {measure.values('sqlite', 'NEW')};"
    minus_old = f"INSERT INTO {TOTALS} ({_COLUMNS}) {measure.values('sqlite', 'OLD', '-')};"
    statements = [
        f"CREATE TRIGGER IF NOT EXISTS {trigger}_insert AFTER INSERT ON {measure.table} "
        f"FOR EACH ROW BEGIN {plus_new} END",
        f"CREATE TRIGGER IF NOT EXISTS {trigger}_update AFTER UPDATE ON {measure.table} "
        f"FOR EACH ROW BEGIN {plus_new} {minus_old} END",
        # Django's test flush empties tables with DELETE: audit's guard says when.
        f"CREATE TRIGGER IF NOT EXISTS {trigger}_delete AFTER DELETE ON {measure.table} "
        f"FOR EACH ROW WHEN audit_guard_on() BEGIN {minus_old} END",
    ]
    return statements


# The ledger's copies of its member's status and number (see PostgreSQL's above).
_SQLITE_COPIES = [
    "CREATE TRIGGER IF NOT EXISTS dues_ledger_copies AFTER INSERT ON dues_memberledger "
    "FOR EACH ROW BEGIN UPDATE dues_memberledger SET "
    "member_status = (SELECT status FROM members_member WHERE id = NEW.member_id), "
    "member_number = (SELECT member_number FROM members_member WHERE id = NEW.member_id) "
    "WHERE member_id = NEW.member_id; END",
    "CREATE TRIGGER IF NOT EXISTS dues_ledger_copies_of_member "
    "AFTER UPDATE OF status, member_number ON members_member FOR EACH ROW "
    "WHEN OLD.status <> NEW.status OR OLD.member_number <> NEW.member_number BEGIN "
    "UPDATE dues_memberledger SET member_status = NEW.status, "
    "member_number = NEW.member_number WHERE member_id = NEW.id; END",
]


def _sqlite_reverse(measure: Measure) -> list[str]:
    trigger = f"dues_kept_{measure.name}"
    return [f"DROP TRIGGER IF EXISTS {trigger}_{event}" for event in ("insert", "update", "delete")]


def trigger_sql(vendor: str) -> list[str]:
    build = {"postgresql": _postgres, "sqlite": _sqlite}[vendor]
    copies = {"postgresql": _POSTGRES_COPIES, "sqlite": _SQLITE_COPIES}[vendor]
    return [*copies, *(statement for measure in MEASURES for statement in build(measure))]


def trigger_reverse_sql(vendor: str) -> list[str]:
    build = {"postgresql": _postgres_reverse, "sqlite": _sqlite_reverse}[vendor]
    copies = {
        "postgresql": [
            "DROP TRIGGER IF EXISTS dues_ledger_copies ON dues_memberledger",
            "DROP FUNCTION IF EXISTS dues_ledger_copies()",
        ],
        "sqlite": [
            "DROP TRIGGER IF EXISTS dues_ledger_copies",
            "DROP TRIGGER IF EXISTS dues_ledger_copies_of_member",
        ],
    }[vendor]
    return [*(statement for measure in MEASURES for statement in build(measure)), *copies]


def ensure_sqlite_kept_totals(connection: BaseDatabaseWrapper) -> None:
    """Install again any trigger a SQLite table rebuild dropped."""
    tables = set(connection.introspection.table_names())
    if {TOTALS, *(measure.table for measure in MEASURES)} <= tables:
        with connection.cursor() as cursor:
            for statement in trigger_sql("sqlite"):
                cursor.execute(statement)


# --- Reading, folding, checking -----------------------------------------------------------

Totals = dict[tuple[str, str, int], tuple[int, Decimal]]


def _summed(rows) -> Totals:
    totals: dict[tuple[str, str, int], list] = defaultdict(lambda: [0, Decimal(0)])
    for measure, status, key, count, amount in rows:
        total = totals[(measure, status, int(key))]
        total[0] += int(count)
        total[1] += Decimal(str(amount))
    return {
        key: (count, amount.quantize(Decimal("0.01")))
        for key, (count, amount) in totals.items()
        if count or amount
    }


def kept_totals_compact() -> int:
    """Fold each total's rows into one; returns how many rows were folded. Safe beside
    writers: the DELETE takes the rows it sees, and rows added meanwhile stay as they are."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TOTALS} RETURNING {_COLUMNS}")
        rows = cursor.fetchall()
        KeptTotal.objects.bulk_create(
            KeptTotal(measure=m, status=s, key=k, count=c, amount=a)
            for (m, s, k), (c, a) in _summed(rows).items()
        )
    return len(rows)


def _worked_out() -> Totals:
    with connection.cursor() as cursor:
        cursor.execute(
            " UNION ALL ".join(
                _SUMMED.format(rows=measure.select(connection.vendor, measure.table))
                for measure in MEASURES
            )
        )
        return _summed(cursor.fetchall())


def _kept() -> Totals:
    return _summed(KeptTotal.objects.values_list(*_COLUMNS.split(", ")))


@dataclass(frozen=True)
class TotalDifference:
    measure: str
    status: str
    key: int
    kept: tuple[int, Decimal]
    worked_out: tuple[int, Decimal]

    def __str__(self) -> str:
        where = ", ".join(part for part in (self.status, str(self.key)) if part)
        return (
            f"{self.measure} ({where}): kept {self.kept[0]}, {self.kept[1]}; "
            f"summed afresh {self.worked_out[0]}, {self.worked_out[1]}"
        )


@dataclass(frozen=True)
class CopyDifference:
    member_id: int
    copied: tuple[str, str]  # the ledger's copy of (status, number)
    members: tuple[str, str]  # the member's own

    def __str__(self) -> str:
        return (
            f"member #{self.member_id}: the ledger copies status {self.copied[0]!r} and "
            f"number {self.copied[1]!r}, the member has {self.members[0]!r} and "
            f"{self.members[1]!r}"
        )


_COPIES_DIFFERING = (
    "SELECT {columns} FROM dues_memberledger l JOIN members_member m ON m.id = l.member_id "
    "WHERE l.member_status <> m.status OR l.member_number <> m.member_number"
)


def kept_totals_check() -> list[TotalDifference | CopyDifference]:
    """Each total that differs from its table summed afresh, and each ledger whose copy of
    the member's status or number differs from the member's."""
    kept, worked_out = _kept(), _worked_out()
    none = (0, Decimal("0.00"))
    differences = [
        TotalDifference(*key, kept.get(key, none), worked_out.get(key, none))
        for key in sorted(kept.keys() | worked_out.keys())
        if kept.get(key, none) != worked_out.get(key, none)
    ]
    columns = "l.member_id, l.member_status, l.member_number, m.status, m.member_number"
    with connection.cursor() as cursor:
        cursor.execute(_COPIES_DIFFERING.format(columns=columns))
        differences += [
            CopyDifference(member_id, (status, number), (own_status, own_number))
            for member_id, status, number, own_status, own_number in cursor.fetchall()
        ]
    return differences


def rebuild_sql(vendor: str) -> list[str]:
    """Set the ledgers' copies of members' status and number right, and sum every total
    afresh."""
    return [
        "UPDATE dues_memberledger SET "
        "member_status = (SELECT status FROM members_member m WHERE m.id = member_id), "
        "member_number = (SELECT member_number FROM members_member m WHERE m.id = member_id) "
        f"WHERE member_id IN ({_COPIES_DIFFERING.format(columns='l.member_id')})",
        f"DELETE FROM {TOTALS}",
        *(_GROUPED.format(rows=measure.select(vendor, measure.table)) for measure in MEASURES),
    ]


def kept_totals_rebuild() -> None:
    """The repair after a difference. Writers to the measured tables wait meanwhile."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"LOCK TABLE {TOTALS} IN EXCLUSIVE MODE")
        for statement in rebuild_sql(connection.vendor):
            cursor.execute(statement)
