"""The per-capita reports and the LM figures."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone

from appkit.admin import admin_page
from appkit.files import csv_lines
from audit.csv_export import audited_csv_download
from checkoff.views import MonthFilter

from ..forms import PaidForm, YearFilter
from ..models import Affiliate, PerCapitaReport
from ..selectors import lm_figures, lm_latest_year, month_end
from ..services import per_capita_report_paid, per_capita_report_submit, per_capita_report_work_out
from .common import form_errors, governance_view, needs, refused_said

PER_CAPITA_TITLE = "Per-capita reports"


@governance_view
def per_capita(request: HttpRequest) -> HttpResponse:
    last_month = timezone.localdate().replace(day=1) - datetime.timedelta(days=1)
    data = request.POST if request.method == "POST" else request.GET
    form = MonthFilter({"month": data.get("month") or last_month.strftime("%Y-%m")})
    if not form.is_valid():
        return admin_page(
            request,
            "compliance/per_capita.html",
            {"form": form},
            title=PER_CAPITA_TITLE,
            status=400,
        )
    year, month = form.cleaned_data["month"]
    label = f"{year}-{month:02d}"
    if request.method == "POST":
        return _per_capita_action(request, year, month, label)
    not_ended = month_end(year, month) >= timezone.localdate()
    reports = {
        r.affiliate_id: r
        for r in PerCapitaReport.objects.filter(year=year, month=month).prefetch_related(
            "lines__classification"
        )
    }
    if request.GET.get("format") == "csv":
        report = reports.get(int(request.GET.get("affiliate") or 0))
        if report is None:
            messages.error(request, "Work the report out before downloading it.")
            return redirect(f"{request.path}?month={label}")
        return _per_capita_csv(request, report)
    rows = [(a, reports.get(a.pk)) for a in Affiliate.objects.all()]
    for _, report in rows:
        if report is not None:
            report.roll_changes = list(report.changes.select_related("member")[:200])
    return admin_page(
        request,
        "compliance/per_capita.html",
        {
            "form": form,
            "rows": rows,
            "month": label,
            "paid_form": PaidForm(),
            "not_ended": not_ended,
            "end": month_end(year, month),
        },
        title=f"{PER_CAPITA_TITLE} for {label}",
    )


def _per_capita_action(request: HttpRequest, year: int, month: int, label: str) -> HttpResponse:
    affiliate = get_object_or_404(Affiliate, pk=request.POST.get("affiliate"))
    action = request.POST.get("action")
    try:
        if action == "work_out":
            needs(request, "compliance.add_percapitareport")
            end = month_end(year, month)
            if end >= timezone.localdate() and request.POST.get("confirm") != "yes":
                return admin_page(
                    request,
                    "compliance/per_capita_confirm.html",
                    {"affiliate": affiliate, "month": label, "end": end},
                    title=f"{label} has not ended: count it now?",
                )
            per_capita_report_work_out(
                affiliate=affiliate, year=year, month=month, actor=request.user
            )
            messages.success(request, f"{affiliate.code} {label} worked out.")
        else:
            needs(request, "compliance.submit_percapitareport")
            report = get_object_or_404(PerCapitaReport, affiliate=affiliate, year=year, month=month)
            if action == "submit":
                per_capita_report_submit(report=report, actor=request.user)
                messages.success(request, f"{affiliate.code} {label} marked submitted.")
            elif action == "paid":
                form = PaidForm(request.POST)
                if not form.is_valid():
                    messages.error(request, form_errors(form))
                else:
                    per_capita_report_paid(
                        report=report, paid_on=form.cleaned_data["paid_on"], actor=request.user
                    )
                    messages.success(request, f"{affiliate.code} {label} marked paid.")
    except ValidationError as exc:
        refused_said(request, exc)
    return redirect(f"{request.path}?month={label}")


def _per_capita_csv(request: HttpRequest, report: PerCapitaReport) -> HttpResponse:
    columns = report.affiliate.columns

    def values(line) -> dict[str, object]:
        return {
            "local": settings.LOCAL_NAME,
            "affiliate": report.affiliate.code,
            "month": report.label,
            "category": line.classification.code,
            "category_name": line.classification.name,
            "count": line.count,
            "rate": line.rate,
            "amount": line.amount,
        }

    rows = [[values(line).get(c, "") for c in columns] for line in report.lines.all()]
    return audited_csv_download(
        request,
        lines=csv_lines(columns, rows),
        filename=f"per-capita-{report.affiliate.code}-{report.label}",
        model_label="compliance.percapitareport",
        count=report.count,
        what=f"members counted for {report.affiliate.code} per capita {report.label}",
    )


# --- LM figures ---------------------------------------------------------------------------


@governance_view
def lm(request: HttpRequest) -> HttpResponse:
    form = YearFilter({"year": request.GET.get("year") or lm_latest_year()})
    if not form.is_valid():
        return admin_page(
            request, "compliance/lm.html", {"form": form}, title="LM figures", status=400
        )
    figures = lm_figures(form.cleaned_data["year"])
    if request.GET.get("format") == "csv":
        return audited_csv_download(
            request,
            lines=csv_lines(["figure", "value"], lm_csv_rows(figures)),
            filename=f"lm-figures-{figures.year}",
            model_label="dues.payment",
            count=figures.members,
            what=f"LM figures for fiscal year {figures.year}",
        )
    return admin_page(
        request,
        "compliance/lm.html",
        {
            "form": form,
            "f": figures,
            "not_ended": figures.end >= timezone.localdate(),
        },
        title=f"LM figures for {figures.year}",
    )


def lm_csv_rows(f) -> list[list[object]]:
    rows: list[list[object]] = [
        ["fiscal_year", f.year],
        ["form", f.form],
        ["in_trusteeship", "yes" if f.facts.in_trusteeship else "no"],
        ["total_receipts", f.total_receipts],
        ["dues_receipts", f.dues_receipts],
        ["checkoff_suspense_receipts", f.suspense_receipts],
        ["other_receipts", f.facts.other_receipts],
        ["dues_refunded", f.refunds],
        ["per_capita_paid", f.per_capita_paid],
    ]
    rows += [[f"dues_received_{f.year}-{m:02d}", total] for m, total in f.dues_by_month]
    rows += [[f"members_{c.classification.code}", c.count] for c in f.categories]
    rows += [
        [f"members_{c.classification.code}_may_vote", "yes" if c.classification.may_vote else "no"]
        for c in f.categories
    ]
    rows.append(["members_total", f.members])
    rows += [
        [f"receivable_90_days_{r.employer.code}_{r.year}-{r.month:02d}", r.owed]
        for r in f.schedule_1
    ]
    return rows
