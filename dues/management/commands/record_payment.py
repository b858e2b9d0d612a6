from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from dues.models import MANUAL_METHODS
from dues.services import payment_record

from ._common import member_by_number, parse_date, recording


class Command(BaseCommand):
    help = "Record a payment received at the office (the same rules as the admin and the API)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("member_number")
        parser.add_argument("amount", help="e.g. 45.00")
        parser.add_argument("--method", required=True, choices=[str(m) for m in MANUAL_METHODS])
        parser.add_argument("--received", help="YYYY-MM-DD (default: today)")
        parser.add_argument("--reference", default="", help="check number, payroll batch...")
        parser.add_argument("--key", help="idempotency key: the same key records once")

    def handle(self, *args, member_number, amount, method, received, reference, key, **options):
        with recording("record_payment"):
            payment = payment_record(
                member=member_by_number(member_number),
                amount=amount,
                method=method,
                received_date=parse_date(received) if received else timezone.localdate(),
                reference=reference,
                idempotency_key=key,
                actor="record_payment",
            )
        self.stdout.write(f"Recorded {payment} for {payment.member}.")
