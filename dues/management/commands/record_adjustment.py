from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from dues.services import adjustment_record

from ._common import member_by_number, recording


class Command(BaseCommand):
    help = "Record a signed adjustment: negative credits the member, positive charges them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("member_number")
        parser.add_argument("amount", help="e.g. -45.00 for a waiver")
        parser.add_argument("--reason", required=True)
        parser.add_argument("--key", help="idempotency key: the same key records once")

    def handle(self, *args, member_number, amount, reason, key, **options):
        with recording("record_adjustment"):
            adjustment = adjustment_record(
                member=member_by_number(member_number),
                amount=amount,
                reason=reason,
                idempotency_key=key,
                actor="record_adjustment",
            )
        self.stdout.write(f"Recorded {adjustment} for {adjustment.member}.")
