"""The dues reports as CSV, written a row at a time (streamed, or into a job's file)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from appkit.files import csv_lines

from .ledger import money
from .models import MemberLedger

ARREARS_COLUMNS = (
    "member_number",
    "last_name",
    "first_name",
    "classification",
    "status",
    "months_in_arrears",
    "balance",
    "past_due",
    "paid_through",
    "email",
    "phone",
)


def arrears_csv_lines(
    rows: Iterable[MemberLedger], *, hidden: frozenset[str] = frozenset()
) -> Iterator[str]:
    """Members in arrears (from arrears_list), without the fields the reader may not see."""
    columns = [column for column in ARREARS_COLUMNS if column not in hidden]

    def cells(ledger: MemberLedger) -> list[object]:
        member = ledger.member
        values = {
            "member_number": member.member_number,
            "last_name": member.last_name,
            "first_name": member.first_name,
            "classification": member.classification.code,
            "status": member.status,
            "months_in_arrears": ledger.months_in_arrears,
            "balance": ledger.balance,
            "past_due": money(ledger.past_due),  # to the cent on SQLite too
            "paid_through": ledger.paid_through_label,
            "email": member.email,
            "phone": member.phone,
        }
        return [values[column] for column in columns]

    return csv_lines(columns, (cells(row) for row in rows))
