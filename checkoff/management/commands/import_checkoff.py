from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from appkit.files import UndecodableFile, decode_upload, upload_file_read
from appkit.text import counted
from checkoff.importing import (
    AUTHORIZATION_COLUMNS,
    EMPLOYER_COLUMNS,
    ONE_OF,
    authorizations_import,
    employers_import,
)

IMPORTS = {"employers": employers_import, "authorizations": authorizations_import}


class Command(BaseCommand):
    help = (
        "Import employers or check-off authorizations from CSV (header row first). If any "
        f"row is wrong, nothing is written. Employers: {', '.join(EMPLOYER_COLUMNS)}. "
        f"Authorizations: {', '.join(AUTHORIZATION_COLUMNS)}."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("what", choices=sorted(IMPORTS))
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="check and write nothing")

    def handle(self, *args, what: str, file: Path, dry_run: bool, **options) -> None:
        try:
            text = decode_upload(upload_file_read(file, limit_setting="CHECKOFF_IMPORT_MAX_BYTES"))
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror or exc}") from exc
        except UndecodableFile as exc:
            raise CommandError(f"{file}: {exc}") from None
        result = IMPORTS[what](csv_text=text, dry_run=dry_run, actor="import_checkoff")
        if not result.ok:
            for error in result.errors:
                self.stderr.write(f"{file}: {error}")
            raise CommandError(f"{len(result.errors)} problem(s) in {file}; nothing was imported.")
        imported = counted(result.count, ONE_OF[what], what)
        if dry_run:
            self.stdout.write(f"Dry run: {imported} would be imported.")
        else:
            self.stdout.write(self.style.SUCCESS(f"Imported {imported} from {file}."))
