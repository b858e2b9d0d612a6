"""The hall's pages of the morning referral (docs/design.md §11, issue 28): the request
board with its cutoff clock, and the reports of the referral (the daily summary, the bids
of a referral day, the current dispatches by employer, the by-name requests of a period);
each also as CSV and PDF (?format=csv, ?format=pdf), built by report_files.py as the other
hall pages' are (views.py), and each read in the same queries for one row as for many."""

from __future__ import annotations

import datetime

from django import forms
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from appkit.admin import office_view

from . import board, referral_reports, reports
from .dispatch_forms import DayForm
from .forms import FIRST_DAY, LAST_DAY
from .views import FORMATS, report_download, report_page


class PeriodForm(forms.Form):
    start = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To", widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            raise forms.ValidationError("The period ends before it starts.")
        for day in (start, end):
            if day and not FIRST_DAY <= day <= LAST_DAY:
                raise forms.ValidationError(
                    f"Ask for days between {FIRST_DAY:%Y} and {LAST_DAY:%Y}."
                )
        return data


@office_view("referral.view_laborrequest")
def request_board(request: HttpRequest) -> HttpResponse:
    if (fmt := request.GET.get("format")) in FORMATS:
        return report_download(request, fmt, "open_requests", {})
    lines = [board.line(r) for r in board.open_requests()]
    return report_page(
        request,
        "referral/board.html",
        {
            "groups": board.board_groups(lines),
            "count": len(lines),
            "clock": board.cutoff_clock(),
            "zone": reports.zone_name(),
        },
        title="Request board",
    )


def _day_form(request: HttpRequest) -> DayForm:
    return DayForm(request.GET if "day" in request.GET else {"day": timezone.localdate()})


@office_view("referral.view_referralrun")
def referral_summary(request: HttpRequest) -> HttpResponse:
    """The confirmed morning referrals of a day (?day=YYYY-MM-DD; today by default)."""
    form = _day_form(request)
    context = {"form": form}
    title = "Referral summary"
    if not form.is_valid():
        return report_page(
            request, "referral/referral_summary.html", context, title=title, status=400
        )
    day = form.cleaned_data["day"]
    if (fmt := request.GET.get("format")) in FORMATS:
        return report_download(request, fmt, "referral_summary", {"day": day.isoformat()})
    context |= {
        "day": day,
        "runs": referral_reports.confirmed_runs(day),
        "lines": referral_reports.summary_lines(day),
    }
    return report_page(
        request, "referral/referral_summary.html", context, title=f"{title}: {day:%a %b %d, %Y}"
    )


@office_view("referral.view_bid")
def bids(request: HttpRequest) -> HttpResponse:
    """The bids for a referral day's requests (?day=YYYY-MM-DD; today by default)."""
    form = _day_form(request)
    context = {"form": form}
    title = "Bids"
    if not form.is_valid():
        return report_page(request, "referral/bids.html", context, title=title, status=400)
    day = form.cleaned_data["day"]
    if (fmt := request.GET.get("format")) in FORMATS:
        return report_download(request, fmt, "bids", {"day": day.isoformat()})
    rows = [referral_reports.bid_cells(b) for b in referral_reports.bids_for(day)]
    context |= {"day": day, "rows": rows, "zone": reports.zone_name()}
    return report_page(request, "referral/bids.html", context, title=f"{title}: {day:%a %b %d, %Y}")


@office_view("referral.view_dispatch")
def current_dispatches(request: HttpRequest) -> HttpResponse:
    if (fmt := request.GET.get("format")) in FORMATS:
        return report_download(request, fmt, "current_dispatches", {})
    groups = referral_reports.by_employer(referral_reports.current_dispatches())
    return report_page(
        request,
        "referral/current_dispatches.html",
        {"groups": groups, "count": sum(len(g.rows) for g in groups)},
        title="Current dispatches by employer",
    )


@office_view("referral.view_laborrequest")
def by_name(request: HttpRequest) -> HttpResponse:
    """The by-name requests received in a period (the last 30 days by default)."""
    today = timezone.localdate()
    asked = request.GET if "start" in request.GET else None
    form = PeriodForm(asked or {"start": today - datetime.timedelta(days=30), "end": today})
    context = {"form": form}
    title = "By-name requests"
    if not form.is_valid():
        return report_page(request, "referral/by_name.html", context, title=title, status=400)
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    if (fmt := request.GET.get("format")) in FORMATS:
        params = {"start": start.isoformat(), "end": end.isoformat()}
        return report_download(request, fmt, "by_name", params)
    requests = referral_reports.by_name_requests(start, end)
    rows = [referral_reports.by_name_cells(r) for r in requests]
    context |= {"start": start, "end": end, "rows": rows, "zone": reports.zone_name()}
    return report_page(request, "referral/by_name.html", context, title=title)
