from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from dues.services import ledgers_and_totals_check


class Command(BaseCommand):
    help = (
        "Work every member's kept ledger out afresh by the rules and sum every kept total "
        "afresh from its table; name each difference (and set it right with --repair). "
        "The scheduler runs the same every night."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--repair", action="store_true", help="set the differences right")

    def handle(self, *args, repair: bool, **options) -> None:
        differences = ledgers_and_totals_check(repair=repair)
        for difference in differences:
            self.stdout.write(f"  {difference}")
        if differences:
            done = "set right" if repair else "not changed (--repair sets them right)"
            raise CommandError(f"{len(differences)} difference(s), {done}.")
        self.stdout.write("Every kept ledger and total agrees with the tables.")
