"""What the payments app adds to dues (`dues.pay_actions`, declared in PaymentsConfig): the
"Pay Now Online" button beside each open period, "Pay everything" above them, and the
checkout pages they post to."""

from __future__ import annotations

from dues.extensions import PayAction

PAY_ONLINE = PayAction(
    template="payments/_pay_button.html",
    all_template="payments/_pay_all_button.html",
    urls="payments.checkout_urls",
)
