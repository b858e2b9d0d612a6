"""The hiring hall's staff pages (/referral/): the books with their counts, a book's
out-of-work list now and as it stood at a time the dispatcher types, the re-signs falling
due, the registrations dropped, the out-of-work counts book by book, the day book of a
day's dispatches, and a member's registration history; each list as CSV or PDF too
(?format=csv, ?format=pdf: built by referral/report_files.py, a long PDF by a job). Pages
of 100, counted without a whole big table (appkit.admin.EstimatedCountPaginator); a page's
queries do not grow with its rows."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import admin
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone

from appkit.admin import EstimatedCountPaginator, admin_page, office_view
from appkit.files import csv_lines
from audit.csv_export import audited_csv_download
from jobs.views import job_start_page
from members.models import Member

from . import day_book, reports
from .dispatch_forms import DayForm
from .for_jobs import report_pdf_start
from .forms import AsOfForm, DaysForm, DroppedForm
from .models import Book
from .report_files import ReportFile, pdf_export_record, report_file
from .selectors import registration_position, registrations_dropped, resign_due_within
from .selectors import unemployed_counts as books_with_counts

PER_PAGE = 100
FORMATS = ("csv", "pdf")


@office_view("referral.view_book")
def books(request: HttpRequest) -> HttpResponse:
    return report_page(
        request,
        "referral/books.html",
        {"books": books_with_counts().select_related("region")},
        title="Out-of-work books",
    )


@office_view("referral.view_registration")
def book_list(request: HttpRequest, pk: int) -> HttpResponse:
    book = get_object_or_404(Book.objects.select_related("region", "classification"), pk=pk)
    if (fmt := request.GET.get("format")) in FORMATS:
        return report_download(request, fmt, "book_list", {"pk": book.pk})
    registrations = reports.book_list_with_exemptions(book)
    page = EstimatedCountPaginator(registrations, PER_PAGE).get_page(request.GET.get("page"))
    # The page's rows as the report's lines, numbered by their place on the whole list.
    page.object_list = list(reports.book_list_lines(page.object_list, first=page.start_index()))
    return report_page(
        request,
        "referral/book_list.html",
        {"book": book, "page": page, "lines": page.object_list},
        title=f"{book.code}: out-of-work list",
    )


@office_view("referral.view_registration")
def book_as_of(request: HttpRequest, pk: int) -> HttpResponse:
    book = get_object_or_404(Book, pk=pk)
    context = {"book": book, "zone": reports.zone_name()}
    title = f"{book.code}: the list as it stood"
    if "at" not in request.GET:
        now = timezone.localtime()
        context["form"] = AsOfForm(initial={"at": now.strftime("%Y-%m-%dT%H:%M")})
        return report_page(request, "referral/book_as_of.html", context, title=title)
    form = AsOfForm(request.GET)
    context["form"] = form
    if not form.is_valid():
        return report_page(request, "referral/book_as_of.html", context, title=title, status=400)
    if (fmt := request.GET.get("format")) in FORMATS:
        return report_download(request, fmt, "book_as_of", {"pk": book.pk, "at": request.GET["at"]})
    instant, note = form.cleaned_data["at"]
    lines = reports.as_of_lines(book, instant)
    context |= {
        "instant": instant,
        "note": note,
        "future": instant > timezone.now(),
        "page": Paginator(lines, PER_PAGE).get_page(request.GET.get("page")),
    }
    return report_page(request, "referral/book_as_of.html", context, title=title)


@office_view("referral.view_registration")
def resign_due(request: HttpRequest) -> HttpResponse:
    form = DaysForm(request.GET if "days" in request.GET else {"days": 7})
    context = {"form": form}
    title = "Re-signs falling due"
    if not form.is_valid():
        return report_page(request, "referral/resign_due.html", context, title=title, status=400)
    days = form.cleaned_data["days"]
    today = timezone.localdate()
    if (fmt := request.GET.get("format")) in FORMATS:
        return report_download(
            request, fmt, "resign_due", {"days": days, "today": today.isoformat()}
        )
    registrations = resign_due_within(days, today=today)
    page = EstimatedCountPaginator(registrations, PER_PAGE).get_page(request.GET.get("page"))
    context |= {"page": page, "days": days, "today": today}
    return report_page(request, "referral/resign_due.html", context, title=title)


@office_view("referral.view_registration")
def dropped(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    asked = request.GET if "start" in request.GET else None
    form = DroppedForm(
        asked or {"start": today - datetime.timedelta(days=30), "end": today, "reason": ""}
    )
    context = {"form": form}
    title = "Registrations dropped"
    if not form.is_valid():
        return report_page(request, "referral/dropped.html", context, title=title, status=400)
    data = form.cleaned_data
    if (fmt := request.GET.get("format")) in FORMATS:
        params = {
            "start": data["start"].isoformat(),
            "end": data["end"].isoformat(),
            "reason": data["reason"],
            "book": data["book"].pk if data["book"] else None,
        }
        return report_download(request, fmt, "dropped", params)
    registrations = reports.with_roll_off_event(
        registrations_dropped(data["start"], data["end"], reason=data["reason"], book=data["book"])
    )
    page = EstimatedCountPaginator(registrations, PER_PAGE).get_page(request.GET.get("page"))
    scope = reports.dropped_scope(
        data["start"], data["end"], reason=data["reason"], book=data["book"]
    )
    context |= {"page": page, "scope": scope}
    return report_page(request, "referral/dropped.html", context, title=title)


@office_view("referral.view_registration")
def unemployed_counts(request: HttpRequest) -> HttpResponse:
    if (fmt := request.GET.get("format")) in FORMATS:
        return report_download(request, fmt, "unemployed_counts", {})
    return report_page(
        request,
        "referral/unemployed_counts.html",
        {"counts": reports.unemployed_counts_by_book(), "tiers": reports.TIERS},
        title="Out of work by book",
    )


@office_view("referral.view_dispatch")
def dispatch_day_book(request: HttpRequest) -> HttpResponse:
    """The dispatches of the local's day asked for (?day=YYYY-MM-DD; today by default)."""
    form = DayForm(request.GET if "day" in request.GET else {"day": timezone.localdate()})
    context = {"form": form}
    title = "Day book"
    if not form.is_valid():
        return report_page(request, "referral/day_book.html", context, title=title, status=400)
    day = form.cleaned_data["day"]
    if (fmt := request.GET.get("format")) in FORMATS:
        return report_download(request, fmt, "day_book", {"day": day.isoformat()})
    context |= {"day": day, "lines": day_book.lines_of(day), "zone": reports.zone_name()}
    return report_page(
        request, "referral/day_book.html", context, title=f"{title}: {day:%a %b %d, %Y}"
    )


@office_view("referral.view_registration")
def member_history(request: HttpRequest, member_id: int) -> HttpResponse:
    member = get_object_or_404(Member, pk=member_id)
    if (fmt := request.GET.get("format")) in FORMATS:
        return report_download(request, fmt, "member_history", {"member_id": member.pk})
    registrations = reports.member_history(member.pk)
    # A member is on a few books at most: one count each, over the list's index.
    positions = {r.pk: registration_position(r) for r in registrations if r.on_list}
    return report_page(
        request,
        "referral/member_history.html",
        {
            "member": member,
            "registrations": [(r, positions.get(r.pk), r.events.all()) for r in registrations],
        },
        title=f"Registrations of {member.full_name} ({member.member_number})",
    )


def report_page(
    request: HttpRequest, template: str, context: dict, *, title: str, status: int = 200
) -> HttpResponse:
    """A hall page, with its query (less page= and format=) for its pager and downloads."""
    context = {**context, "query": _query(request)}
    return admin_page(request, template, context, title=title, status=status)


def _query(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("format", None)
    return query.urlencode()


def report_download(
    request: HttpRequest, fmt: str, report: str, params: dict[str, Any]
) -> HttpResponse:
    """The report named by its page (report_files.REPORT_FILES) as CSV (formula-safe cells,
    streamed) or PDF; either download is itself an audit event, as every export of
    members' records is. A long PDF is a job's (`_pdf_by_job`)."""
    file = report_file(report, params)
    if fmt == "csv":
        return audited_csv_download(
            request,
            lines=csv_lines(file.header, file.rows),
            filename=file.stem,
            model_label=file.model_label,
            count=file.count,
            what=file.what,
        )
    if file.pdf_by_job:
        return _pdf_by_job(request, report, params, file)
    pdf_export_record(file, actor=request.user, request=request)
    return HttpResponse(
        file.pdf(),
        content_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{file.download_name("pdf")}"'},
    )


def _pdf_by_job(
    request: HttpRequest, report: str, params: dict[str, Any], file: ReportFile
) -> HttpResponse:
    """A PDF of thousands of rows takes a worker seconds. A GET says so, with a button (a
    GET never starts a job: a link followed twice, a prefetch); the button's POST starts
    the job, or gives the one this user already started for the same report, and leads to
    its page, where the PDF downloads once laid out."""
    if request.method != "POST":
        query = _query(request)
        return job_start_page(
            request,
            context=admin.site.each_context(request),
            title=f"Make the PDF of {file.title}?",
            facts=[
                ("Report", file.title),
                ("Shows", " ".join(line for line in file.lines if line)),
                ("Rows", f"{file.count:,}"),
            ],
            button=f"Make the PDF of {file.count:,} rows",
            back_url=f"{request.path}?{query}" if query else request.path,
        )
    job = report_pdf_start(report=report, params=params, title=file.title, actor=request.user)
    return redirect("admin:jobs_job_change", job.pk)
