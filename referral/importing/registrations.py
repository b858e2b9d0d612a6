"""A vendor's registration list, imported (referral/importing/): see the package's
docstring for the order it keeps."""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from appkit.sql import bulk_insert
from audit.actors import Actor, person
from audit.chain_blocks import chain_in_blocks
from audit.context import actor_label_for
from audit.history import history_of_created
from jobs.progress import Progress
from members.models import Member, MemberStatus

from .. import rules
from ..models import (
    ACTIVE_STATUSES,
    CAPPED_EXEMPTIONS,
    Book,
    EventKind,
    Exemption,
    ExemptionKind,
    Holiday,
    Registration,
    RegistrationEvent,
    RegistrationStatus,
    RuleSet,
)
from ..selectors import rule_set_in_force
from ..services.common import event_of
from .files import (
    IMPORT_REASON,
    PREVIEW_ROWS,
    CellError,
    ImportLayout,
    ReferralImport,
    Refused,
    apn_read,
    chunks,
    count_read,
    date_read,
    header_only,
    local_datetime_read,
    may_import,
    records,
)

REGISTRATION_LAYOUT = ImportLayout(
    columns=(
        "book",
        "member_number",
        "name",
        "tier",
        "apn",
        "registered_at",
        "resign_due",
        "status",
        "check_marks",
    ),
    required=("book", "member_number", "tier", "apn", "registered_at"),
)
REGISTRATION_PREVIEW = (
    "Row",
    "Book",
    "Tier",
    "APN",
    "Member",
    "Our member",
    "Name in the file",
    "Registered",
    "Re-sign due",
    "Status",
)


@dataclass
class _Row:
    """One good row of a registration list."""

    number: int
    book: Book
    member_number: str
    name: str
    tier: int
    apn: Decimal
    registered_at: datetime.datetime
    resign_due: datetime.date | None
    exemption: str  # its kind, for an exempt registrant
    check_marks: int
    member: Member | None = None


def registrations_import(
    *,
    csv_text: str,
    actor: Actor,
    layout: Mapping[str, str] | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ReferralImport:
    """Register the members of a vendor's registration list on its books, as the list has
    them: every row, or, if any row is wrong, none. With `dry_run` nothing is written and
    `preview` shows the first rows. A re-sign date the file leaves blank is the rules' in
    force, counted from today (the vendor's last re-sign is not in the file, and nobody is
    dropped for what the file did not say)."""
    may_import(actor=actor)
    progress = progress or Progress()
    result = ReferralImport()
    rule_set = rule_set_in_force(timezone.localdate())
    if rule_set is None:
        result.error(1, "file", "No referral rules are in force: activate a rule set first.")
        return result
    try:
        # Big batches of events take blocks of the trail's numbers: the import holds no
        # lock on the trail's head (and every login) while it runs (audit.chain_blocks).
        with transaction.atomic(), chain_in_blocks(actor=actor):
            rows = _registration_rows(
                csv_text, REGISTRATION_LAYOUT.with_headers(layout), rule_set, result
            )
            if rows and not dry_run:
                # The books' lock, as registration_register takes it: no registration is
                # drawn on them between the check below and the sequences drawn after it.
                list(
                    Book.objects.select_for_update(no_key=True)
                    .filter(pk__in={row.book.pk for row in rows})
                    .order_by("pk")
                    .values_list("pk", flat=True)
                )
            rows = _not_registered_yet(rows, result)
            header_only(result, rows, "registrations")
            if not result.ok:
                raise Refused
            _resign_dates(rows, rule_set, result)
            result.count = len(rows)
            result.preview = [_preview(row) for row in rows[:PREVIEW_ROWS]]
            if dry_run:
                raise Refused
            progress.step("Writing the registrations", total=len(rows))
            _registrations_write(rows, rule_set, actor, progress)
    except Refused:
        result.errors.sort(key=lambda error: error.row)
        return result
    except IntegrityError:
        result.error(1, "file", "The import clashed with another change; try again.")
        return result
    result.written = True
    return result


def _registration_rows(
    csv_text: str, layout: ImportLayout, rule_set: RuleSet, result: ReferralImport
) -> list[_Row]:
    """The good rows, in the file's order; each problem recorded on `result`. A member
    whom the rules in force would not register (registration_register's refusal) is not
    registered by an import either."""
    books = {book.code.casefold(): book for book in Book.objects.all()}
    read = [
        row
        for number, cells in records(csv_text, layout, result)
        if (row := _registration_row(number, cells, books, result)) is not None
    ]
    members = _members_by_number({row.member_number for row in read})
    rows: list[_Row] = []
    on_row: dict[tuple[int, str], int] = {}  # (book, member number) → its row
    last: dict[int, tuple[int, Decimal, int]] = {}  # book → its last (tier, APN, row)
    for row in read:
        row.member = members.get(row.member_number)
        if row.member is None:
            result.error(
                row.number, "member_number", f"No member has the number {row.member_number!r}."
            )
            continue
        if rules.status_refused(row.member.status, rule_set.register_out_of_standing):
            result.error(row.number, "member_number", _status_refusal(row.member, rule_set))
            continue
        code = row.book.code
        if (row.book.pk, row.member_number) in on_row:
            first = on_row[row.book.pk, row.member_number]
            result.error(
                row.number,
                "member_number",
                f"Member {row.member_number} is also on row {first} for book {code}.",
            )
            continue
        before = last.get(row.book.pk)
        if before is not None and (row.tier, row.apn) < before[:2]:
            result.error(
                row.number,
                "apn",
                f"Tier {row.tier}, APN {row.apn} comes after tier {before[0]}, APN {before[1]} "
                f"(row {before[2]}) for book {code}: list each book in its order, tier then "
                "APN (the order of the rows breaks ties).",
            )
            continue
        on_row[row.book.pk, row.member_number] = row.number
        last[row.book.pk] = (row.tier, row.apn, row.number)
        rows.append(row)
    return rows


def _status_refusal(member: Member, rule_set: RuleSet) -> str:
    if member.status == MemberStatus.DECEASED:
        return f"{member} is deceased."
    return (
        f"{member} is {member.get_status_display().lower()}: the referral rules "
        f"(v{rule_set.version}) register only members in good standing."
    )


def _registration_row(
    number: int, cells: dict[str, str], books: dict[str, Book], result: ReferralImport
) -> _Row | None:
    problems: dict[str, str] = {}

    def cell(column: str, read):
        try:
            return read(cells.get(column, ""))
        except CellError as exc:
            problems[column] = str(exc)
            return None

    book = books.get(cells["book"].casefold())
    if book is None:
        problems["book"] = f"No book {cells['book'] or '(blank)'}."
    elif not book.active:
        problems["book"] = f"Book {book.code} is closed."
    if not cells["member_number"]:
        problems["member_number"] = "The member number is blank."
    tier = cell("tier", _tier_read)
    if book is not None and tier is not None and not 1 <= tier <= book.tiers:
        problems["tier"] = f"Book {book.code} has tiers 1 to {book.tiers}."
    apn = cell("apn", apn_read)
    registered_at = cell("registered_at", local_datetime_read)
    if registered_at is not None and registered_at > timezone.now():
        problems["registered_at"] = f"Registered {cells['registered_at']} is in the future."
    resign_due = cell("resign_due", lambda text: date_read(text) if text else None)
    exemption = cell("status", _exemption_read)
    check_marks = cell("check_marks", count_read)
    for column, message in problems.items():
        result.error(number, column, message)
    if problems:
        return None
    return _Row(
        number=number,
        book=book,
        member_number=cells["member_number"],
        name=cells.get("name", ""),
        tier=tier,
        apn=apn,
        registered_at=registered_at,
        resign_due=resign_due,
        exemption=exemption,
        check_marks=check_marks,
    )


def _tier_read(text: str) -> int:
    found = re.fullmatch(r"(?:book\s*)?([1-9])", text, flags=re.IGNORECASE)
    if found is None:
        raise CellError(f'"{text or "(blank)"}" is not a tier: write 1 to 4 (Book 1 first).')
    return int(found.group(1))


_ON_THE_LIST = {"", "registered", "active", "out of work"}


def _exemption_read(text: str) -> str:
    """The exemption a status names ("exempt: military", "Exempt (Medical)"), or "" for a
    registrant on the book; any other status is not on an out-of-work list."""
    said = text.strip().casefold()
    if said in _ON_THE_LIST:
        return ""
    kinds = ", ".join(ExemptionKind.values)
    if not said.startswith("exempt"):
        raise CellError(
            f'"{text}" is not a status of an out-of-work list: write registered, or exempt '
            f"and its kind ({kinds})."
        )
    kind = said.removeprefix("exempt").strip(" :-()").replace(" ", "_")
    for value, label in ExemptionKind.choices:
        if kind in (value, label.casefold().replace(" ", "_")):
            return value
    raise CellError(f'Say which exemption "{text}" is: exempt and one of {kinds}.')


def _members_by_number(numbers: set[str]) -> dict[str, Member]:
    found: dict[str, Member] = {}
    for chunk in chunks(sorted(numbers)):
        for member in Member.objects.filter(member_number__in=chunk).only(
            "id",
            "member_number",
            "first_name",
            "last_name",
            "status",
            "classification_id",
            "join_date",
        ):
            found[member.member_number] = member
    return found


def _not_registered_yet(rows: list[_Row], result: ReferralImport) -> list[_Row]:
    """The rows whose member is not on that book already (one query a batch of members)."""
    taken: set[tuple[int, int]] = set()
    for chunk in chunks(sorted({row.member.pk for row in rows})):
        taken.update(
            Registration.objects.filter(
                member_id__in=chunk,
                book_id__in={row.book.pk for row in rows},
                status__in=ACTIVE_STATUSES,
            ).values_list("member_id", "book_id")
        )
    kept = []
    for row in rows:
        if (row.member.pk, row.book.pk) in taken:
            result.error(
                row.number,
                "member_number",
                f"Member {row.member_number} is already registered on book {row.book.code}.",
            )
        else:
            kept.append(row)
    return kept


def _resign_dates(rows: list[_Row], rule_set: RuleSet, result: ReferralImport) -> None:
    """A blank re-sign date is the rules', counted from today by the book's region's
    calendar; a date the file gives that has passed is said before anyone confirms."""
    today = timezone.localdate()
    by_region: dict[int, datetime.date] = {}
    for row in rows:
        if row.resign_due is None:
            region = row.book.region_id
            if region not in by_region:
                holidays = set(
                    Holiday.objects.filter(region_id=region, day__gte=today).values_list(
                        "day", flat=True
                    )
                )
                by_region[region] = rules.resign_due(today, rule_set.resign_days, holidays)
            row.resign_due = by_region[region]
    passed = sum(rules.resign_missed(row.resign_due, today) for row in rows)
    if passed:
        result.notes.append(
            f"Re-sign dates in the file already passed: {passed:,} (the next drop of missed "
            "re-signs takes those registrants off their books)."
        )


def _preview(row: _Row) -> list[str]:
    registered = timezone.localtime(row.registered_at)
    return [
        str(row.number),
        row.book.code,
        str(row.tier),
        str(row.apn),
        row.member_number,
        f"{row.member.last_name}, {row.member.first_name}",
        row.name,
        f"{registered:%Y-%m-%d %H:%M}",
        row.resign_due.isoformat(),
        f"exempt ({row.exemption})" if row.exemption else "registered",
    ]


def _registrations_write(
    rows: list[_Row], rule_set: RuleSet, actor: Actor, progress: Progress
) -> None:
    """Write the registrations, in bulk with their history: each with its sequence after
    its book's last, in the file's order, and its REGISTERED event at the file's time (and,
    for an exempt registrant, its exemption, started today)."""
    now = timezone.now()
    sequences = _last_sequences({row.book.pk for row in rows})
    for batch in chunks(rows):
        registrations = []
        for row in batch:
            sequences[row.book.pk] = sequences.get(row.book.pk, 0) + 1
            registrations.append(_registration(row, sequences[row.book.pk], rule_set))
        bulk_insert(registrations)
        history_of_created(registrations, actor=actor, reason=IMPORT_REASON)
        events = [
            _event(registration, EventKind.REGISTERED, row.registered_at, rule_set, actor, row)
            for row, registration in zip(batch, registrations, strict=True)
        ]
        exemptions = []
        for row, registration in zip(batch, registrations, strict=True):
            if row.exemption:
                exemptions.append(_exemption(registration, row.exemption, rule_set, actor))
                events.append(
                    _event(registration, EventKind.EXEMPTION_STARTED, now, rule_set, actor, row)
                )
        for objs in (events, exemptions):
            bulk_insert(objs)
            history_of_created(objs, actor=actor, reason=IMPORT_REASON)
        progress.advance(len(batch))


def _last_sequences(book_ids: set[int]) -> dict[int, int]:
    return dict(
        Registration.objects.filter(book_id__in=book_ids)
        .values("book_id")
        .annotate(last=Max("sequence"))
        .values_list("book_id", "last")
    )


def _registration(row: _Row, sequence: int, rule_set: RuleSet) -> Registration:
    default_tier = rule_set.tier_of(row.member, row.book, timezone.localdate())
    return Registration(
        member=row.member,
        book=row.book,
        tier=row.tier,
        tier_reason="" if row.tier == default_tier else "As the vendor's list had it.",
        apn=row.apn,
        sequence=sequence,
        status=RegistrationStatus.EXEMPT if row.exemption else RegistrationStatus.REGISTERED,
        registered_at=row.registered_at,
        resign_due=row.resign_due,
        check_marks=row.check_marks,
        rule_set=rule_set,
    )


def _event(
    registration: Registration,
    kind: str,
    at: datetime.datetime,
    rule_set: RuleSet,
    actor: Actor,
    row: _Row,
) -> RegistrationEvent:
    """An event as referral.services writes them, with the registration's place after it:
    registered first, then (for an exempt registrant) exempt."""
    exempt = kind == EventKind.EXEMPTION_STARTED
    return event_of(
        registration,
        kind,
        at=at,
        rule_set=rule_set,
        actor=actor,
        reason=row.exemption if exempt else "",
        note=f"{IMPORT_REASON}, row {row.number}.",
        status=RegistrationStatus.EXEMPT if exempt else RegistrationStatus.REGISTERED,
    )


def _exemption(registration: Registration, kind: str, rule_set: RuleSet, actor: Actor) -> Exemption:
    """The exemption the vendor's list gave a registrant, from today (the file does not say
    since when): a capped kind runs the rules' cap from today."""
    today = timezone.localdate()
    ends_on = None
    if kind in CAPPED_EXEMPTIONS:
        ends_on = rules.capped_exemption_end(today, rule_set.exemption_cap_days)
    return Exemption(
        registration=registration,
        kind=kind,
        starts_on=today,
        ends_on=ends_on,
        approved_by=person(actor),
        approved_by_name=actor_label_for(actor),
        note=IMPORT_REASON + ".",
    )
