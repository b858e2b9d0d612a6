"""Everything that changes what members owe or have paid. Admin, commands and API call these.

- billing: periods, rates, charges (what members owe);
- money: payments taken at the office, refunds, adjustments, receipt numbers;
- online: payments reported by an online source in steps (pending, then paid or failed);
- ledgers: each member's ledger worked out and kept, in the same transaction as the writes.
"""

from .billing import (
    ChargeGeneration,
    dues_charges_generate,
    dues_period_create,
    dues_period_due_date_change,
    dues_rate_create,
)
from .ledgers import (
    LedgerDifference,
    ledgers_and_totals_check,
    member_ledger_bring_up_to_date,
    member_ledgers_bring_up_to_date,
    member_ledgers_check,
    member_ledgers_refresh,
)
from .money import (
    IDEMPOTENCY_KEY_MAX,
    adjustment_record,
    payment_record,
    payments_record_many,
    positive_amount,
    receipt_number_next,
    receipt_numbers_next,
    refund_record,
)
from .online import OnlinePaymentChange, payment_flag, payment_online_record

__all__ = [
    "IDEMPOTENCY_KEY_MAX",
    "ChargeGeneration",
    "LedgerDifference",
    "OnlinePaymentChange",
    "adjustment_record",
    "dues_charges_generate",
    "dues_period_create",
    "dues_period_due_date_change",
    "dues_rate_create",
    "ledgers_and_totals_check",
    "member_ledger_bring_up_to_date",
    "member_ledgers_bring_up_to_date",
    "member_ledgers_check",
    "member_ledgers_refresh",
    "payment_flag",
    "payment_online_record",
    "payment_record",
    "payments_record_many",
    "positive_amount",
    "receipt_number_next",
    "receipt_numbers_next",
    "refund_record",
]
