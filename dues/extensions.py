"""What higher apps may add to dues (appkit/extensions.py): dues works without Stripe or
employers; a source of money above it adds how a member may pay."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
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
    # Rendered once on the member's own dues page (with `member` and `dues`): a standing
    # arrangement they manage themself (autopay).
    own_template: str = ""


PAY_ACTIONS = ExtensionPoint(
    "dues.pay_actions",
    "PayAction: a way to pay beside each open period (the payments app's Pay Now Online).",
)


@dataclass(frozen=True)
class ArrearsProtection:
    """Unpaid months that do not count as months in arrears, by a rule of a higher app
    (check-off: an employer that has not remitted a work month yet, 29 CFR 452.87).

    Both ledger selectors apply it, held to the same answers:
    - `sql`: a SELECT of the protected months as rows (member_id, year, month), each at
      most once, without parameters, for the set-based statement; it joins `credit` on
      member_id (the members asked about), so that one member's ledger reads their months
      alone; `{recorded_by}` in it is a SQL date: the months as they stood at the end of
      that day (far in the future for now);
    - `months(member_ids, recorded_by)`: the protected (year, month) of each of these
      members as they stood at the end of that day, for the one-member rules."""

    sql: str
    months: Callable[[Iterable[int], datetime.date], dict[int, set[tuple[int, int]]]]


ARREARS_PROTECTION = ExtensionPoint(
    "dues.arrears_protection",
    "ArrearsProtection: unpaid months that are not months in arrears (check-off, 452.87).",
)


@dataclass(frozen=True)
class DeductedAtSource:
    """Members whose dues an employer deducts from their pay on a day (check-off):
    `members(member_ids, day)` gives those of `member_ids` (None: of all members). Nobody
    else collects from them (autopay skips them); eligibility lists say so."""

    members: Callable[[Iterable[int] | None, datetime.date], set[int]]


DEDUCTED_AT_SOURCE = ExtensionPoint(
    "dues.deducted_at_source",
    "DeductedAtSource: members whose employer deducts their dues (check-off).",
)


@dataclass(frozen=True)
class AfterCharging:
    """Work started once a period's charges are generated and committed: `run(period_id)`
    (autopay collects what its members now owe). It should queue work, not do it."""

    run: Callable[[int], object]


AFTER_CHARGING = ExtensionPoint(
    "dues.after_charging",
    "AfterCharging: work started when a period's charges are generated (autopay).",
)
