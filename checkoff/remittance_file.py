"""Reading an employer's remittance file (CSV or XLSX) into lines, in our layout or theirs
(the employer's saved column mapping). Every row is kept verbatim beside what was read
from it; a row that cannot be read refuses the whole file, naming the row and column."""

from __future__ import annotations

import csv
import datetime
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from members.member_csv import UndecodableFile, decode_upload

from .models import COLUMNS, OPTIONAL_COLUMNS, REQUIRED_COLUMNS, Employer, RemittanceLine

# Row problems kept to show (all are counted).
ERRORS_SHOWN = 200


@dataclass(frozen=True)
class RowError:
    """`row` counts as a spreadsheet does (the header is row 1)."""

    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"Row {self.row}, {self.column}: {self.message}"


@dataclass
class RemittanceRead:
    lines: list[RemittanceLine] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0

    @property
    def ok(self) -> bool:
        return not self.error_count

    def error(self, row: int, column: str, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < ERRORS_SHOWN:
            self.errors.append(RowError(row, column, message))


def is_xlsx(content: bytes) -> bool:
    return content[:4] == b"PK\x03\x04"


def remittance_read(content: bytes, employer: Employer) -> RemittanceRead:
    """The lines of a remittance file, unsaved, or the problems that refuse it."""
    result = RemittanceRead()
    try:
        rows = _xlsx_rows(content) if is_xlsx(content) else _csv_rows(content)
        header = next(rows, None)
    except (UndecodableFile, csv.Error, zipfile.BadZipFile, ValueError, KeyError) as exc:
        result.error(1, "file", _unreadable(exc))
        return result
    if header is None:
        result.error(1, "file", "The file is empty: it needs a header row and a line per worker.")
        return result
    columns = _columns(header, employer, result)
    if not result.ok:
        return result
    try:
        for row_number, cells in enumerate(rows, start=2):
            if not any(cell.strip() for cell in cells):
                continue
            raw = {name: cells[i] if i < len(cells) else "" for i, name in enumerate(header)}
            line = _line(row_number, raw, columns, result)
            if line is not None:
                result.lines.append(line)
    except (csv.Error, ValueError) as exc:
        result.error(len(result.lines) + 2, "file", _unreadable(exc))
    if result.ok and not result.lines:
        result.error(1, "file", "The file has a header but no lines.")
    return result


def _unreadable(exc: Exception) -> str:
    if isinstance(exc, UndecodableFile):
        return str(exc)
    return f"The file cannot be read as CSV or XLSX ({exc}). Upload the employer's file as is."


def _csv_rows(content: bytes) -> Iterator[list[str]]:
    text = decode_upload(content)
    for row in csv.reader(io.StringIO(text)):
        yield [cell.strip() for cell in row]


def _xlsx_rows(content: bytes) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        for row in sheet.iter_rows(values_only=True):
            yield [_xlsx_cell(value) for value in row]
    finally:
        workbook.close()


def _xlsx_cell(value: object) -> str:
    """A spreadsheet cell as the text a CSV would hold. Numbers go through their shortest
    decimal form (a float cell of 45.1 is "45.1", never 45.100000000000001)."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value).removesuffix(".0") if value.is_integer() else repr(value)
    return str(value).strip()


def _columns(header: list[str], employer: Employer, result: RemittanceRead) -> dict[str, int]:
    """Our column → its index in their header, by the employer's mapping or our names."""
    mapping = {ours: theirs for ours, theirs in (employer.column_mapping or {}).items() if theirs}
    position = {name.strip().casefold(): i for i, name in enumerate(header) if name.strip()}
    columns = {}
    for ours in (*COLUMNS, *OPTIONAL_COLUMNS):
        theirs = mapping.get(ours, ours)
        if theirs.strip().casefold() in position:
            columns[ours] = position[theirs.strip().casefold()]
    for required in REQUIRED_COLUMNS:
        if required not in columns:
            theirs = mapping.get(required, required)
            result.error(
                1,
                "header",
                f'No "{theirs}" column (for {required}). The header has: '
                f"{', '.join(h for h in header if h) or 'nothing'}.",
            )
    return columns


def _line(
    row_number: int, raw: dict[str, str], columns: dict[str, int], result: RemittanceRead
) -> RemittanceLine | None:
    cells = list(raw.values())

    def cell(name: str) -> str:
        return cells[columns[name]].strip() if name in columns else ""

    errors_before = result.error_count
    period = _period(cell("period"))
    if period is None:
        result.error(row_number, "period", f'"{cell("period")}" is not a month: write 2026-03.')
    numbers = {}
    for name in ("amount", "hours", "gross_wages", "base_wages"):
        text = cell(name).replace("$", "").replace(",", "")
        if not text:
            if name == "amount":
                result.error(row_number, name, "The amount is required.")
            continue
        number = _decimal(text)
        if number is None:
            result.error(row_number, name, f'"{cell(name)}" is not a number.')
            continue
        if name != "hours" and number.as_tuple().exponent < -2:
            result.error(row_number, name, "At most two decimals (cents).")
            continue
        if number < 0:
            # Money back is a reversal of the remittance it came with, not a line.
            result.error(row_number, name, "Cannot be negative.")
            continue
        numbers[name] = number
    ssn = cell("ssn_last4")
    if ssn and not (ssn.isascii() and ssn.isdigit() and len(ssn) <= 4):
        result.error(row_number, "ssn_last4", "Only the last four digits of the SSN.")
    if result.error_count > errors_before:
        return None
    return RemittanceLine(
        row_number=row_number,
        raw=raw,
        member_number=cell("member_number")[:40],
        last_name=cell("last_name")[:100],
        first_name=cell("first_name")[:100],
        employee_id=cell("employee_id")[:40],
        ssn_last4=ssn.zfill(4) if ssn else "",
        year=period[0],
        month=period[1],
        hours=numbers.get("hours"),
        gross_wages=numbers.get("gross_wages"),
        base_wages=numbers.get("base_wages"),
        amount=numbers["amount"],
    )


def _period(text: str) -> tuple[int, int] | None:
    """A work month from "2026-03", "2026-03-01" or "03/2026"."""
    text = text.strip()
    try:
        if "/" in text:
            month, year = text.split("/")
            parsed = (int(year), int(month))
        else:
            year, month, *_ = text.split("-")
            parsed = (int(year), int(month))
    except ValueError:
        return None
    if not (2000 <= parsed[0] <= 2100 and 1 <= parsed[1] <= 12):
        return None
    return parsed


def _decimal(text: str) -> Decimal | None:
    if not text.isascii():
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    if not number.is_finite() or abs(number) >= Decimal("1000000000"):
        return None
    return number
