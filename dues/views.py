"""Staff pages for dues (Staff, Officer, Admin: the `dues.view_payment` permission)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from appkit.admin import admin_page, office_view
from appkit.files import csv_lines
from audit.csv_export import audited_csv_download
from members.models import Member, MemberStatus
from members.selectors import member_fields_hidden_from, member_for_user

from .exports import arrears_csv_lines
from .extensions import PAY_ACTIONS
from .for_jobs import arrears_export_start
from .ledger import ZERO, money
from .models import Payment
from .receipts import receipt_facts, receipt_issuer
from .receipts import receipt_pdf as receipt_pdf_bytes
from .selectors import (
    arrears_list,
    arrears_totals,
    collections_by_month,
    dues_overview,
    member_dues_summary,
    member_statement,
)
from .services import member_ledgers_bring_up_to_date

staff_view = office_view("dues.view_payment")


@staff_view
def overview(request: HttpRequest) -> HttpResponse:
    member_ledgers_bring_up_to_date()  # the kept totals count months in arrears up to today
    return admin_page(
        request, "dues/overview.html", {"overview": dues_overview()}, title="Dues overview"
    )


@staff_view
def member_dues(request: HttpRequest, member_id: int) -> HttpResponse:
    member = get_object_or_404(Member.objects.select_related("classification"), pk=member_id)
    return admin_page(
        request,
        "dues/member_dues.html",
        {"dues": member_dues_summary(member), **_pay_actions()},
        title=f"Dues of {member.full_name}",
    )


@login_required
def my_dues(request: HttpRequest) -> HttpResponse:
    """A member's own dues: what they owe, what they paid, and how to pay."""
    member = member_for_user(request.user)
    if member is None:
        return render(request, "members/no_member.html", {"what": "dues"}, status=404)
    return render(
        request,
        "dues/my_dues.html",
        {"dues": member_dues_summary(member), **_pay_actions()},
    )


def _pay_actions() -> dict[str, list[str]]:
    """What the apps that take money offer (`dues.pay_actions`): beside each open period,
    and once for everything owed."""
    actions = PAY_ACTIONS.declarations()
    return {
        "pay_actions": [action.template for action in actions],
        "pay_all_actions": [action.all_template for action in actions if action.all_template],
        "own_actions": [action.own_template for action in actions if action.own_template],
    }


class ArrearsFilter(forms.Form):
    months = forms.IntegerField(
        min_value=1, max_value=600, required=False, label="Behind by at least (months)"
    )
    status = forms.ChoiceField(
        choices=[("", "Any status"), *MemberStatus.choices], required=False, label="Member status"
    )


ARREARS_TITLE = "Arrears report"
# Up to this many members the arrears CSV is written in the request, as the collections
# CSV is; past it, by a worker (a job with its progress page).
ARREARS_CSV_DIRECT_MAX = 5000


@staff_view
def arrears_report(request: HttpRequest) -> HttpResponse:
    data = request.GET.copy()
    data.setdefault("months", str(settings.ARREARS_DELINQUENT_MONTHS))
    data.setdefault("status", MemberStatus.ACTIVE)
    form = ArrearsFilter(data)
    if not form.is_valid():
        return admin_page(
            request, "dues/arrears.html", {"form": form}, title=ARREARS_TITLE, status=400
        )
    months = form.cleaned_data["months"] or 1
    status = form.cleaned_data["status"]
    member_ledgers_bring_up_to_date()  # months in arrears grow when a charge falls due
    rows = arrears_list(min_months=months, statuses=[status] if status else None)
    count, owed = arrears_totals(min_months=months, statuses=[status] if status else None)
    direct = count <= ARREARS_CSV_DIRECT_MAX
    if request.GET.get("format") == "csv":
        if direct:
            return _arrears_csv(request, rows, count=count, months=months, status=status)
        if request.method == "POST":
            # Written by a worker: the whole local's arrears may take longer than a request.
            # Started by a POST only: a followed link, a reload or a prefetch starts nothing.
            job = arrears_export_start(months=months, status=status, actor=request.user)
            return redirect("admin:jobs_job_change", job.pk)
        messages.info(
            request,
            f"{count:,} members: too many to write while you wait. "
            "Export them to CSV with the button: a worker writes the file.",
        )
    paginator = Paginator(rows, 200)
    paginator.count = count  # from the kept totals, not a count of the rows
    page = paginator.get_page(request.GET.get("page"))
    return admin_page(
        request,
        "dues/arrears.html",
        {
            "form": form,
            "page": page,
            "count": count,
            "total": owed,
            "months": months,
            "direct_csv": direct,
        },
        title=ARREARS_TITLE,
    )


def _arrears_csv(request: HttpRequest, rows, *, count: int, months: int, status: str):
    """A small arrears report's CSV, straight away (the job writes the same columns)."""
    return audited_csv_download(
        request,
        lines=arrears_csv_lines(
            rows.iterator(chunk_size=2000), hidden=member_fields_hidden_from(request.user)
        ),
        filename="arrears",
        model_label="members.member",
        count=count,
        what="members in arrears",
        detail=f"Behind by {months}+ months; status {status or 'any'}.",
    )


class YearFilter(forms.Form):
    year = forms.IntegerField(min_value=1900, max_value=2200)


CHART_HEIGHT = 160
CHART_BAR_WIDTH = 36
CHART_AXIS_WIDTH = 70


@staff_view
def collections_report(request: HttpRequest) -> HttpResponse:
    form = YearFilter({"year": request.GET.get("year") or timezone.localdate().year})
    if not form.is_valid():
        return admin_page(
            request, "dues/collections.html", {"form": form}, title="Collections", status=400
        )
    year = form.cleaned_data["year"]
    report = collections_by_month(year)
    if request.GET.get("format") == "csv":
        return audited_csv_download(
            request,
            lines=_collections_csv(report),
            filename=f"collections-{year}",
            model_label="dues.payment",
            count=12,
            what=f"months of collections for {year}",
        )
    months = [
        {
            "number": m,
            "name": datetime.date(year, m, 1).strftime("%b"),
            "by_method": [report.received[m].get(method, ZERO) for method, _ in report.methods],
            "total": report.month_total(m),
            "refunded": report.refunded[m],
            "net": report.month_net(m),
        }
        for m in range(1, 13)
    ]
    return admin_page(
        request,
        "dues/collections.html",
        {
            "form": form,
            "year": year,
            "report": report,
            "months": months,
            "method_totals": [report.method_total(method) for method, _ in report.methods],
            "chart": _bar_chart(months),
        },
        title=f"Collections in {year}",
    )


def _collections_csv(report):
    methods = report.methods
    header = ["month", *(label for _, label in methods), "received", "refunded", "net"]
    rows = [
        [
            f"{report.year}-{m:02d}",
            *(report.received[m].get(method, ZERO) for method, _ in methods),
            report.month_total(m),
            report.refunded[m],
            report.month_net(m),
        ]
        for m in range(1, 13)
    ]
    rows.append(
        [
            "total",
            *(report.method_total(method) for method, _ in methods),
            report.total,
            report.refunded_total,
            report.net_total,
        ]
    )
    return csv_lines(header, rows)


def _bar_chart(months: list[dict]) -> dict:
    """Bar geometry for the net collections of each month, drawn as SVG by the template:
    bars with their values, a value axis with three ticks, the months along the bottom."""
    highest = max((m["net"] for m in months), default=ZERO)
    top, left = 20, CHART_AXIS_WIDTH
    bars = []
    for i, month in enumerate(months):
        share = month["net"] / highest if highest > 0 and month["net"] > 0 else Decimal(0)
        height = (share * CHART_HEIGHT).quantize(Decimal("0.1"))
        x = left + 8 + i * (CHART_BAR_WIDTH + 8)
        bars.append(
            {
                "x": x,
                "middle": x + CHART_BAR_WIDTH // 2,
                "y": top + CHART_HEIGHT - height,
                "height": height,
                "label": month["name"],
                "value": month["net"] if month["net"] > 0 else ZERO,
                "short": _short_amount(month["net"]),
            }
        )
    ticks = [
        {"value": money(highest * share), "y": top + CHART_HEIGHT - CHART_HEIGHT * share}
        for share in (Decimal(0), Decimal("0.5"), Decimal(1))
    ]
    return {
        "bars": bars,
        "ticks": ticks if highest > 0 else ticks[:1],
        "width": left + 8 + 12 * (CHART_BAR_WIDTH + 8),
        "height": CHART_HEIGHT + 50,
        "top": top,
        "left": left,
        "baseline": top + CHART_HEIGHT,
        "bar_width": CHART_BAR_WIDTH,
        "highest": highest,
    }


def _short_amount(amount: Decimal) -> str:
    """A bar's value in the room above it: $950, $12.3k."""
    if amount <= 0:
        return ""
    if amount >= 1000:
        return f"${amount / 1000:.1f}k"
    return f"${amount:.0f}"


def _receipt_for(request: HttpRequest, payment_id: int) -> Payment:
    """A payment with a receipt, for the member it belongs to and for the office by its
    role (staff with `dues.view_payment`); anyone else is told there is no such receipt."""
    payment = get_object_or_404(
        Payment.objects.select_related("member", "member__classification", "recorded_by"),
        pk=payment_id,
        receipt_number__isnull=False,
    )
    user = request.user
    mine = payment.member.user_id is not None and payment.member.user_id == user.pk
    office = user.is_staff and user.has_perm("dues.view_payment")
    if not (mine or office):
        raise Http404("No such receipt.")
    return payment


@login_required
def receipt(request: HttpRequest, payment_id: int) -> HttpResponse:
    """A payment's receipt, to print, or to download as PDF (receipt_pdf)."""
    payment = _receipt_for(request, payment_id)
    return render(
        request,
        "dues/receipt.html",
        {"payment": payment, "facts": receipt_facts(payment), "issuer": receipt_issuer()},
    )


@login_required
def receipt_pdf(request: HttpRequest, payment_id: int) -> HttpResponse:
    """The same receipt as a PDF file, the one the receipt email attaches."""
    payment = _receipt_for(request, payment_id)
    response = HttpResponse(receipt_pdf_bytes(payment), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="receipt-{payment.receipt}.pdf"'
    return response


class StatementDates(forms.Form):
    start = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To", widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise forms.ValidationError("The first day comes after the last.")
        return data


@login_required
def statement(request: HttpRequest, member_id: int) -> HttpResponse:
    """A member's statement for a date range, to print or save as PDF: for the office and
    for the member themself (anyone else is told there is no such member)."""
    member = get_object_or_404(Member.objects.select_related("classification"), pk=member_id)
    mine = member.user_id is not None and member.user_id == request.user.pk
    if not (mine or request.user.has_perm("dues.view_payment")):
        raise Http404("No such member.")
    today = timezone.localdate()
    form = StatementDates(
        {
            "start": request.GET.get("start") or today.replace(month=1, day=1).isoformat(),
            "end": request.GET.get("end") or today.isoformat(),
        }
    )
    context = {
        "member": member,
        "form": form,
        "mine": mine,
        "issuer": receipt_issuer(),
        # The mailing address, for a window envelope: the member's own, or the office's
        # who may read addresses (not every role with payments may).
        "show_address": mine or request.user.has_perm("members.view_personal"),
    }
    if not form.is_valid():
        return render(request, "dues/statement.html", context, status=400)
    context["statement"] = member_statement(
        member, form.cleaned_data["start"], form.cleaned_data["end"]
    )
    return render(request, "dues/statement.html", context)
