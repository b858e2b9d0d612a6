"""What the dues commands share: finding records by what an officer types, and errors."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from audit.context import acting_as
from members.models import Member


def member_by_number(number: str) -> Member:
    try:
        return Member.objects.get(member_number=number)
    except Member.DoesNotExist:
        raise CommandError(f"No member has number {number!r}.") from None


def parse_date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{value!r} is not a date: write it as YYYY-MM-DD.") from None


@contextmanager
def recording(command_name: str) -> Iterator[None]:
    """Run a service as the named command; its refusals become clear command errors."""
    try:
        with acting_as(command_name):
            yield
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            text = "; ".join(f"{field}: {' '.join(m)}" for field, m in exc.message_dict.items())
        else:
            text = " ".join(exc.messages)
        raise CommandError(f"{text} Nothing was written.") from None
