from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from appkit.files import UndecodableFile, decode_upload, upload_file_read
from jobs.progress import TerminalProgress
from referral.importing import (
    CONTRACT_LAYOUT,
    REGISTRATION_LAYOUT,
    employer_contracts_import,
    registrations_import,
)

# What each list is, the service that imports it, its layout, and the size limit its upload
# is held to in the admin (referral/admin_imports.py).
IMPORTS = {
    "registrations": (registrations_import, REGISTRATION_LAYOUT, "MEMBER_IMPORT_MAX_BYTES"),
    "contracts": (employer_contracts_import, CONTRACT_LAYOUT, "CHECKOFF_IMPORT_MAX_BYTES"),
}


class Command(BaseCommand):
    help = (
        "Import the vendor system's registration list or employer-contract list from CSV "
        "(header row first). If any row is wrong, each problem is listed by row and column "
        "and nothing is written. Registrations: "
        f"{', '.join(REGISTRATION_LAYOUT.columns)} (required: "
        f"{', '.join(REGISTRATION_LAYOUT.required)}). Contracts: "
        f"{', '.join(CONTRACT_LAYOUT.columns)} (required: {', '.join(CONTRACT_LAYOUT.required)})."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("what", choices=sorted(IMPORTS))
        parser.add_argument("file", type=Path, help="the CSV file to import")
        parser.add_argument(
            "--column",
            action="append",
            default=[],
            metavar="OURS=THEIRS",
            help="the file's header for one of our columns (repeat for each)",
        )
        parser.add_argument(
            "--layout",
            type=Path,
            help="a JSON file of our column → the file's header (--column adds to it)",
        )
        parser.add_argument("--dry-run", action="store_true", help="check and write nothing")

    def handle(self, *args, what: str, file: Path, column, layout, dry_run, **options) -> None:
        service, _, limit_setting = IMPORTS[what]
        headers = self._layout(layout, column)
        try:
            text = decode_upload(upload_file_read(file, limit_setting=limit_setting))
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror or exc}") from exc
        except UndecodableFile as exc:
            raise CommandError(f"{file}: {exc} Nothing was imported.") from None
        progress = TerminalProgress(self.stderr._out)
        try:
            result = service(
                csv_text=text,
                actor="referral_import",
                layout=headers,
                dry_run=dry_run,
                progress=progress,
            )
        finally:
            progress.close()
        if not result.ok:
            for error in result.errors:
                self.stderr.write(f"{file}: {error}")
            if result.error_count > len(result.errors):
                self.stderr.write(f"... and {result.error_count - len(result.errors)} more.")
            raise CommandError(f"{result.error_count} problem(s) in {file}; nothing was imported.")
        for note in result.notes:
            self.stdout.write(note)
        if dry_run:
            self.stdout.write(f"Dry run: {result.count} {what} would be imported.")
        else:
            self.stdout.write(self.style.SUCCESS(f"Imported {result.count} {what} from {file}."))

    def _layout(self, layout: Path | None, columns: list[str]) -> dict[str, str]:
        headers: dict[str, str] = {}
        if layout is not None:
            try:
                headers = json.loads(layout.read_text())
            except OSError as exc:
                raise CommandError(f"Cannot read {layout}: {exc.strerror or exc}") from exc
            except ValueError as exc:
                raise CommandError(f"{layout} is not JSON: {exc}") from None
            if not isinstance(headers, dict) or not all(
                isinstance(v, str) for v in headers.values()
            ):
                raise CommandError(f'{layout} must be an object like {{"member_number": "Card"}}.')
        for given in columns:
            ours, equals, theirs = given.partition("=")
            if not equals or not ours.strip():
                raise CommandError(f'--column {given}: write it as ours=theirs ("apn=Priority").')
            headers[ours.strip()] = theirs.strip()
        return headers
