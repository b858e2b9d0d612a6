"""The member CSV format, shared by import and export so an export imports back as it was."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from audit.csv_export import FORMULA_STARTS, csv_lines

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


def cell_from_import(text: str) -> str:
    """A cell's value, without the apostrophe an export put before a formula-like value."""
    text = text.strip()
    if text.startswith("'") and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text


def member_csv_lines(members: Iterable[Member]) -> Iterator[str]:
    """The CSV text of these members, header first, one line at a time."""
    return csv_lines(COLUMNS, (_member_row(member) for member in members))


def _member_row(member: Member) -> list[object]:
    values = {column: getattr(member, column) for column in COLUMNS}
    values["classification"] = member.classification.code
    return [values[column] for column in COLUMNS]


def decode_upload(raw: bytes) -> str:
    """Text of an uploaded CSV: UTF-8 (with or without Excel's BOM), else Windows-1252."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252")
