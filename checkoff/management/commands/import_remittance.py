"""`manage.py import_remittance`: check an employer's remittance file, then post it, in one
go, and print what was posted; with --dry-run, check only and keep nothing. The admin and
the API keep the two steps apart (a worker checks, an officer posts from the preview)."""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from appkit.text import counted
from audit.context import acting_as
from checkoff.models import Employer
from checkoff.services import remittance_check, remittance_post
from jobs.progress import TerminalProgress

# Exception lines listed one by one (all are counted).
LINES_LISTED = 50


def _amount(text: str) -> Decimal:
    try:
        return Decimal(text).quantize(Decimal("0.01"))
    except InvalidOperation:
        raise CommandError(
            f"--control-total {text!r} is not an amount: write it like 1234.56."
        ) from None


class Command(BaseCommand):
    help = (
        "Check an employer's remittance file (CSV or XLSX), then post it, in one go: read it, "
        "match each line to a member and keep it as a checked remittance; then post it "
        "(matched money as the members' payroll-deduction payments, the rest to the "
        "employer's suspense) and print what was posted: payments and suspense, each counted "
        "and totalled. With --dry-run it only checks: nothing is kept or posted. A file "
        "posted before, or whose lines do not add up to --control-total, is not posted (its "
        "checked remittance is kept). In the admin and the API an officer posts a checked "
        "remittance as a second step."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("employer", help="the employer's code")
        parser.add_argument("file", type=Path)
        parser.add_argument("--control-total", help="the check's or transfer's amount")
        parser.add_argument("--received-on", help="YYYY-MM-DD (default: today)")
        parser.add_argument("--reference", default="", help="check or EFT number")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="check and report only: nothing is kept or posted",
        )

    def handle(self, *args, employer: str, file: Path, dry_run: bool, **options) -> None:
        found = Employer.objects.filter(code=Employer.code_of(employer)).first()
        if found is None:
            raise CommandError(f"No employer has the code {employer!r}.")
        try:
            content = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror or exc}") from exc
        control = _amount(options["control_total"]) if options["control_total"] else None
        try:
            received = (
                datetime.date.fromisoformat(options["received_on"])
                if options["received_on"]
                else timezone.localdate()
            )
        except ValueError:
            raise CommandError("--received-on is a date: YYYY-MM-DD.") from None
        progress = TerminalProgress(self.stderr._out)
        try:
            with acting_as("import_remittance"):
                result = remittance_check(
                    employer=found,
                    content=content,
                    file_name=file.name,
                    received_on=received,
                    reference=options["reference"],
                    control_total=control,
                    dry_run=dry_run,
                    progress=progress,
                    actor="import_remittance",
                )
                if not result.ok:
                    for error in result.read.errors:
                        self.stderr.write(f"{file}: {error}")
                    raise CommandError(
                        f"{result.read.error_count} problem(s) in {file}; nothing was kept."
                    )
                self._report(result)
                if dry_run:
                    self.stdout.write("Dry run: nothing was kept or posted.")
                    return
                self.stdout.write(f"Checked and kept as {result.batch}; posting it.")
                try:
                    posting = remittance_post(
                        batch=result.batch, progress=progress, actor="import_remittance"
                    )
                except ValidationError as exc:
                    raise CommandError(
                        f"{' '.join(exc.messages)} {result.batch} stays checked, not posted."
                    ) from None
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        finally:
            progress.close()
        # What was posted, from the posting itself (it re-checks duplicates and ceilings, so
        # it may differ from the check's report above).
        self.stdout.write(
            self.style.SUCCESS(
                f"Posted {result.batch}: {counted(posting.posted, 'payment')} "
                f"({posting.posted_total}), {counted(posting.suspense, 'line')} to suspense "
                f"({posting.suspense_total})."
            )
        )

    def _report(self, result) -> None:
        batch = result.batch
        self.stdout.write(
            f"{batch.employer.code}, work month {batch.work_month}: "
            f"{counted(batch.line_count, 'line')}, "
            f"{batch.total} in all (control total: {batch.control_total or 'none given'})."
        )
        counts: dict[str, list] = {}
        for line in result.lines:
            if line.exception:
                counts.setdefault(line.exception, [0, Decimal(0)])
                counts[line.exception][0] += 1
                counts[line.exception][1] += line.amount
                if sum(count for count, _ in counts.values()) <= LINES_LISTED:
                    self.stdout.write(
                        f"  row {line.row_number or '-'}: {line.exception} "
                        f"{line.member_number or line.employee_id or line.last_name} {line.amount}"
                    )
        for code, (count, amount) in sorted(counts.items()):
            self.stdout.write(f"{code}: {counted(count, 'line')}, {amount}")
        if result.already_posted:
            self.stdout.write(f"This file was already posted as {result.already_posted}.")
