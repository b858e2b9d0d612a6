from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from appkit.files import csv_lines
from audit.models import AuditAction
from audit.services import audit_event_record
from referral.models import Book
from referral.reports import (
    AS_OF_HEADER,
    UnreadableInstant,
    as_of_lines,
    instant_from_local,
    local_text,
    zone_name,
)

ACTOR = "referral_list_as_of"


class Command(BaseCommand):
    help = (
        "Print a book's out-of-work list as it stood at a date and time on the local's clock "
        "(settings.TIME_ZONE), as CSV: referral_list_as_of WIRE-N '2026-12-07 09:00'. It is "
        "rebuilt from the registrations' events, so nothing done later changes it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("book", help="the book's code, like WIRE-N")
        parser.add_argument("at", help='local date and time, "YYYY-MM-DD HH:MM"')

    def handle(self, *args, book: str, at: str, **options) -> None:
        found = Book.objects.filter(code=book).first()
        if found is None:
            codes = ", ".join(Book.objects.values_list("code", flat=True)[:20]) or "none yet"
            raise CommandError(f"No book {book!r} (books: {codes}).")
        try:
            instant, note = instant_from_local(at)
        except UnreadableInstant as exc:
            raise CommandError(str(exc)) from None
        lines = as_of_lines(found, instant)
        # Said on stderr, so stdout stays the CSV alone.
        self.stderr.write(
            f"{found.code} as it stood at {local_text(instant)} ({zone_name()}): "
            f"{len(lines)} on the list. {note}".strip()
        )
        audit_event_record(
            action=AuditAction.EXPORT,
            actor_label=ACTOR,
            model_label="referral.registration",
            object_repr=f"{len(lines)} registrants on book {found.code}",
            detail=f"Printed book {found.code} as of {local_text(instant)} as CSV.",
        )
        for line in csv_lines(AS_OF_HEADER, (line.cells() for line in lines)):
            self.stdout.write(line, ending="")
