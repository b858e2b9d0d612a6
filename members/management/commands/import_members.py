from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from appkit.files import UndecodableFile, decode_upload, upload_file_read
from appkit.text import counted
from members.importing import IMPORT_CHANGE_REASON, members_import


class Command(BaseCommand):
    help = (
        "Import members from a CSV file (header row first). If any row is wrong, each "
        "problem is listed by row and column and nothing at all is written."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="the CSV file to import")
        parser.add_argument(
            "--dry-run", action="store_true", help="check the file and write nothing"
        )

    def handle(self, *args, file: Path, dry_run: bool, **options) -> None:
        try:
            csv_text = decode_upload(
                upload_file_read(file, limit_setting="MEMBER_IMPORT_MAX_BYTES")
            )
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror or exc}") from exc
        except UndecodableFile as exc:
            raise CommandError(f"{file}: {exc} Nothing was imported.") from None
        result = members_import(csv_text=csv_text, actor=IMPORT_CHANGE_REASON, dry_run=dry_run)
        if not result.ok:
            for error in result.errors:
                self.stderr.write(f"{file}: {error}")
            raise CommandError(f"{len(result.errors)} problem(s) in {file}; nothing was imported.")
        count = result.count
        if dry_run:
            self.stdout.write(
                f"Dry run: {counted(count, 'member')} would be imported; nothing was written."
            )
        else:
            self.stdout.write(
                self.style.SUCCESS(f"Imported {counted(count, 'member')} from {file}.")
            )
