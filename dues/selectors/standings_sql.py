"""The ledger rules (dues/ledger.py) for many members at once, in one SQL statement
(PostgreSQL and SQLite): the twin of summary.py's member_dues_summary(), held to the same
answers by a property test (dues/tests/test_ledger.py), and what the kept ledgers are
worked out with (dues/services/ledgers.py).

The statement is one text, _STANDINGS_SQL, whose named parts (`{name}`) are filled by
_filled() from the parts below it: nothing is edited into the text after."""

from __future__ import annotations

import datetime
import string
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from members.models import Member

from ..extensions import ARREARS_PROTECTION
from ..ledger import ZERO, Counting, Standing, money, standing_for
from ..models import RECEIVED_STATUSES, DuesPeriod
from .common import FAR_FUTURE, date_from_db, day_end, exact_decimal, money_moved_since


@dataclass(frozen=True)
class DuesStanding:
    member_id: int
    balance: Decimal
    paid_through: str | None  # "YYYY-MM"
    months_in_arrears: int
    charged: Decimal = ZERO
    credit: Decimal = ZERO
    # The due date of the oldest charge not fully covered, and of the oldest one not yet
    # past due on the date asked about (when months in arrears next grows).
    first_uncovered_due: datetime.date | None = None
    next_due: datetime.date | None = None

    @property
    def standing(self) -> Standing:
        return standing_for(self.months_in_arrears)


# The rules of dues/ledger.py in one statement (PostgreSQL and SQLite): each member's
# credit, a running total of their charges oldest first, and a charge is covered while
# the running total stays within the credit. Sums are rounded to cents before comparing:
# SQLite adds decimals as binary floats.
#
# Its parts: `{as_of}` is the parameter (the day asked about); `{received}` the received
# statuses' parameters; `{member_filter}` SQL over `m` (members_member) with its own
# parameters; `{owed}` whether a month is owed on `as_of` (_OWED_SQL); the protected months
# (`{protected_cte}`, `{protected_flag}`, `{protected_join}`: _PROTECTED_*); the records as
# they stood at the end of a day (`{refunded}`, `{late_refunds}`, `{payments_by}`,
# `{adjustments_by}`, `{charges_by}`: _RECORDED_BY_PARTS and _*_BY).
_STANDINGS_SQL = """
WITH credit AS (
    SELECT m.id AS member_id,
           COALESCE((SELECT SUM(p.amount - ({refunded})) FROM dues_payment p{late_refunds}
                     WHERE p.member_id = m.id AND p.status IN ({received}){payments_by}), 0)
         - COALESCE((SELECT SUM(a.amount) FROM dues_adjustment a
                     WHERE a.member_id = m.id{adjustments_by}), 0) AS credit
    FROM members_member m
    WHERE {member_filter}
),{protected_cte}
ledger AS (
    SELECT c.member_id, c.amount, per.year, per.month, per.due_date,
           {protected_flag} AS protected,
           SUM(c.amount) OVER (
               PARTITION BY c.member_id
               ORDER BY per.due_date, per.year, per.month, c.id
               ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
           ) AS running
    FROM dues_duescharge c
    JOIN dues_duesperiod per ON per.id = c.period_id
    JOIN credit ON credit.member_id = c.member_id{protected_join}{charges_by}
)
SELECT credit.member_id,
       COALESCE(SUM(ledger.amount), 0) - credit.credit AS balance,
       MAX(CASE WHEN ROUND(ledger.running, 2) <= ROUND(credit.credit, 2)
                THEN ledger.year * 100 + ledger.month END) AS paid_through,
       COALESCE(SUM(CASE WHEN {owed}
                          AND ROUND(ledger.running, 2) > ROUND(credit.credit, 2)
                          AND ledger.protected = 0
                     THEN 1 ELSE 0 END), 0) AS months_in_arrears,
       COALESCE(SUM(ledger.amount), 0) AS charged,
       credit.credit AS credit,
       MIN(CASE WHEN ROUND(ledger.running, 2) > ROUND(credit.credit, 2)
                THEN ledger.due_date END) AS first_uncovered_due,
       MIN(CASE WHEN ROUND(ledger.running, 2) > ROUND(credit.credit, 2)
                 AND ledger.due_date >= {as_of}
                THEN ledger.due_date END) AS next_due,
       COALESCE(MAX(CAST(ledger.due_date AS TEXT) || '|'
                    || CAST(ledger.year * 100 + ledger.month AS TEXT)), '') AS last_charge_order
FROM credit
LEFT JOIN ledger ON ledger.member_id = credit.member_id
GROUP BY credit.member_id, credit.credit
"""

# The months owed on `as_of` by each counting (ledger.is_owed), over a relation with the
# period's `year`, `month` and `due_date` (`ledger`; `per`, the periods, for the charges
# that stood owed then).
_OWED_SQL = {
    Counting.DUE_DATE: "{over}.due_date < {as_of}",
    Counting.MONTH_END: "{over}.year * 100 + {over}.month < {month}",
    Counting.QUARTER_START: "{over}.year * 100 + ({over}.month - 1) / 3 * 3 + 1 <= {month}",
}

# The protected months as a relation, joined (hashed) rather than a subquery asked again
# for every charge; without any rule, no month is protected.
_PROTECTED_SELECT = "SELECT member_id, year, month FROM ({sql}) p"
_PROTECTED_CTE = "\nprotected AS ({union}),"
_PROTECTED_FLAG = "CASE WHEN pr.member_id IS NULL THEN 0 ELSE 1 END"
_PROTECTED_JOIN = (
    "\n    LEFT JOIN protected pr ON pr.member_id = c.member_id "
    "AND pr.year = per.year AND pr.month = per.month"
)
_UNPROTECTED_PARTS = {"protected_cte": "", "protected_flag": "0", "protected_join": ""}

# The records as they stand (no `recorded_by`): every payment, refund, adjustment and
# charge.
_RECORDED_BY_PARTS = {
    "refunded": "p.refunded_amount",
    "late_refunds": "",
    "payments_by": "",
    "adjustments_by": "",
    "charges_by": "",
}
# As they stood at the end of `{recorded}`: charges due by then, and those owed ahead of
# their due date (a quarter in advance) that stood owed then too.
_CHARGES_BY = "\n    WHERE per.due_date <= {recorded}"
_CHARGES_BY_OR_OWED = "\n    WHERE (per.due_date <= {recorded} OR {owed})"
# Money received, given back or adjusted after that day, taken out again (the few refunds
# made since, joined, rather than every payment's asked again).
_REFUNDED_BY = "p.refunded_amount - COALESCE(late.amount, 0)"
_LATE_REFUNDS = (
    "\n                     LEFT JOIN (SELECT r.payment_id, "
    "SUM(r.amount) AS amount FROM dues_refund r "
    "WHERE r.refunded_date > {recorded} GROUP BY r.payment_id) late "
    "ON late.payment_id = p.id"
)
_PAYMENTS_BY = " AND p.received_date <= {recorded}"
_ADJUSTMENTS_BY = " AND a.created_at < {recorded_end}"


@dataclass(frozen=True)
class _Sql:
    """SQL text, and how many times it takes `as_of` as a parameter (`%s`)."""

    text: str
    as_of_uses: int = 0


_FIELDS = string.Formatter()


def _filled(template: str, **parts: str | _Sql) -> _Sql:
    """`template` with each `{name}` filled by its part (text put in as it is, never read
    for names again); `{as_of}` is the parameter, written `%s` and counted, with the uses of
    the parts that take it too."""
    names = [name for _, name, _, _ in _FIELDS.parse(template) if name is not None]
    uses = sum(1 if name == "as_of" else getattr(parts[name], "as_of_uses", 0) for name in names)
    texts = {name: part.text if isinstance(part, _Sql) else part for name, part in parts.items()}
    return _Sql(template.format(as_of="%s", **texts), uses)


def dues_standings(
    members: QuerySet[Member] | None = None,
    as_of: datetime.date | None = None,
    *,
    recorded_by: datetime.date | None = None,
    counting: str = Counting.DUE_DATE,
) -> dict[int, DuesStanding]:
    """Member id → balance, paid-through and months in arrears, for every member of
    `members` (default: all), in one query whatever their number; `as_of`, `recorded_by`
    and `counting` as member_dues_summary() reads them."""
    as_of = as_of or timezone.localdate()
    if members is None:
        member_filter, filter_params = "1 = 1", []
    else:
        try:
            inner, filter_params = members.values("id").query.sql_with_params()
        except EmptyResultSet:  # e.g. pk__in=[]
            return {}
        member_filter = f"m.id IN ({inner})"
    sql, as_of_uses = standings_sql(
        member_filter, as_of=as_of, recorded_by=recorded_by, counting=counting
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*RECEIVED_STATUSES, *filter_params, *[as_of] * as_of_uses])
        rows = cursor.fetchall()
    return {
        member_id: DuesStanding(
            member_id=member_id,
            balance=money(exact_decimal(balance)),
            paid_through=f"{paid // 100}-{paid % 100:02d}" if paid else None,
            months_in_arrears=int(months),
            charged=money(exact_decimal(charged)),
            credit=money(exact_decimal(credit)),
            first_uncovered_due=date_from_db(first_due),
            next_due=date_from_db(next_due),
        )
        for member_id, balance, paid, months, charged, credit, first_due, next_due, _ in rows
    }


def charge_order(period: DuesPeriod) -> str:
    """Where a charge for `period` sorts among a member's charges, as the set-based rules
    write it (`last_charge_order` of MemberLedger)."""
    return f"{period.due_date.isoformat()}|{period.year * 100 + period.month}"


def standings_sql(
    member_filter: str,
    *,
    as_of: datetime.date,
    recorded_by: datetime.date | None = None,
    counting: str = Counting.DUE_DATE,
) -> tuple[str, int]:
    """The set-based rules, for a member filter (SQL over `m`, members_member), and how
    many times `as_of` is a parameter; the parameters: the received statuses, the
    filter's, then `as_of` that many times. Dates the statement does not take as
    parameters are written into it (they are dates, never text from outside)."""
    month = str(as_of.year * 100 + as_of.month)
    statement = _filled(
        _STANDINGS_SQL,
        received=", ".join(["%s"] * len(RECEIVED_STATUSES)),
        member_filter=member_filter,
        owed=_filled(_OWED_SQL[Counting(counting)], over="ledger", month=month),
        **_protected_parts(recorded_by),
        **_recorded_by_parts(recorded_by, counting=counting, month=month),
    )
    return statement.text, statement.as_of_uses


def _protected_parts(recorded_by: datetime.date | None) -> dict[str, str | _Sql]:
    """The protected months by every rule the apps declare (`dues.arrears_protection`),
    as they stood at the end of `recorded_by` (default: now)."""
    recorded = _date_literal(recorded_by or FAR_FUTURE)
    protections = [p.sql.format(recorded_by=recorded) for p in ARREARS_PROTECTION.declarations()]
    if not protections:
        return dict(_UNPROTECTED_PARTS)
    union = " UNION ".join(_filled(_PROTECTED_SELECT, sql=sql).text for sql in protections)
    return {
        "protected_cte": _filled(_PROTECTED_CTE, union=union),
        "protected_flag": _PROTECTED_FLAG,
        "protected_join": _PROTECTED_JOIN,
    }


def _recorded_by_parts(
    recorded_by: datetime.date | None, *, counting: str, month: str
) -> dict[str, str | _Sql]:
    """The records as they stood at the end of `recorded_by` (None: as they stand)."""
    parts: dict[str, str | _Sql] = dict(_RECORDED_BY_PARTS)
    if recorded_by is None:
        return parts
    recorded = _date_literal(recorded_by)
    if counting == Counting.DUE_DATE:
        parts["charges_by"] = _filled(_CHARGES_BY, recorded=recorded)
    else:
        owed_then = _filled(_OWED_SQL[Counting(counting)], over="per", month=month)
        parts["charges_by"] = _filled(_CHARGES_BY_OR_OWED, recorded=recorded, owed=owed_then)
    if money_moved_since(recorded_by):
        parts |= {
            "refunded": _REFUNDED_BY,
            "late_refunds": _filled(_LATE_REFUNDS, recorded=recorded),
            "payments_by": _filled(_PAYMENTS_BY, recorded=recorded),
            "adjustments_by": _filled(
                _ADJUSTMENTS_BY, recorded_end=_datetime_literal(day_end(recorded_by))
            ),
        }
    return parts


def _date_literal(day: datetime.date) -> str:
    return f"'{datetime.date.isoformat(day)}'"


def _datetime_literal(moment: datetime.datetime) -> str:
    # As the backend stores it (SQLite: UTC text), so that text compares as time.
    return f"'{connection.ops.adapt_datetimefield_value(moment)}'"
