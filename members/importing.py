"""Importing members from CSV: every row, or, if any row is wrong, none at all.

The file is read a row at a time, twice at most (a check, then the write): memory stays flat
whatever its length. The write runs in one transaction, a few thousand members per INSERT,
so the trail's history rows and events are written set-based too; their events fill
blocks of the trail's numbers reserved as they go, so the import never holds the trail's
head (and every login) for its whole length (audit.chain_blocks.chain_in_blocks)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction

from appkit.files import cell_from_import
from appkit.sql import bulk_insert
from appkit.text import RowError
from audit.actors import Actor
from audit.chain_blocks import chain_in_blocks
from audit.history import history_of_created
from jobs.progress import Progress

from .forms import MemberImportRowForm
from .member_csv import COLUMNS, REQUIRED_COLUMNS
from .models import Classification, Member, MemberStatus

if TYPE_CHECKING:
    pass

IMPORT_CHANGE_REASON = "import_members"
# Members written per INSERT (with their history rows and events).
WRITE_BATCH = 2000
# Row problems kept to show (all are counted): a file of garbage must not fill a page.
ERRORS_SHOWN = 500
PREVIEW_ROWS = 50


@dataclass
class MemberImportResult:
    count: int = 0  # members the file holds (written, or to be)
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    preview: list[Member] = field(default_factory=list)
    written: bool = False

    @property
    def ok(self) -> bool:
        return not self.error_count

    def error(self, error: RowError) -> None:
        self.error_count += 1
        if len(self.errors) < ERRORS_SHOWN:
            self.errors.append(error)


class _Refused(Exception):
    """Rows were wrong: what the import wrote is rolled back."""


def members_import(
    *,
    csv_text: str,
    actor: Actor,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> MemberImportResult:
    """Create the members of a CSV file: every row, or, if any row is wrong, none at all.

    Each error names its row and column. With `dry_run` nothing is written; `preview` holds
    the first members, unsaved, and `count` how many the file holds."""
    progress = progress or Progress()
    result = MemberImportResult()
    try:
        # The batches' audit events take blocks of numbers reserved for them: the import
        # holds no lock on the trail's head while it runs, and logins go on (audit.chain_blocks).
        with transaction.atomic(), chain_in_blocks(actor=actor):
            batch: list[Member] = []
            for member in _members(csv_text, result, progress):
                if dry_run or not result.ok:
                    continue  # go on checking: every problem is listed at once
                batch.append(member)
                if len(batch) == WRITE_BATCH:
                    _write(batch, actor)
                    batch = []
            if not result.ok or dry_run:
                raise _Refused
            _write(batch, actor)
    except _Refused:
        result.errors.sort(key=lambda error: error.row)
        return result
    except IntegrityError:
        # Another import or an officer added one of these numbers since the check.
        result.error(RowError(1, "file", "The import clashed with another change; try again."))
        return result
    result.written = True
    return result


def _write(members: list[Member], actor: Actor) -> None:
    if members:
        bulk_insert(members)
        history_of_created(members, actor=actor, reason=IMPORT_CHANGE_REASON)


def _members(csv_text: str, result: MemberImportResult, progress: Progress) -> Iterator[Member]:
    """Each good row as an unsaved Member; each problem recorded on `result`."""
    reader = csv.DictReader(io.StringIO(csv_text))
    try:
        header_errors = _header_errors(reader.fieldnames)
    except csv.Error as exc:
        header_errors = [RowError(1, "file", f"Unreadable CSV: {exc}.")]
    for error in header_errors:
        result.error(error)
    if header_errors:
        return
    reader.fieldnames = [name.strip() for name in reader.fieldnames]
    progress.step("Checking the rows", total=max(csv_text.count("\n") - 1, 0))
    form = MemberImportRowForm(
        classifications={c.code.upper(): c for c in Classification.objects.all()}
    )
    first_row_of_number: dict[str, int] = {}
    pending: list[tuple[int, Member]] = []
    for row_number, record in _csv_records(reader, result):
        progress.advance()
        member = _member(row_number, record, form, first_row_of_number, result)
        if member is None:
            continue
        pending.append((row_number, member))
        if len(pending) == WRITE_BATCH:
            yield from _not_taken(pending, result)
            pending = []
    yield from _not_taken(pending, result)
    if not result.count and result.ok:
        result.error(RowError(1, "file", "The file has a header but no members."))


def _member(
    row_number: int,
    record: dict[str, str],
    form: MemberImportRowForm,
    first_row_of_number: dict[str, int],
    result: MemberImportResult,
) -> Member | None:
    if None in record:
        result.error(RowError(row_number, "file", "This row has more cells than the header."))
        return None
    data = {column: cell_from_import(value or "") for column, value in record.items()}
    if not any(data.values()):
        return None
    data["status"] = data.get("status") or MemberStatus.ACTIVE
    if not form.check(data):
        for column, messages in form.errors.items():
            for message in messages:
                result.error(RowError(row_number, column, message))
        return None
    number = form.cleaned_data["member_number"]
    if number in first_row_of_number:
        result.error(
            RowError(
                row_number,
                "member_number",
                f"Member number {number} is also on row {first_row_of_number[number]}.",
            )
        )
        return None
    first_row_of_number[number] = row_number
    return Member(**form.cleaned_data)


def _not_taken(pending: list[tuple[int, Member]], result: MemberImportResult) -> Iterator[Member]:
    """The members whose numbers no member has yet (one query for the batch)."""
    taken = set(
        Member.objects.filter(member_number__in=[m.member_number for _, m in pending]).values_list(
            "member_number", flat=True
        )
    )
    for row_number, member in pending:
        if member.member_number in taken:
            result.error(
                RowError(
                    row_number,
                    "member_number",
                    f"Member number {member.member_number} already exists.",
                )
            )
            continue
        result.count += 1
        if len(result.preview) < PREVIEW_ROWS:
            result.preview.append(member)
        yield member


def _csv_records(
    reader: csv.DictReader, result: MemberImportResult
) -> Iterator[tuple[int, dict[str, str]]]:
    """(row number, record) for each row; a row the csv module cannot read (a cell over its
    size limit, a NUL byte) ends the file with an error naming that row."""
    row_number = 1
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            result.error(RowError(row_number + 1, "file", f"Unreadable CSV: {exc}."))
            return
        row_number += 1
        yield row_number, record


def _header_errors(header: list[str] | None) -> list[RowError]:
    if not header:
        return [RowError(1, "file", "The file is empty: it needs a header row.")]
    names = [name.strip() for name in header]
    errors = [
        RowError(1, name or "(blank)", f"Unknown column. Known columns: {', '.join(COLUMNS)}.")
        for name in names
        if name not in COLUMNS
    ]
    errors += [
        RowError(1, name, "This column appears more than once.")
        for name in sorted({name for name in names if names.count(name) > 1})
    ]
    errors += [
        RowError(1, name, "Required column is missing.")
        for name in REQUIRED_COLUMNS
        if name not in names
    ]
    return errors
