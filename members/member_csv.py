"""The member CSV format, shared by import and export so an export imports back as it was."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

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

# A cell starting with one of these is a formula to a spreadsheet (CSV injection):
# exports prefix it with an apostrophe, imports take the apostrophe off again.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell_for_export(value: object) -> str:
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text


def cell_from_import(text: str) -> str:
    text = text.strip()
    if text.startswith("'") and text[1:].startswith(_FORMULA_STARTS):
        return text[1:]
    return text


def member_csv_lines(members: Iterable[Member]) -> Iterator[str]:
    """The CSV text of these members, header first, one line at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        line = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return line

    writer.writerow(COLUMNS)
    yield flush()
    for member in members:
        values = {column: getattr(member, column) for column in COLUMNS}
        values["classification"] = member.classification.code
        writer.writerow([cell_for_export(values[column]) for column in COLUMNS])
        yield flush()


def decode_upload(raw: bytes) -> str:
    """Text of an uploaded CSV: UTF-8 (with or without Excel's BOM), else Windows-1252."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252")
