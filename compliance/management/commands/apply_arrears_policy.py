from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from dues.management.commands._common import parse_date, recording
from jobs.progress import TerminalProgress

from ...services import arrears_policy_apply


class Command(BaseCommand):
    help = (
        "Apply the arrears policy in force on a day (default today): notices, suspensions, "
        "drops and reinstatements, each listed with its reason. --dry-run lists them only."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as-of", help="the day, YYYY-MM-DD (default today)")
        parser.add_argument("--dry-run", action="store_true", help="list, change nothing")

    def handle(self, *args, as_of: str | None, dry_run: bool, **options) -> None:
        day = parse_date(as_of) if as_of else timezone.localdate()
        progress = TerminalProgress(self.stderr._out)
        with recording("apply_arrears_policy"):
            run = arrears_policy_apply(
                day=day, dry_run=dry_run, progress=progress, actor="apply_arrears_policy"
            )
        progress.close()
        for p in run.proposals:
            held = f"  [held: {p.held}]" if p.held else ""
            self.stdout.write(
                f"{p.member_number}\t{p.name}\t{p.kind.label}\t{p.from_status} -> "
                f"{p.to_status}\t{p.reason}{held}"
            )
        self.stdout.write(str(run))
