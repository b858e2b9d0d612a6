from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from dues.selectors import dues_period_get
from dues.services import dues_charges_generate
from jobs.progress import TerminalProgress

from ._common import recording


class Command(BaseCommand):
    help = "Charge every active member for a dues period (YYYY-MM). Running it again adds nothing."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("period", help="the period's month, e.g. 2026-11")

    def handle(self, *args, period: str, **options) -> None:
        progress = TerminalProgress(self.stderr._out)
        with recording("generate_dues_charges"):
            result = dues_charges_generate(
                period=dues_period_get(period), progress=progress, actor="generate_dues_charges"
            )
        progress.close()
        self.stdout.write(str(result))
        for member in result.skipped_no_rate:
            self.stderr.write(
                f"  skipped {member.member_number} {member.full_name}: no rate for "
                f"{member.classification.code}"
            )
