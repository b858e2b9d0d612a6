"""What the dues app adds to members (members/extensions.py; declared in DuesConfig):
standing as a filter of the member list and a column of the admin's list, the dues block
on a member's admin page, and their latest payments and charges there."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from urllib.parse import urlencode

from django.db.models import QuerySet, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from appkit.templatetags.office import currency
from members.extensions import (
    MemberAction,
    MemberColumn,
    MemberHomePanel,
    MemberListFilter,
    MemberRecords,
    MemberSummary,
    SummaryFacts,
)
from members.models import Member

from .ledger import ZERO, Standing, standing_label, standing_tone
from .models import Adjustment, DuesCharge, Payment
from .selectors import (
    member_balances,
    member_standing_labels,
    members_in_standing,
    members_in_standing_count,
)
from .services import member_ledger_bring_up_to_date, member_ledgers_bring_up_to_date
from .words import BALANCE, MONTHS_BEHIND, PAID_THROUGH, PAST_DUE, balance_words


def _dues_summary(member: Member, user) -> SummaryFacts:
    """What the member owes, first on their admin page: the same words and figures as their
    dues page (`/dues/members/<id>/`), which the link opens."""
    ledger = member_ledger_bring_up_to_date(member)  # a charge may have fallen due
    rows: list[tuple[str, object]] = []
    link = None
    if user.has_perm("dues.view_payment"):
        rows = [
            (BALANCE, balance_words(ledger.balance)),
            (PAST_DUE, currency(ledger.past_due)),
            (PAID_THROUGH, ledger.paid_through_label or "—"),
            (MONTHS_BEHIND, ledger.months_in_arrears),
        ]
        link = ("Open the member's dues page", reverse("dues:member", args=[member.pk]))
    months = ledger.months_in_arrears
    return SummaryFacts(
        badge=standing_label(member.status, months),
        tone=standing_tone(member.status, months),
        rows=rows,
        link=link,
    )


def _standing_narrow(members: QuerySet[Member], standing: str) -> QuerySet[Member]:
    # Months in arrears grow when a charge falls due: the kept ledgers up to today first.
    member_ledgers_bring_up_to_date()
    return members_in_standing(members, standing)


def _standing_count(standing: str, status: str | None) -> int:
    member_ledgers_bring_up_to_date()
    return members_in_standing_count(standing, status)


STANDING_FILTER = MemberListFilter(
    name="standing",
    description="Dues standing.",
    choices=Standing.choices,
    narrow=_standing_narrow,
    count=_standing_count,
)
STANDING_COLUMN = MemberColumn(
    name="standing",
    label="Standing",
    permission="dues.view_standing",
    values=member_standing_labels,
    # Standing is a range of months behind; a member never charged has no ledger: none.
    ordering=Coalesce("ledger__months_in_arrears", 0),
)
BALANCE_COLUMN = MemberColumn(
    name="balance",
    label=BALANCE,
    permission="dues.view_payment",
    values=member_balances,
    ordering=Coalesce("ledger__balance", Value(ZERO)),
)
DUES_SUMMARY = MemberSummary(permission="dues.view_standing", facts=_dues_summary)


def _change_url(admin_page: str) -> Callable[[int], str]:
    """The admin page of a row by its id, for a page of rows: reversed once and filled in
    per row, as the admin's own related-field links fill in "__fk__" (reverse() costs more
    than the rest of a row)."""
    reversed_once = reverse(admin_page, args=["__id__"])
    return lambda pk: reversed_once.replace("__id__", str(pk))


def _payment_rows(member: Member, limit: int) -> list[list[object]]:
    payments = Payment.objects.filter(member=member).order_by("-received_date", "-id")[:limit]
    payment_url = _change_url("admin:dues_payment_change")
    return [
        [
            format_html(
                '<a href="{}">{}</a>',
                payment_url(payment.pk),
                payment.receipt or f"Payment #{payment.pk}",
            ),
            _day(payment.received_date),
            currency(payment.amount),
            currency(payment.refunded_amount),
            payment.get_method_display(),
            payment.get_status_display(),
        ]
        for payment in payments
    ]


def _charge_rows(member: Member, limit: int) -> list[list[object]]:
    charges = (
        DuesCharge.objects.filter(member=member)
        .select_related("period")
        .order_by("-period__due_date", "-period__year", "-period__month")[:limit]
    )
    return [
        [charge.period, _day(charge.period.due_date), currency(charge.amount)] for charge in charges
    ]


def _adjustment_rows(member: Member, limit: int) -> list[list[object]]:
    adjustments = Adjustment.objects.filter(member=member).order_by("-created_at", "-id")[:limit]
    adjustment_url = _change_url("admin:dues_adjustment_change")
    return [
        [
            format_html(
                '<a href="{}">{}</a>',
                adjustment_url(adjustment.pk),
                f"Adjustment #{adjustment.pk}",
            ),
            _day(timezone.localdate(adjustment.created_at)),
            currency(adjustment.amount),
            adjustment.reason,
        ]
        for adjustment in adjustments
    ]


def _day(day: datetime.date) -> str:
    # As the staff pages write a day ("M j, Y"), without the template's localizing per cell.
    return f"{day:%b} {day.day}, {day.year}"


def _member_list(admin_list: str):
    def url(member: Member) -> str:
        return reverse(admin_list) + f"?member__id__exact={member.pk}"

    return url


PAYMENT_RECORDS = MemberRecords(
    title="Payments",
    permission="dues.view_payment",
    columns=["Receipt", "Received", "Amount", "Refunded", "Method", "Status"],
    rows=_payment_rows,
    all_url=_member_list("admin:dues_payment_changelist"),
)
ADJUSTMENT_RECORDS = MemberRecords(
    title="Adjustments",
    permission="dues.view_adjustment",
    columns=["Adjustment", "Recorded", "Amount (negative: a credit)", "Reason"],
    rows=_adjustment_rows,
    all_url=_member_list("admin:dues_adjustment_changelist"),
)
CHARGE_RECORDS = MemberRecords(
    title="Charges",
    permission="dues.view_duescharge",
    columns=["Period", "Due", "Amount"],
    rows=_charge_rows,
    all_url=_member_list("admin:dues_duescharge_changelist"),
)


def _record_for(model_name: str) -> Callable[[Member], str]:
    """The admin's form recording one of these for the member, back to the member after."""

    def url(member: Member) -> str:
        back = reverse("admin:members_member_change", args=[member.pk])
        return (
            reverse(f"admin:dues_{model_name}_add")
            + "?"
            + urlencode({"member": member.pk, "next": back})
        )

    return url


RECORD_PAYMENT = MemberAction("Record a payment", "dues.add_payment", _record_for("payment"))
RECORD_REFUND = MemberAction("Record a refund", "dues.add_refund", _record_for("refund"))
STATEMENT = MemberAction(
    "Statement",
    "dues.view_payment",
    lambda member: reverse("dues:statement", args=[member.pk]),
)
RECORD_ADJUSTMENT = MemberAction(
    "Record an adjustment", "dues.add_adjustment", _record_for("adjustment")
)


def _home(member: Member) -> dict:
    ledger = member_ledger_bring_up_to_date(member)  # a charge may have fallen due
    months = ledger.months_in_arrears
    return {
        "ledger": ledger,
        "credit": -ledger.balance,
        "standing": standing_label(member.status, months),
        "tone": standing_tone(member.status, months),
    }


HOME_PANEL = MemberHomePanel(template="dues/home/dues_panel.html", data=_home)
