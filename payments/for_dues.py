"""What the payments app adds to dues (`dues.pay_actions`, declared in PaymentsConfig): the
"Pay Now Online" button beside each open period, "Pay everything" above them, autopay on
the member's own page, and the pages they post to."""

from __future__ import annotations

from dues.extensions import AfterCharging, PayAction

from .for_jobs import autopay_after_charging

PAY_ONLINE = PayAction(
    template="payments/_pay_button.html",
    all_template="payments/_pay_all_button.html",
    own_template="payments/_autopay.html",
    urls="payments.checkout_urls",
)

AUTOPAY_AFTER_CHARGING = AfterCharging(run=autopay_after_charging)
