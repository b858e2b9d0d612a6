"""Everything that changes what members owe or have paid. Admin, commands and API call these.

- billing: periods, rates, charges (what members owe);
- money: payments taken at the office, refunds, adjustments, receipt numbers;
- online: payments reported by an online source in steps (pending, then paid or failed).
"""

from .billing import ChargeGeneration, dues_charges_generate, dues_period_create, dues_rate_create
from .money import (
    IDEMPOTENCY_KEY_MAX,
    adjustment_record,
    payment_record,
    positive_amount,
    receipt_number_next,
    refund_record,
)
from .online import OnlinePaymentChange, payment_flag, payment_online_record

__all__ = [
    "IDEMPOTENCY_KEY_MAX",
    "ChargeGeneration",
    "OnlinePaymentChange",
    "adjustment_record",
    "dues_charges_generate",
    "dues_period_create",
    "dues_rate_create",
    "payment_flag",
    "payment_online_record",
    "payment_record",
    "positive_amount",
    "receipt_number_next",
    "refund_record",
]
