"""Reading the vendor system's CSV exports (referral/importing/): which of the file's
columns holds each of ours (an `ImportLayout`), its rows as our columns' cells, the cells
the vendor writes its own way (APNs, dates, times of day), and what both imports share."""

from __future__ import annotations

import csv
import datetime
import io
import re
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sized
from dataclasses import dataclass, field, replace
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.utils import timezone

from appkit.files import cell_from_import
from appkit.text import RowError
from audit.actors import Actor, person

IMPORT_PERMISSION = "referral.import_vendor_lists"
IMPORT_REASON = "Imported from the vendor's list"
# Rows written per INSERT (with their history rows and events).
WRITE_BATCH = 2000
# Row problems kept to show (all are counted): a file of garbage must not fill a page.
ERRORS_SHOWN = 200
PREVIEW_ROWS = 200


@dataclass(frozen=True)
class ImportLayout:
    """Where a file keeps each of our columns: under our own name, unless `headers` gives
    the file's header for it (our column → theirs), as checkoff's Employer.column_mapping
    does for a remittance. Headers are compared trimmed and regardless of case; the file's
    other columns are left alone (a vendor's export has more than we read)."""

    columns: tuple[str, ...]
    required: tuple[str, ...]
    headers: Mapping[str, str] = field(default_factory=dict)

    def with_headers(self, headers: Mapping[str, str] | None) -> ImportLayout:
        """This layout with the file's own headers for some of our columns (blank: ours)."""
        given = {ours: (theirs or "").strip() for ours, theirs in (headers or {}).items()}
        return replace(self, headers={ours: theirs for ours, theirs in given.items() if theirs})

    def header_of(self, column: str) -> str:
        return self.headers.get(column, column)

    def positions(self, header: list[str]) -> tuple[dict[str, int], list[RowError]]:
        """Our column → its index in the file's header, and what is wrong with the header
        (or the layout) for this file."""
        errors = [
            RowError(1, "layout", f'"{ours}" is not one of ours: {", ".join(self.columns)}.')
            for ours in self.headers
            if ours not in self.columns
        ]
        index_of: dict[str, int] = {}
        for index, name in enumerate(header):
            index_of.setdefault(name.strip().casefold(), index)
        positions: dict[str, int] = {}
        for ours in self.columns:
            index = index_of.get(self.header_of(ours).casefold())
            if index is not None:
                positions[ours] = index
            elif ours in self.required:
                shown = ", ".join(name.strip() for name in header if name.strip()) or "nothing"
                errors.append(
                    RowError(
                        1,
                        "header",
                        f'No "{self.header_of(ours)}" column (for {ours}). The header has: '
                        f"{shown}.",
                    )
                )
        readers: dict[int, list[str]] = defaultdict(list)
        for ours, index in positions.items():
            readers[index].append(ours)
        errors += [
            RowError(
                1,
                "layout",
                f'The column "{header[index].strip()}" would be read as {" and ".join(ours)}: '
                "each of our columns needs a column of its own.",
            )
            for index, ours in readers.items()
            if len(ours) > 1
        ]
        return positions, errors


@dataclass
class ReferralImport:
    """What an import found, and whether it wrote: `count` rows to write (or written),
    the problems by row, a preview of the first rows, and `notes` worth saying before
    anyone confirms (employers that will be made, re-sign dates already passed)."""

    count: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    preview: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    written: bool = False

    @property
    def ok(self) -> bool:
        return not self.error_count

    def error(self, row: int, column: str, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < ERRORS_SHOWN:
            self.errors.append(RowError(row, column, message))


def records(
    csv_text: str, layout: ImportLayout, result: ReferralImport
) -> Iterator[tuple[int, dict[str, str]]]:
    """(row number, our column → its cell) for each row that is not blank; the header's
    problems, or a row the csv module cannot read, are recorded on `result` (and end it)."""
    reader = csv.reader(io.StringIO(csv_text))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        result.error(1, "file", f"Unreadable CSV: {exc}.")
        return
    if not header or not any(name.strip() for name in header):
        result.error(1, "file", "The file is empty: it needs a header row.")
        return
    positions, errors = layout.positions(header)
    for error in errors:
        result.error(error.row, error.column, error.message)
    if errors:
        return
    row_number = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            result.error(row_number + 1, "file", f"Unreadable CSV: {exc}.")
            return
        row_number += 1
        if not any(cell.strip() for cell in cells):
            continue
        yield (
            row_number,
            {
                ours: cell_from_import(cells[index]) if index < len(cells) else ""
                for ours, index in positions.items()
            },
        )


def header_only(result: ReferralImport, rows: Sized, what: str) -> None:
    """A file with nothing under its header is refused, unless its rows were found wrong
    or left alone for a reason (their errors or `notes` say so)."""
    if not rows and result.ok and not result.notes:
        result.error(1, "file", f"The file has a header but no {what}.")


class CellError(ValueError):
    """A cell the vendor wrote in a way we cannot read: the message says how to write it."""


# The vendor's priority number: the day number, and the order within the day in two digits.
_APN = re.compile(r"[0-9]{1,7}\.[0-9]{2}")


def apn_read(text: str) -> Decimal:
    if not _APN.fullmatch(text):
        raise CellError(
            f"APN in the wrong format: {text or '(blank)'} (the day number and two digits "
            "for the order within the day, like 46363.02)."
        )
    return Decimal(text)


_DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y")
_TIME_FORMATS = ("%H:%M", "%H:%M:%S", "%I:%M %p", "%I:%M:%S %p")


def date_read(text: str) -> datetime.date:
    for form in _DATE_FORMATS:
        try:
            return datetime.datetime.strptime(text, form).date()
        except ValueError:
            continue
    raise CellError(f'"{text}" is not a date: write 2026-12-08 (or 12/08/2026).')


def local_datetime_read(text: str) -> datetime.datetime:
    """A date and time of day on the local's wall clock (settings.TIME_ZONE), unless the
    cell gives its offset; a date alone is the start of that day. A time the clock skipped
    (the hour clocks go forward) is refused; a time it showed twice (the hour they go back)
    is the first."""
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        moment = _us_datetime(text)
    if timezone.is_naive(moment):
        moment = _on_the_local_clock(moment, text)
    return moment


def _on_the_local_clock(wall: datetime.datetime, text: str) -> datetime.datetime:
    # A repeated time is its first pass (fold=0, still daylight time), as Python and
    # Django's make_aware read one. The vendor wrote no offset, so which pass it meant is
    # not in the file; either is the same local day, and the book's order comes from the
    # APN and the rows' order, not the time: only the instant the list as of a time reads
    # differs, by an hour of a night when no referral runs. One rule for every such row.
    zone = timezone.get_default_timezone()
    moment = wall.replace(tzinfo=zone, fold=0)
    # A time in the gap has no instant: going round by UTC gives another wall time.
    if moment.astimezone(datetime.UTC).astimezone(zone).replace(tzinfo=None) != wall:
        raise CellError(
            f'"{text}" is not a time the local\'s clock showed: it went forward an hour that '
            f"night ({zone.key} daylight-saving time). Check the time in the vendor's system."
        )
    return moment


def _us_datetime(text: str) -> datetime.datetime:
    day, _, time = text.partition(" ")
    for date_form in _DATE_FORMATS[1:]:
        for time_form in ("", *_TIME_FORMATS):
            try:
                return datetime.datetime.strptime(
                    f"{day} {time.strip()}".strip(), f"{date_form} {time_form}".strip()
                )
            except ValueError:
                continue
    raise CellError(
        f'"{text}" is not a date and time: write 2026-12-08 09:15 (or 12/08/2026 9:15 AM).'
    )


def count_read(text: str) -> int:
    if not text:
        return 0
    if not re.fullmatch(r"[0-9]{1,4}", text):
        raise CellError(f'"{text}" is not a whole number.')
    return int(text)


class Refused(Exception):
    """Rows were wrong, or only a check was asked for: what was written is rolled back."""


def may_import(*, actor: Actor) -> None:
    """Refuse a person whose role may not import the vendor's lists (a named system actor,
    a command, has the authority of the code that names it)."""
    who = person(actor)
    if who is not None and not who.has_perm(IMPORT_PERMISSION):
        raise PermissionDenied("Your role may not import the vendor's lists.")


def chunks(items: list, size: int = WRITE_BATCH):
    for start in range(0, len(items), size):
        yield items[start : start + size]
