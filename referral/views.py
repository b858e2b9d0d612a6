"""The hiring hall's staff pages (/referral/): the books with their counts, a book's
out-of-work list now and as it stood at a time the dispatcher types, the re-signs falling
due, the registrations dropped, and a member's registration history; each list as CSV or
PDF too (?format=csv, ?format=pdf). Pages of 100, counted without a whole big table
(appkit.admin.EstimatedCountPaginator); a page's queries do not grow with its rows."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable

from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone

from appkit.admin import EstimatedCountPaginator, admin_page, office_view
from appkit.files import csv_lines
from audit.csv_export import audited_csv_download
from audit.models import AuditAction
from audit.services import audit_event_record
from members.models import Member

from . import reports
from .forms import AsOfForm, DaysForm, DroppedForm
from .models import Book, RegistrationEvent, RollOffReason
from .selectors import (
    member_registrations,
    registration_position,
    registrations_dropped,
    resign_due_within,
    unemployed_counts,
)

PER_PAGE = 100
FORMATS = ("csv", "pdf")
# Where a row names a member, so the audit trail knows what left the office.
MODEL_LABEL = "referral.registration"


@office_view("referral.view_book")
def books(request: HttpRequest) -> HttpResponse:
    return _page(
        request,
        "referral/books.html",
        {"books": unemployed_counts().select_related("region")},
        title="Out-of-work books",
    )


@office_view("referral.view_registration")
def book_list(request: HttpRequest, pk: int) -> HttpResponse:
    book = get_object_or_404(Book.objects.select_related("region", "classification"), pk=pk)
    registrations = reports.book_list_with_exemptions(book)
    title = f"{book.code}: out-of-work list"
    fmt = request.GET.get("format")
    if fmt in FORMATS:
        return _download(
            request,
            fmt=fmt,
            title=f"{book} - out-of-work list",
            lines=[f"As of {reports.local_text(timezone.now())} ({reports.zone_name()})."],
            filename=f"book-{book.code}",
            header=reports.BOOK_LIST_HEADER,
            rows=(
                line.cells()
                for line in reports.book_list_lines(registrations.iterator(chunk_size=2000))
            ),
            widths=(7, 10, 30, 11, 5, 10, 20, 11, 7, 24),
            count=registrations.count(),
            what=f"registrants on book {book.code}",
        )
    page = EstimatedCountPaginator(registrations, PER_PAGE).get_page(request.GET.get("page"))
    lines = list(reports.book_list_lines(page.object_list, first=page.start_index()))
    return _page(
        request,
        "referral/book_list.html",
        {"book": book, "page": page, "lines": lines, "now": timezone.now()},
        title=title,
    )


@office_view("referral.view_registration")
def book_as_of(request: HttpRequest, pk: int) -> HttpResponse:
    book = get_object_or_404(Book, pk=pk)
    context = {"book": book, "zone": reports.zone_name()}
    title = f"{book.code}: the list as it stood"
    if "at" not in request.GET:
        now = timezone.localtime()
        context["form"] = AsOfForm(initial={"at": now.strftime("%Y-%m-%dT%H:%M")})
        return _page(request, "referral/book_as_of.html", context, title=title)
    form = AsOfForm(request.GET)
    context["form"] = form
    if not form.is_valid():
        return _page(request, "referral/book_as_of.html", context, title=title, status=400)
    instant, note = form.cleaned_data["at"]
    lines = reports.as_of_lines(book, instant)
    fmt = request.GET.get("format")
    if fmt in FORMATS:
        return _download(
            request,
            fmt=fmt,
            title=f"{book} - out-of-work list as of {reports.local_text(instant)}",
            lines=[f"As it stood at {reports.local_text(instant)} ({reports.zone_name()}).", note],
            filename=f"book-{book.code}-as-of-{timezone.localtime(instant):%Y%m%d-%H%M}",
            header=reports.AS_OF_HEADER,
            rows=(line.cells() for line in lines),
            widths=(7, 10, 30, 11, 5, 10, 20, 14, 20),
            count=len(lines),
            what=f"registrants on book {book.code} as of {reports.local_text(instant)}",
        )
    context |= {
        "instant": instant,
        "note": note,
        "future": instant > timezone.now(),
        "page": Paginator(lines, PER_PAGE).get_page(request.GET.get("page")),
    }
    return _page(request, "referral/book_as_of.html", context, title=title)


@office_view("referral.view_registration")
def resign_due(request: HttpRequest) -> HttpResponse:
    form = DaysForm(request.GET if "days" in request.GET else {"days": 7})
    context = {"form": form}
    title = "Re-signs falling due"
    if not form.is_valid():
        return _page(request, "referral/resign_due.html", context, title=title, status=400)
    days = form.cleaned_data["days"]
    today = timezone.localdate()
    registrations = resign_due_within(days, today=today)
    fmt = request.GET.get("format")
    if fmt in FORMATS:
        return _download(
            request,
            fmt=fmt,
            title=f"Re-signs falling due by {today + datetime.timedelta(days=days):%b %d, %Y}",
            lines=[f"From {today:%b %d, %Y}, the next {days} days."],
            filename=f"resign-due-{days}-days",
            header=reports.RESIGN_DUE_HEADER,
            rows=(reports.resign_due_cells(r) for r in registrations.iterator(chunk_size=2000)),
            widths=(11, 11, 11, 32, 11, 5, 20),
            count=registrations.count(),
            what=f"registrations whose re-sign falls due in the next {days} days",
        )
    page = EstimatedCountPaginator(registrations, PER_PAGE).get_page(request.GET.get("page"))
    context |= {"page": page, "days": days, "today": today}
    return _page(request, "referral/resign_due.html", context, title=title)


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
        return _page(request, "referral/dropped.html", context, title=title, status=400)
    data = form.cleaned_data
    registrations = reports.with_roll_off_event(
        registrations_dropped(data["start"], data["end"], reason=data["reason"], book=data["book"])
    )
    because = RollOffReason(data["reason"]).label if data["reason"] else "any reason"
    scope = f"{data['start']:%b %d, %Y} to {data['end']:%b %d, %Y}, {because.lower()}" + (
        f", book {data['book'].code}" if data["book"] else ""
    )
    fmt = request.GET.get("format")
    if fmt in FORMATS:
        return _download(
            request,
            fmt=fmt,
            title="Registrations dropped",
            lines=[f"Dropped {scope} (dates in {reports.zone_name()})."],
            filename=f"dropped-{data['start']:%Y%m%d}-{data['end']:%Y%m%d}",
            header=reports.DROPPED_HEADER,
            rows=(reports.dropped_cells(r) for r in registrations.iterator(chunk_size=2000)),
            widths=(20, 11, 11, 28, 11, 5, 20, 16, 30),
            count=registrations.count(),
            what=f"registrations dropped {scope}",
        )
    page = EstimatedCountPaginator(registrations, PER_PAGE).get_page(request.GET.get("page"))
    context |= {"page": page, "scope": scope}
    return _page(request, "referral/dropped.html", context, title=title)


@office_view("referral.view_registration")
def member_history(request: HttpRequest, member_id: int) -> HttpResponse:
    member = get_object_or_404(Member, pk=member_id)
    events = RegistrationEvent.objects.order_by("at", "id")
    registrations = reports.current_first(
        member_registrations(member.pk)
        .select_related("book", "member")
        .prefetch_related(Prefetch("events", queryset=events), "marks__rule_set")
    )
    fmt = request.GET.get("format")
    if fmt in FORMATS:
        return _download(
            request,
            fmt=fmt,
            title=f"{member.full_name} ({member.member_number}) - registrations",
            lines=[f"Every registration and its events; times in {reports.zone_name()}."],
            filename=f"member-{member.member_number}-registrations",
            header=reports.HISTORY_HEADER,
            rows=(
                reports.history_cells(r, event) for r in registrations for event in r.events.all()
            ),
            widths=(11, 11, 5, 12, 20, 16, 14, 30, 12, 18),
            count=len(registrations),
            what=f"registrations of member {member.member_number}",
        )
    # A member is on a few books at most: one count each, over the list's index.
    positions = {r.pk: registration_position(r) for r in registrations if r.on_list}
    return _page(
        request,
        "referral/member_history.html",
        {
            "member": member,
            "registrations": [(r, positions.get(r.pk), r.events.all()) for r in registrations],
        },
        title=f"Registrations of {member.full_name} ({member.member_number})",
    )


def _page(
    request: HttpRequest, template: str, context: dict, *, title: str, status: int = 200
) -> HttpResponse:
    """A hall page, with its query (less page= and format=) for its pager and downloads."""
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("format", None)
    context = {**context, "query": query.urlencode()}
    return admin_page(request, template, context, title=title, status=status)


def _download(
    request: HttpRequest,
    *,
    fmt: str,
    title: str,
    lines: list[str],
    filename: str,
    header: Iterable[str],
    rows: Iterable[Iterable[object]],
    widths: Iterable[float],
    count: int,
    what: str,
) -> HttpResponse:
    """The report as CSV (formula-safe cells, streamed) or PDF; either download is itself
    an audit event, as every export of members' records is."""
    filename = re.sub(r"[^A-Za-z0-9._-]", "_", filename)  # a code is the hall's to choose
    if fmt == "csv":
        return audited_csv_download(
            request,
            lines=csv_lines(header, rows),
            filename=filename,
            model_label=MODEL_LABEL,
            count=count,
            what=what,
        )
    audit_event_record(
        action=AuditAction.EXPORT,
        actor=request.user,
        model_label=MODEL_LABEL,
        object_repr=f"{count} {what}",
        detail=f"Exported {count} {what} as PDF.",
        request=request,
    )
    pdf = reports.table_pdf(
        title=title, lines=[line for line in lines if line], header=header, rows=rows, widths=widths
    )
    return HttpResponse(
        pdf,
        content_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}-'
            f'{timezone.localdate():%Y-%m-%d}.pdf"'
        },
    )
