"""What higher apps may add to dues (appkit/extensions.py): dues works without Stripe or
employers; a source of money above it adds how a member may pay."""

from __future__ import annotations

from dataclasses import dataclass

from appkit.extensions import ExtensionPoint


@dataclass(frozen=True)
class PayAction:
    """A way to pay an open period from a dues page: `template` renders beside each open
    period (with `member` and `period`); `all_template`, if any, once above them, to pay
    everything owed at once (with `member` and `dues`); `urls` is the URLconf of the pages
    they post to, mounted by dues under /dues/payments/ (every /dues/ page is dues')."""

    template: str
    urls: str
    all_template: str = ""


PAY_ACTIONS = ExtensionPoint(
    "dues.pay_actions",
    "PayAction: a way to pay beside each open period (the payments app's Pay Now Online).",
)
