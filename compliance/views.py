"""Governance pages (docs/design.md §10), Officer and Admin only: the arrears policy and its
proposals, eligibility lists, per-capita reports and the LM figures; each CSV an audit
event."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone

from appkit.admin import admin_page, office_view
from appkit.files import csv_lines
from audit.csv_export import audited_csv_download
from checkoff.views import MonthFilter

from .for_jobs import arrears_policy_apply_start, eligibility_list_create_start
from .forms import (
    DayFilter,
    EligibilityForm,
    HoldForm,
    InspectionForm,
    OverrideForm,
    PaidForm,
    YearFilter,
)
from .models import Affiliate, EligibilityList, PerCapitaReport, StandingChange, StandingHold
from .selectors import arrears_policy_on, lm_figures
from .services import (
    eligibility_csv_lines,
    eligibility_list_publish,
    inspection_record,
    per_capita_report_paid,
    per_capita_report_submit,
    per_capita_report_work_out,
    standing_hold,
    standing_hold_release,
    standing_override,
)

governance_view = office_view("compliance.view_arrearspolicy")


def _needs(request: HttpRequest, permission: str) -> None:
    if not request.user.has_perm(permission):
        raise PermissionDenied


def _refused(request: HttpRequest, exc: ValidationError) -> None:
    messages.error(request, " ".join(exc.messages))


# --- Arrears policy -----------------------------------------------------------------------


@governance_view
def arrears(request: HttpRequest) -> HttpResponse:
    """The policy in force on a day, in words, and the latest decisions; what it changes is
    worked out by a job (the whole local's standing takes longer than a request)."""
    if request.method == "POST":
        return _arrears_action(request)
    form = DayFilter({"as_of": request.GET.get("as_of") or timezone.localdate().isoformat()})
    context = {
        "form": form,
        "hold_form": HoldForm(),
        "override_form": OverrideForm(),
        "holds": StandingHold.objects.filter(released_at__isnull=True).select_related(
            "member", "held_by"
        ),
        "decisions": StandingChange.objects.select_related("member", "policy", "decided_by")[
            :RECENT_DECISIONS
        ],
    }
    if not form.is_valid():
        return admin_page(
            request, "compliance/arrears.html", context, title="Arrears policy", status=400
        )
    day = form.cleaned_data["as_of"]
    context["day"] = day
    try:
        context["policy"] = arrears_policy_on(day)
    except ValidationError as exc:
        context["no_policy"] = " ".join(exc.messages)
    return admin_page(request, "compliance/arrears.html", context, title="Arrears policy")


RECENT_DECISIONS = 50


def _arrears_action(request: HttpRequest) -> HttpResponse:
    action = request.POST.get("action")
    if action in ("dry_run", "apply"):
        _needs(request, "compliance.add_standingchange")
        form = DayFilter(request.POST)
        if not form.is_valid() or form.cleaned_data["as_of"] > timezone.localdate():
            messages.error(request, "Choose today or a past day, as YYYY-MM-DD.")
            return redirect("compliance:arrears")
        day, dry_run = form.cleaned_data["as_of"], action == "dry_run"
        job = arrears_policy_apply_start(day=day, dry_run=dry_run, actor=request.user)
        return redirect("admin:jobs_job_change", job.pk)
    if action == "hold":
        _needs(request, "compliance.add_standinghold")
        form = HoldForm(request.POST)
        if form.is_valid():
            try:
                standing_hold(
                    member=form.cleaned_data["member"],
                    reason=form.cleaned_data["reason"],
                    actor=request.user,
                )
                messages.success(request, f"{form.cleaned_data['member']} is held.")
            except ValidationError as exc:
                _refused(request, exc)
        else:
            messages.error(request, _form_errors(form))
    elif action == "release":
        _needs(request, "compliance.change_standinghold")
        hold = get_object_or_404(StandingHold, pk=request.POST.get("hold"))
        standing_hold_release(hold=hold, actor=request.user)
        messages.success(request, f"The hold on {hold.member} is released.")
    elif action == "override":
        _needs(request, "compliance.add_standingchange")
        form = OverrideForm(request.POST)
        if form.is_valid():
            try:
                change = standing_override(
                    member=form.cleaned_data["member"],
                    status=form.cleaned_data["status"],
                    reason=form.cleaned_data["reason"],
                    actor=request.user,
                )
                messages.success(
                    request,
                    f"{change.member} is now {change.get_to_status_display().lower()}.",
                )
            except ValidationError as exc:
                _refused(request, exc)
        else:
            messages.error(request, _form_errors(form))
    else:
        messages.error(request, "Unknown action.")
    return redirect("compliance:arrears")


def _form_errors(form) -> str:
    return " ".join(f"{field}: {' '.join(errors)}" for field, errors in form.errors.items())


# --- Eligibility --------------------------------------------------------------------------


@governance_view
def eligibility(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        _needs(request, "compliance.add_eligibilitylist")
        form = EligibilityForm(request.POST)
        if form.is_valid():
            job = eligibility_list_create_start(
                title=form.cleaned_data["title"],
                record_date=form.cleaned_data["record_date"],
                actor=request.user,
            )
            return redirect("admin:jobs_job_change", job.pk)
        status = 400
    else:
        initial = request.GET.get("as_of") or timezone.localdate().isoformat()
        form = EligibilityForm(initial={"record_date": initial})
        status = 200
    lists = EligibilityList.objects.select_related("policy")
    as_of = DayFilter(request.GET) if request.GET.get("as_of") else None
    if as_of is not None and as_of.is_valid():
        lists = lists.filter(record_date=as_of.cleaned_data["as_of"])
    return admin_page(
        request,
        "compliance/eligibility.html",
        {"form": form, "lists": lists[:100], "as_of": as_of},
        title="Eligibility lists",
        status=status,
    )


@governance_view
def eligibility_detail(request: HttpRequest, pk: int) -> HttpResponse:
    elist = get_object_or_404(
        EligibilityList.objects.select_related("policy", "published_by"), pk=pk
    )
    inspection_form = InspectionForm()
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "publish":
            _needs(request, "compliance.add_eligibilitylist")
            try:
                eligibility_list_publish(elist=elist, actor=request.user)
                messages.success(request, "Published: the list is frozen.")
            except ValidationError as exc:
                _refused(request, exc)
            return redirect("compliance:eligibility_detail", pk)
        if action == "inspect":
            _needs(request, "compliance.inspect_eligibilitylist")
            inspection_form = InspectionForm(request.POST)
            if inspection_form.is_valid():
                try:
                    inspection_record(
                        elist=elist,
                        candidate=inspection_form.cleaned_data["candidate"],
                        actor=request.user,
                        note=inspection_form.cleaned_data["note"],
                    )
                    messages.success(request, "The inspection is recorded.")
                    return redirect("compliance:eligibility_detail", pk)
                except ValidationError as exc:
                    inspection_form.add_error(None, exc)
    if request.GET.get("format") == "csv":
        return _eligibility_csv(request, elist)
    entries = elist.entries.all()
    shown = request.GET.get("eligible")
    if shown in ("yes", "no"):
        entries = entries.filter(eligible=shown == "yes")
    paginator = Paginator(entries, 200)
    paginator.count = (
        elist.eligible_count + elist.ineligible_count
        if shown not in ("yes", "no")
        else (elist.eligible_count if shown == "yes" else elist.ineligible_count)
    )
    return admin_page(
        request,
        "compliance/eligibility_detail.html",
        {
            "elist": elist,
            "page": paginator.get_page(request.GET.get("page")),
            "shown": shown,
            "inspection_form": inspection_form,
            "inspections": elist.inspections.select_related("candidate", "recorded_by"),
        },
        title=str(elist),
        status=400 if inspection_form.errors else 200,
    )


def _eligibility_csv(request: HttpRequest, elist: EligibilityList) -> HttpResponse:
    # A published list is served as it was frozen, byte for byte: its hash checks it.
    lines = [elist.snapshot] if elist.is_published else eligibility_csv_lines(elist)
    return audited_csv_download(
        request,
        lines=lines,
        filename=f"eligibility-{elist.record_date}-{elist.pk}",
        model_label="compliance.eligibilitylist",
        count=elist.eligible_count + elist.ineligible_count,
        what=f"members on eligibility list #{elist.pk} ({elist.record_date})",
    )


# --- Per capita ---------------------------------------------------------------------------


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
        {"form": form, "rows": rows, "month": label, "paid_form": PaidForm()},
        title=f"{PER_CAPITA_TITLE} for {label}",
    )


def _per_capita_action(request: HttpRequest, year: int, month: int, label: str) -> HttpResponse:
    affiliate = get_object_or_404(Affiliate, pk=request.POST.get("affiliate"))
    action = request.POST.get("action")
    try:
        if action == "work_out":
            _needs(request, "compliance.add_percapitareport")
            per_capita_report_work_out(
                affiliate=affiliate, year=year, month=month, actor=request.user
            )
            messages.success(request, f"{affiliate.code} {label} worked out.")
        else:
            _needs(request, "compliance.submit_percapitareport")
            report = get_object_or_404(PerCapitaReport, affiliate=affiliate, year=year, month=month)
            if action == "submit":
                per_capita_report_submit(report=report, actor=request.user)
                messages.success(request, f"{affiliate.code} {label} marked submitted.")
            elif action == "paid":
                form = PaidForm(request.POST)
                if not form.is_valid():
                    messages.error(request, _form_errors(form))
                else:
                    per_capita_report_paid(
                        report=report, paid_on=form.cleaned_data["paid_on"], actor=request.user
                    )
                    messages.success(request, f"{affiliate.code} {label} marked paid.")
    except ValidationError as exc:
        _refused(request, exc)
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
    form = YearFilter({"year": request.GET.get("year") or timezone.localdate().year - 1})
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
        {"form": form, "f": figures},
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
