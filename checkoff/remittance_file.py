"""Reading an employer's remittance file (CSV or XLSX) into lines, in our layout or theirs
(the employer's saved column mapping). Every row is kept verbatim beside what was read
from it; a row that cannot be read refuses the whole file, naming the row and column."""

from __future__ import annotations

import csv
import datetime
import io
import logging
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings

from appkit.files import UndecodableFile, decode_upload
from appkit.text import RowError, message_text, refused_by_databases
from dues.models import MONEY_LIMIT

from .models import COLUMNS, OPTIONAL_COLUMNS, REQUIRED_COLUMNS, Employer, RemittanceLine

logger = logging.getLogger(__name__)

# Row problems kept to show (all are counted).
ERRORS_SHOWN = 200
# Hours are kept to 9 digits, 2 of them decimals.
HOURS_LIMIT = Decimal("10000000")
CENT = Decimal("0.01")


def _shown(cell: str) -> str:
    """A cell as a message quotes it."""
    return message_text(cell, 40)


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


class _Unreadable(Exception):
    """The file's parser gave up (a broken or hostile file)."""


def is_xlsx(content: bytes) -> bool:
    return content[:4] == b"PK\x03\x04"


def remittance_read(content: bytes, employer: Employer) -> RemittanceRead:
    """The lines of a remittance file, unsaved, or the problems that refuse it. Each cell is
    read by its position under the header; a header naming a column twice, a value beyond
    the header, or a line no database could keep refuses the file, naming the row."""
    result = RemittanceRead()
    limit = settings.REMITTANCE_MAX_BYTES
    if len(content) > limit:
        result.error(
            1, "file", f"The file is {len(content):,} bytes; the limit is {limit:,}. Split it."
        )
        return result
    row_number = 0  # the last row read
    try:
        rows = _rows(content)
        header = next(rows, None)
        row_number = 1
        if header is None:
            result.error(
                1, "file", "The file is empty: it needs a header row and a line per worker."
            )
            return result
        layout = _Layout(_names(header, result), _columns(header, employer, result), header)
        if not result.ok:
            return result
        for row_number, cells in enumerate(rows, start=2):
            if not any(cell.strip() for cell in cells):
                continue
            line = _line(row_number, cells, layout, result)
            if line is not None:
                result.lines.append(line)
    except UndecodableFile as exc:
        result.error(exc.row or row_number + 1, exc.column or "file", exc.message)
        return result
    except _Unreadable as exc:
        result.error(row_number + 1, "file", str(exc))
        return result
    if result.ok and not result.lines:
        result.error(1, "file", "The file has a header but no lines.")
    total = sum((line.amount for line in result.lines), Decimal(0))
    if total >= MONEY_LIMIT:
        result.error(
            1, "amount", f"The lines add up to {total:,}, more than one remittance can be."
        )
    return result


def _rows(content: bytes) -> Iterator[list[str]]:
    """The file's rows of cells; any way its parser fails, as _Unreadable."""
    rows = _xlsx_rows(content) if is_xlsx(content) else _csv_rows(content)
    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except UndecodableFile:
            raise
        except Exception as exc:  # openpyxl, meeting a broken file, raises almost anything
            logger.info("Unreadable remittance file", exc_info=True)
            raise _Unreadable(
                "The file cannot be read as CSV or XLSX "
                f"({message_text(exc, 120) or type(exc).__name__}). Upload the employer's "
                "file as is."
            ) from exc
        yield row


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


def _names(header: list[str], result: RemittanceRead) -> list[str]:
    """Each column's name in a line's kept row (`raw`): its header, or "column 3" where the
    header is blank. A header naming a column twice (case and spaces aside, as `_columns`
    compares them) is refused: which of the two holds the money would be a guess."""
    positions: dict[str, list[int]] = defaultdict(list)
    for index, name in enumerate(header):
        if refused_by_databases(name):
            result.error(1, f"column {index + 1}", CHARACTER_REFUSED)
        elif name.strip():
            positions[name.strip().casefold()].append(index)
    for found in positions.values():
        if len(found) > 1:
            which = " and ".join(f"column {i + 1}" for i in found)
            result.error(
                1,
                "header",
                f'"{_shown(header[found[0]].strip())}" names {which}: each column needs a name '
                "of its own. Rename or remove one and upload the file again.",
            )
    names, taken = [], set(positions)
    for index, name in enumerate(header):
        name = name.strip()
        if not name or refused_by_databases(name):
            name, more = f"column {index + 1}", 1
            while name.casefold() in taken:
                more += 1
                name = f"column {index + 1} ({more})"
        taken.add(name.casefold())
        names.append(name)
    return names


def mapping_clashes(mapping: dict[str, str]) -> list[str]:
    """What is wrong with an employer's file layout (our column → their header): two of our
    columns read from one of their columns (a mapped name, or our own name where none is
    mapped), compared as a file's header is."""
    readers: dict[str, list[str]] = defaultdict(list)
    for ours in (*COLUMNS, *OPTIONAL_COLUMNS):
        theirs = (mapping.get(ours) or "").strip() or ours
        readers[theirs.casefold()].append(ours)
    return [
        f'Their column "{_shown((mapping.get(ours[0]) or "").strip() or ours[0])}" would be '
        f"read as {' and '.join(ours)}: each of our columns needs a column of its own."
        for ours in readers.values()
        if len(ours) > 1
    ]


def _columns(header: list[str], employer: Employer, result: RemittanceRead) -> dict[str, int]:
    """Our column → its index in their header, by the employer's mapping or our names."""
    mapping = {ours: theirs for ours, theirs in (employer.column_mapping or {}).items() if theirs}
    position = {name.strip().casefold(): i for i, name in enumerate(header) if name.strip()}
    columns: dict[str, int] = {}
    for ours in (*COLUMNS, *OPTIONAL_COLUMNS):
        theirs = mapping.get(ours, ours)
        if theirs.strip().casefold() in position:
            columns[ours] = position[theirs.strip().casefold()]
    by_index: dict[int, list[str]] = defaultdict(list)
    for ours, index in columns.items():
        by_index[index].append(ours)
    for index, ours in by_index.items():
        if len(ours) > 1:
            result.error(
                1,
                "header",
                f'"{_shown(header[index].strip())}" (column {index + 1}) is the employer\'s '
                f"column for {' and '.join(ours)} at once: correct {employer.code}'s file "
                "layout so each of our columns has a column of its own.",
            )
    for required in REQUIRED_COLUMNS:
        if required not in columns:
            theirs = mapping.get(required, required)
            result.error(
                1,
                "header",
                f'No "{_shown(theirs)}" column (for {required}). The header has: '
                f"{_shown(', '.join(h for h in header if h)) or 'nothing'}.",
            )
    return columns


@dataclass(frozen=True)
class _Layout:
    names: list[str]  # of each column, in a line's `raw`
    columns: dict[str, int]  # our column → its position
    header: list[str]

    def blank(self, index: int) -> bool:
        return not self.header[index].strip()


CHARACTER_REFUSED = (
    "This cell holds a character no text may hold (a NUL byte, or half of a broken one). "
    "Remove it, or save the file again from the spreadsheet."
)


def _line(
    row_number: int,
    cells: list[str],
    layout: _Layout,
    result: RemittanceRead,
) -> RemittanceLine | None:
    errors_before = result.error_count
    names, columns = layout.names, layout.columns
    beyond = [i for i in range(len(names), len(cells)) if cells[i].strip()]
    if beyond:
        result.error(
            row_number,
            f"column {beyond[0] + 1}",
            f'"{_shown(cells[beyond[0]])}" is beyond the header\'s {len(names)} columns: every '
            "value needs a column in the header (a comma inside a value without quotes around "
            "it splits it in two).",
        )
        return None
    # The row as it was; a blank cell under a blank header holds nothing to keep (a
    # spreadsheet may pad every row to thousands of such cells).
    raw = {
        name: value
        for i, name in enumerate(names)
        if (value := cells[i] if i < len(cells) else "") or not layout.blank(i)
    }
    for name, value in raw.items():
        if refused_by_databases(value):
            result.error(row_number, name, CHARACTER_REFUSED)
    if result.error_count > errors_before:
        return None

    def cell(ours: str) -> str:
        index = columns.get(ours)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    period = _period(cell("period"))
    if period is None:
        result.error(
            row_number, "period", f'"{_shown(cell("period"))}" is not a month: write 2026-03.'
        )
    numbers = {}
    for name in ("amount", "hours", "gross_wages", "base_wages"):
        text = cell(name).replace("$", "").replace(",", "")
        if not text:
            if name == "amount":
                result.error(row_number, name, "The amount is required.")
            continue
        number = _decimal(text)
        if number is None:
            result.error(row_number, name, f'"{_shown(cell(name))}" is not a number.')
            continue
        if name != "hours" and number.as_tuple().exponent < -2:
            result.error(row_number, name, "At most two decimals (cents).")
            continue
        if number < 0:
            # Money back is a reversal of the remittance it came with, not a line.
            result.error(row_number, name, "Cannot be negative.")
            continue
        if name == "hours" and number.quantize(CENT) >= HOURS_LIMIT:
            result.error(row_number, name, f"Not a number of hours: at most {HOURS_LIMIT - 1:,}.")
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
