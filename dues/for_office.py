"""What dues adds to the office's home and header (appkit/extensions.py; declared in
DuesConfig): the local's dues at a glance, the latest money, and the dues pages."""

from __future__ import annotations

from django.http import HttpRequest

from appkit.extensions import DashboardPanel, OfficeLink

from .selectors import dues_overview, payments_latest
from .services import member_ledgers_bring_up_to_date

RECENT_PAYMENTS = 8


def _overview(request: HttpRequest) -> dict:
    member_ledgers_bring_up_to_date()  # the kept totals count months in arrears up to today
    return {"overview": dues_overview()}


def _money(request: HttpRequest) -> dict:
    return {"payments": payments_latest(RECENT_PAYMENTS)}


OVERVIEW_PANEL = DashboardPanel(
    title="Dues at a glance",
    template="dues/office/overview_panel.html",
    data=_overview,
    permission="dues.view_payment",
)
MONEY_PANEL = DashboardPanel(
    title="Money recorded lately",
    template="dues/office/money_panel.html",
    data=_money,
    permission="dues.view_payment",
)

DUES_LINK = OfficeLink("Dues", "dues:overview", "dues.view_payment")
ARREARS_LINK = OfficeLink("Arrears", "dues:arrears", "dues.view_payment")
COLLECTIONS_LINK = OfficeLink("Collections", "dues:collections", "dues.view_payment")
