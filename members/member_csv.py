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


class UndecodableFile(ValueError):
    """Bytes that are neither UTF-8 nor Windows-1252 text (a spreadsheet, a picture...)."""


def decode_upload(raw: bytes) -> str:
    """Text of an uploaded CSV: UTF-8 (with or without Excel's BOM), else Windows-1252."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UndecodableFile(
        "The file is not CSV text (neither UTF-8 nor Excel's Windows encoding). In the "
        'spreadsheet, use "Save as" → "CSV UTF-8" and upload that file.'
    )
