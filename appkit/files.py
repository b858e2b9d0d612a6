"""Files in and out, for every app: an upload's bytes read as CSV text (its encoding found,
Excel's tab-separated "Unicode text" read as CSV, a NUL refused naming its cell), a
command's file held to its upload's size limit, and CSV cells written safe to open in a
spreadsheet (and read back as they were). Generic: it knows no app."""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterable, Iterator

from django.conf import settings

# A cell starting with one of these is a formula to a spreadsheet (CSV injection):
# exports prefix it with an apostrophe. A plain number is not ("-5.00", money owed back):
# prefixed, it would be text to the spreadsheet, and no longer add up.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def cell_for_export(value: object) -> str:
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(text):
        return f"'{text}"
    return text


class _Echo:
    """A file whose write() hands the line back, so rows stream one at a time."""

    def write(self, line: str) -> str:
        return line


def csv_lines(header: Iterable[str], rows: Iterable[Iterable[object]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(list(header))
    for row in rows:
        yield writer.writerow([cell_for_export(value) for value in row])


def cell_from_import(text: str) -> str:
    """A cell's value, without the apostrophe an export put before a formula-like value."""
    text = text.strip()
    if text.startswith("'") and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text


class UndecodableFile(ValueError):
    """Bytes that are not text we can read (a spreadsheet, a picture, a NUL byte...);
    `row` and `column` say where, when one place is to blame."""

    def __init__(self, message: str, *, row: int | None = None, column: str = "") -> None:
        super().__init__(message)
        self.message, self.row, self.column = message, row, column

    def __str__(self) -> str:
        if self.row is None:
            return self.message
        return f"Row {self.row}, {self.column}: {self.message}"


# Byte-order marks, longest first (UTF-32's starts as UTF-16's does).
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
SAVE_AS_CSV = 'In the spreadsheet, use "Save as" → "CSV UTF-8" and upload that file.'
NUL_IN_CELL = (
    "This cell holds a NUL character (byte 0), which no text may hold (a damaged export "
    "often leaves one). Remove it, or save the file again from the spreadsheet."
)


def upload_file_read(path, *, limit_setting: str) -> bytes:
    """The bytes of a file a command imports, held to the same size limit as an upload of
    its kind (`limit_setting` names it). Raises OSError, or UndecodableFile when too big."""
    limit = getattr(settings, limit_setting)
    size = path.stat().st_size
    if size > limit:
        raise UndecodableFile(
            f"The file is {size:,} bytes; the limit is {limit:,} ({limit_setting}). Split it."
        )
    return path.read_bytes()


def decode_upload(raw: bytes) -> str:
    """The CSV text of an upload: decoded by its byte-order mark (UTF-8, or UTF-16 as
    Excel's "Unicode text" is), else UTF-8, else Windows-1252. Tab-separated text (Excel's
    "Unicode text" is) comes back as the same rows in CSV. Text no database can hold (a NUL
    character) is refused, naming its row and column; no message here quotes the file."""
    text = _decoded(raw)
    if _tab_separated(text):
        text = _as_csv(text)
    if "\x00" in text:
        raise _nul_found(text)
    return text


def _decoded(raw: bytes) -> str:
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            try:
                return raw.decode(encoding)
            except UnicodeDecodeError:
                raise UndecodableFile(
                    f"The file starts as {encoding.removesuffix('-sig').upper()} text but is "
                    f"cut short or damaged further on. {SAVE_AS_CSV}"
                ) from None
    if raw[:4000].count(0) * 4 > len(raw[:4000]):
        raise UndecodableFile(
            "The file is full of NUL bytes: UTF-16 text without its byte-order mark, or not "
            f"text at all. {SAVE_AS_CSV}"
        )
    for encoding in ("utf-8", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UndecodableFile(
        f"The file is not CSV text (neither UTF-8 nor Excel's Windows encoding). {SAVE_AS_CSV}"
    )


def _tab_separated(text: str) -> bool:
    """Whether the header row is separated by tabs, not commas."""
    header = text[: text.find("\n")] if "\n" in text else text
    return "\t" in header and "," not in header


def _as_csv(text: str) -> str:
    out = io.StringIO()
    try:
        csv.writer(out, lineterminator="\n").writerows(
            csv.reader(io.StringIO(text), dialect="excel-tab")
        )
    except csv.Error as exc:
        raise UndecodableFile(f"The file cannot be read as tab-separated text ({exc}).") from None
    return out.getvalue()


def _nul_found(text: str) -> UndecodableFile:
    """The refusal of text holding a NUL, naming the first cell that holds one."""
    try:
        rows = csv.reader(io.StringIO(text))
        header: list[str] = []
        for row_number, cells in enumerate(rows, start=1):
            header = header or cells
            for index, cell in enumerate(cells):
                if "\x00" in cell:
                    return UndecodableFile(
                        NUL_IN_CELL, row=row_number, column=_column_name(header, index)
                    )
    except csv.Error:
        pass
    return UndecodableFile(NUL_IN_CELL.replace("This cell holds", "The file holds"))


def _column_name(header: list[str], index: int) -> str:
    name = header[index].strip() if index < len(header) else ""
    if not name or "\x00" in name or len(name) > 60:
        return f"column {index + 1}"
    return name
