from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dues.models import Payment
from dues.services import refund_record

from ._common import parse_date, recording


class Command(BaseCommand):
    help = "Record a refund on a payment, found by its receipt number."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("receipt", help="the payment's receipt number, e.g. R-000123 or 123")
        parser.add_argument("amount")
        parser.add_argument("--reason", required=True)
        parser.add_argument("--date", help="YYYY-MM-DD (default: today)")
        parser.add_argument("--key", help="idempotency key: the same key records once")

    def handle(self, *args, receipt, amount, reason, date, key, **options):
        number = receipt.upper().removeprefix("R-").lstrip("0") or "0"
        try:
            payment = Payment.objects.get(receipt_number=int(number))
        except (ValueError, Payment.DoesNotExist):
            raise CommandError(f"No payment has receipt {receipt!r}.") from None
        with recording("record_refund"):
            refund = refund_record(
                payment=payment,
                amount=amount,
                reason=reason,
                refunded_date=parse_date(date) if date else None,
                idempotency_key=key,
                actor="record_refund",
            )
        self.stdout.write(f"Recorded {refund} on {payment}.")
