"""The employers' reconciliation page (/dues/reports/employers/?month=YYYY-MM): per
employer, expected against remitted, exceptions, suspense and lateness; CSV."""

from __future__ import annotations

import datetime

from django import forms
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from appkit.admin import admin_page, office_view
from appkit.files import csv_lines
from audit.csv_export import audited_csv_download

from .models import LineException
from .selectors import employers_month


class MonthFilter(forms.Form):
    month = forms.CharField(help_text="The work month, like 2026-09.", max_length=7)

    def clean_month(self) -> tuple[int, int]:
        text = self.cleaned_data["month"].strip()
        try:
            year, month = (int(part) for part in text.split("-"))
            datetime.date(year, month, 1)
        except ValueError:
            raise forms.ValidationError("Write the month like 2026-09.") from None
        if not 2000 <= year <= 2100:
            raise forms.ValidationError("Write the month like 2026-09.")
        return year, month


CSV_HEADER = [
    "employer",
    "name",
    "authorized",
    "expected",
    "remitted",
    "difference",
    "due",
    "received_on",
    "days_late",
    "suspense_open_work_month",
    "suspense_open_all_months",
]


def _csv_row(row, codes: list[str]) -> list[object]:
    return [
        row.employer.code,
        row.employer.name,
        row.authorized,
        row.expected,
        row.remitted,
        row.difference,
        row.due,
        row.received_on or "",
        row.days_late,
        row.suspense_month,
        row.suspense_all,
        *(row.exceptions.get(code, 0) for code in codes),
    ]


@office_view("checkoff.view_remittancebatch")
def employers_report(request: HttpRequest) -> HttpResponse:
    last_month = timezone.localdate().replace(day=1) - datetime.timedelta(days=1)
    form = MonthFilter({"month": request.GET.get("month") or last_month.strftime("%Y-%m")})
    if not form.is_valid():
        return admin_page(
            request, "checkoff/employers.html", {"form": form}, title="Employers", status=400
        )
    year, month = form.cleaned_data["month"]
    rows = employers_month(year, month)
    codes = list(LineException.values)
    if request.GET.get("format") == "csv":
        return audited_csv_download(
            request,
            lines=csv_lines(CSV_HEADER + codes, (_csv_row(row, codes) for row in rows)),
            filename=f"employers-{year}-{month:02d}",
            model_label="checkoff.remittancebatch",
            count=len(rows),
            what=f"employers' remittances for {year}-{month:02d}",
        )
    return admin_page(
        request,
        "checkoff/employers.html",
        {"form": form, "rows": rows, "month": f"{year}-{month:02d}"},
        title=f"Employers' remittances for {year}-{month:02d}",
    )
