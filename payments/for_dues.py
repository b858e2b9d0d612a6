"""What the payments app adds to dues (`dues.pay_actions`, declared in PaymentsConfig): the
"Pay Now Online" button beside each open period, and the checkout pages it posts to."""

from __future__ import annotations

from dues.extensions import PayAction

PAY_ONLINE = PayAction(template="payments/_pay_button.html", urls="payments.checkout_urls")
