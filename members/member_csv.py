"""The member CSV format, shared by import and export so an export imports back as it was."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from appkit.files import csv_lines

from .models import Member

# Column order of the export; the import accepts them in any order.
COLUMNS = (
    "member_number",
    "first_name",
    "last_name",
    "classification",
    "status",
    "join_date",
    "email",
    "phone",
    "address_line1",
    "address_line2",
    "city",
    "state",
    "postal_code",
    "date_of_birth",
    "general_notes",
)
REQUIRED_COLUMNS = ("member_number", "first_name", "last_name", "classification", "join_date")


def member_csv_lines(
    members: Iterable[Member], *, hidden: frozenset[str] = frozenset()
) -> Iterator[str]:
    """The CSV text of these members, header first, one line at a time, without the
    columns the reader may not see (members.selectors.member_fields_hidden_from)."""
    columns = [column for column in COLUMNS if column not in hidden]
    return csv_lines(columns, (_member_row(member, columns) for member in members))


def _member_row(member: Member, columns: list[str]) -> list[object]:
    values = {column: getattr(member, column) for column in columns}
    values["classification"] = member.classification.code
    return [values[column] for column in columns]
