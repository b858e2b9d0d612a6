"""Employers and check-off authorizations from CSV, as members are imported: every row or,
if any row is wrong, none, each problem named by row and column."""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction

from appkit.text import RowError
from audit.actors import Actor, saved_by
from dues.services import member_ledgers_refresh
from members.models import Member

from .models import EMPLOYER_FIELDS, CheckoffAuthorization, Employer

if TYPE_CHECKING:
    pass

EMPLOYER_COLUMNS = EMPLOYER_FIELDS
AUTHORIZATION_COLUMNS = (
    "employer_code",
    "member_number",
    "employee_id",
    "ssn_last4",
    "signed_on",
    "revoked_on",
)
ERRORS_SHOWN = 200
# One of what an import reads, for its messages: "1 employer", "3 authorizations".
ONE_OF = {"employers": "employer", "authorizations": "authorization"}


@dataclass
class CheckoffImport:
    count: int = 0
    errors: list[RowError] = field(default_factory=list)
    written: bool = False
    made: list = field(default_factory=list)  # what a check would write, for its preview

    @property
    def ok(self) -> bool:
        return not self.errors


class _Refused(Exception):
    pass


def employers_import(*, csv_text: str, actor: Actor, dry_run: bool = False) -> CheckoffImport:
    """Create employers (columns EMPLOYER_COLUMNS; code and name required)."""
    return _import(csv_text, ("code", "name"), _employer, actor, dry_run)


def authorizations_import(*, csv_text: str, actor: Actor, dry_run: bool = False) -> CheckoffImport:
    """Create check-off authorizations (columns AUTHORIZATION_COLUMNS; employer_code,
    member_number and signed_on required); the members' ledgers are worked out again."""
    result = _import(
        csv_text, ("employer_code", "member_number", "signed_on"), _authorization, actor, dry_run
    )
    return result


def _import(csv_text: str, required, build: Callable, actor, dry_run: bool) -> CheckoffImport:
    result = CheckoffImport()
    reader = csv.DictReader(io.StringIO(csv_text))
    header = [name.strip() for name in reader.fieldnames or []]
    missing = [name for name in required if name not in header]
    if missing:
        result.errors.append(RowError(1, "header", f"Missing column(s): {', '.join(missing)}."))
        return result
    reader.fieldnames = header
    made = []
    try:
        with transaction.atomic():
            for row_number, record in enumerate(reader, start=2):
                if not any((value or "").strip() for value in record.values()):
                    continue
                data = {key: (value or "").strip() for key, value in record.items() if key}
                try:
                    obj = build(data)
                    obj.full_clean()
                    if not dry_run:
                        saved_by(obj, actor=actor)
                    made.append(obj)
                except ValidationError as exc:
                    for column, messages in exc.message_dict.items():
                        for message in messages:
                            if len(result.errors) < ERRORS_SHOWN:
                                result.errors.append(RowError(row_number, column, message))
            result.count, result.made = len(made), made
            if result.errors or dry_run:
                raise _Refused
            member_ids = [obj.member_id for obj in made if isinstance(obj, CheckoffAuthorization)]
            if member_ids:
                member_ledgers_refresh(member_ids)
    except _Refused:
        return result
    except csv.Error as exc:
        result.errors.append(RowError(1, "file", f"Unreadable CSV: {exc}."))
        return result
    result.written = True
    return result


def _employer(data: dict[str, str]) -> Employer:
    due = data.get("due_day") or "15"
    if not due.isdigit():
        raise ValidationError({"due_day": f'"{due}" is not a day of the month (1 to 28).'})
    code = Employer.code_of(data.get("code", ""))
    if code and Employer.objects.filter(code=code).exists():
        raise ValidationError({"code": f"Employer {code} already exists."})
    return Employer(
        code=code,
        name=data.get("name", ""),
        ein=data.get("ein", ""),
        contact_name=data.get("contact_name", ""),
        contact_email=data.get("contact_email", ""),
        contact_phone=data.get("contact_phone", ""),
        due_day=int(due),
    )


def _date(data: dict[str, str], name: str) -> datetime.date | None:
    text = data.get(name, "")
    if not text:
        return None
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise ValidationError({name: f'"{text}" is not a date: write 2026-03-15.'}) from None


def _authorization(data: dict[str, str]) -> CheckoffAuthorization:
    employer = Employer.objects.filter(code=Employer.code_of(data.get("employer_code", ""))).first()
    member = Member.objects.filter(member_number=data.get("member_number", "")).first()
    errors = {}
    if employer is None:
        errors["employer_code"] = f"No employer has the code {data.get('employer_code')!r}."
    if member is None:
        errors["member_number"] = f"No member has the number {data.get('member_number')!r}."
    try:
        signed, revoked = _date(data, "signed_on"), _date(data, "revoked_on")
    except ValidationError as exc:
        errors.update(exc.message_dict)
        signed = revoked = None
    if errors:
        raise ValidationError(errors)
    authorization = CheckoffAuthorization(
        member=member,
        employer=employer,
        employee_id=data.get("employee_id", ""),
        ssn_last4=data.get("ssn_last4", ""),
        signed_on=signed,
        revoked_on=revoked,
    )
    authorization.months_kept()
    return authorization
