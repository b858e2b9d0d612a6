from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from dues.management.commands._common import parse_date, recording
from jobs.progress import TerminalProgress

from ...services import eligibility_csv_lines, eligibility_list_create, eligibility_list_publish

ACTOR = "eligibility_list"


class Command(BaseCommand):
    help = (
        "Work out who may vote on a record date, by the ledger as it stood then, with the "
        "reason for each member who may not; --publish freezes it (stored, SHA-256)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as-of", required=True, help="the record date, YYYY-MM-DD")
        parser.add_argument("--title", default="", help="the election or vote")
        parser.add_argument("--publish", action="store_true", help="freeze it once worked out")
        parser.add_argument("--csv", help="write the list to this file")

    def handle(self, *args, as_of: str, title: str, publish: bool, csv: str | None, **options):
        progress = TerminalProgress(self.stderr._out)
        with recording(ACTOR):
            elist = eligibility_list_create(
                title=title,
                record_date=parse_date(as_of),
                actor=ACTOR,
                progress=progress,
            )
            if publish:
                elist = eligibility_list_publish(elist=elist, actor=ACTOR)
        progress.close()
        if csv:
            with open(csv, "w", newline="") as out:
                out.writelines(eligibility_csv_lines(elist))
        self.stdout.write(
            f"List #{elist.pk} for {elist.record_date}: {elist.eligible_count} eligible, "
            f"{elist.ineligible_count} not."
            + (f" Published; SHA-256 {elist.sha256}." if elist.is_published else " A draft.")
        )
