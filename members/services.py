from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from audit.models import AuditAction
from audit.services import audit_event_record

from .forms import MemberImportRowForm
from .member_csv import COLUMNS, REQUIRED_COLUMNS, cell_from_import
from .models import Classification, Member, MemberNote, MemberStatus
from .selectors import member_fields_editable_by, member_note_editable_by, note_visibilities_for

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser
    from django.http import HttpRequest

IMPORT_CHANGE_REASON = "import_members"


@dataclass(frozen=True)
class RowError:
    """What is wrong, where: `row` counts as a spreadsheet does (the header is row 1)."""

    row: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"Row {self.row}, {self.field}: {self.message}"


@dataclass
class MemberImportResult:
    rows: list[tuple[int, Member]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    written: bool = False

    @property
    def members(self) -> list[Member]:
        return [member for _, member in self.rows]

    @property
    def ok(self) -> bool:
        return not self.errors


def members_import(
    *, csv_text: str, actor: AbstractBaseUser | None, dry_run: bool = False
) -> MemberImportResult:
    """Create the members of a CSV file: every row, or, if any row is wrong, none at all.

    Each error names its row and column. With `dry_run`, or when there are errors,
    nothing is written; `members` then holds the unsaved members for a preview.
    """
    result = member_import_check(csv_text)
    if not result.ok or dry_run:
        return result
    try:
        with transaction.atomic():
            bulk_create_with_history(
                result.members,
                Member,
                default_user=actor,
                default_change_reason=IMPORT_CHANGE_REASON,
            )
    except IntegrityError:
        # Another import or an officer added one of these numbers since the check.
        taken = set(
            Member.objects.filter(
                member_number__in=[m.member_number for m in result.members]
            ).values_list("member_number", flat=True)
        )
        result.errors = [
            RowError(row, "member_number", f"Member number {m.member_number} already exists.")
            for row, m in result.rows
            if m.member_number in taken
        ] or [RowError(1, "file", "The import clashed with another change; try again.")]
        return result
    result.written = True
    return result


def member_import_check(csv_text: str) -> MemberImportResult:
    """Parse and validate a member CSV without writing anything."""
    result = MemberImportResult()
    reader = csv.DictReader(io.StringIO(csv_text))
    try:
        header_errors = _header_errors(reader.fieldnames)
    except csv.Error as exc:
        header_errors = [RowError(1, "file", f"Unreadable CSV: {exc}.")]
    if header_errors:
        result.errors = header_errors
        return result
    reader.fieldnames = [name.strip() for name in reader.fieldnames]

    classifications = {c.code.upper(): c for c in Classification.objects.all()}
    first_row_of_number: dict[str, int] = {}
    rows: list[tuple[int, Member]] = []
    for row_number, record in _csv_records(reader, result):
        if None in record:
            result.errors.append(
                RowError(row_number, "file", "This row has more cells than the header.")
            )
            continue
        data = {column: cell_from_import(value or "") for column, value in record.items()}
        if not any(data.values()):
            continue
        data["status"] = data.get("status") or MemberStatus.ACTIVE
        form = MemberImportRowForm(data, classifications=classifications)
        if not form.is_valid():
            result.errors.extend(
                RowError(row_number, column, message)
                for column, messages in form.errors.items()
                for message in messages
            )
            continue
        number = form.cleaned_data["member_number"]
        if number in first_row_of_number:
            result.errors.append(
                RowError(
                    row_number,
                    "member_number",
                    f"Member number {number} is also on row {first_row_of_number[number]}.",
                )
            )
            continue
        first_row_of_number[number] = row_number
        rows.append((row_number, Member(**form.cleaned_data)))

    existing = set(
        Member.objects.filter(member_number__in=list(first_row_of_number)).values_list(
            "member_number", flat=True
        )
    )
    result.errors.extend(
        RowError(
            row_number, "member_number", f"Member number {member.member_number} already exists."
        )
        for row_number, member in rows
        if member.member_number in existing
    )
    result.errors.sort(key=lambda error: error.row)
    if not rows and not result.errors:
        result.errors.append(RowError(1, "file", "The file has a header but no members."))
    result.rows = rows
    return result


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
            result.errors.append(RowError(row_number + 1, "file", f"Unreadable CSV: {exc}."))
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


# --- One member ------------------------------------------------------------------------------


@transaction.atomic
def member_create(*, actor: AbstractBaseUser | None, **fields: Any) -> Member:
    """A new member, checked as the model checks it (its constraints as messages)."""
    member = Member(**fields)
    member.full_clean()
    member._history_user = actor
    member.save()
    return member


@transaction.atomic
def member_update(
    *, member: Member, actor: AbstractBaseUser | None, changes: dict[str, Any]
) -> Member:
    """Change a member's record. Who may change which field is decided here, whatever the
    path (admin, API): Staff change contact data only (DESIGN §3)."""
    editable = member_fields_editable_by(actor) if actor is not None else None
    beyond = sorted(set(changes) - editable) if editable is not None else []
    if beyond:
        raise PermissionDenied(f"Your role may change contact data only, not: {', '.join(beyond)}.")
    # Lock the row: two offices saving the same member must not lose one another's change.
    member = Member.objects.select_for_update().get(pk=member.pk)
    for name, value in changes.items():
        setattr(member, name, value)
    member.full_clean()
    member._history_user = actor
    member.save()
    return member


def member_records_viewed(
    *, actor: AbstractBaseUser, members: list[Member], detail: str, request: HttpRequest | None
) -> None:
    """Member records hold date of birth, address and phone: who read them, where, is on
    record (a member reading their own is not)."""
    if not members or (len(members) == 1 and members[0].user_id == actor.pk):
        return
    if len(members) == 1:
        member = members[0]
        ref = {
            "object_id": member.pk,
            "object_repr": str(member),
            "member_id": member.pk,
            "member_number": member.member_number,
        }
    else:
        ref = {"object_repr": f"{len(members)} members"}
    audit_event_record(
        action=AuditAction.VIEW_SENSITIVE,
        actor=actor,
        model_label="members.member",
        detail=detail,
        request=request,
        **ref,
    )


# --- Member notes ---------------------------------------------------------------------------


def _note_visibility(author: AbstractBaseUser, visibility: str) -> str:
    allowed = note_visibilities_for(author)
    if visibility not in allowed:
        choices = ", ".join(allowed) or "none (you may not write notes)"
        raise ValidationError({"visibility": f"Choose one of: {choices}."})
    return visibility


def _note_text(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": "A note needs some text."})
    return text


@transaction.atomic
def member_note_create(
    *, member: Member, author: AbstractBaseUser, text: str, visibility: str, category: str = ""
) -> MemberNote:
    note = MemberNote(
        member=member,
        author=author,
        text=_note_text(text),
        visibility=_note_visibility(author, visibility),
        category=category or "",
    )
    note.full_clean(exclude=["member", "author"])
    note._history_user = author
    note.save()
    return note


@transaction.atomic
def member_note_update(
    *,
    note: MemberNote,
    actor: AbstractBaseUser,
    text: str | None = None,
    visibility: str | None = None,
    category: str | None = None,
) -> MemberNote:
    # Lock the note: two editors must not overwrite each other's change unseen.
    note = MemberNote.objects.select_for_update().get(pk=note.pk)
    if not member_note_editable_by(note, actor) or note.is_deleted:
        raise PermissionDenied("Only the note's author or an Admin may change it.")
    if text is not None:
        note.text = _note_text(text)
    if visibility is not None:
        note.visibility = _note_visibility(actor, visibility)
    if category is not None:
        note.category = category
    note.full_clean(exclude=["member", "author"])
    note._history_user = actor
    note.save()
    return note


@transaction.atomic
def member_note_delete(*, note: MemberNote, actor: AbstractBaseUser) -> MemberNote:
    """Hide the note (soft delete): it stays in the database, its history and the trail."""
    # Lock the note: an edit and a delete at once must not both be applied unseen.
    note = MemberNote.objects.select_for_update().get(pk=note.pk)
    if not member_note_editable_by(note, actor):
        raise PermissionDenied("Only the note's author or an Admin may delete it.")
    if not note.is_deleted:
        note.is_deleted = True
        note.deleted_at = timezone.now()
        note._history_user = actor
        note.save(update_fields=["is_deleted", "deleted_at", "updated_at"])
    return note
