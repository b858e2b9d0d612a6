"""Remittance lines in the admin, read-only: an unmatched line of a checked remittance is
matched to a member found by name or number; a suspense line is applied to a member (found
the same way) or returned."""

from __future__ import annotations

import datetime

from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from appkit.admin import DeclaredFiltersAdmin, InputsFilter, ReadOnlyAdminMixin, money_column
from appkit.templatetags.office import currency

from ..forms import LineMatchForm, MemberFindForm, SuspenseResolveForm
from ..hand_matching import MATCH_PERMISSION, remittance_line_match
from ..matching import in_suspense
from ..models import BatchStatus, RemittanceLine, SuspenseAction, SuspenseStatus
from ..selectors import members_found
from ..services import suspense_apply, suspense_return


class SuspenseFilter(admin.SimpleListFilter):
    title = "suspense"
    parameter_name = "suspense"

    def lookups(self, request, model_admin):
        return [(s.value, s.label) for s in SuspenseStatus if s.value]

    def queryset(self, request, queryset):
        return queryset.filter(suspense=self.value()) if self.value() else queryset


class WorkMonthFilter(InputsFilter):
    """The work month lines are for, typed (the employers' report links to a month's
    suspense with it)."""

    title = "work month"
    inputs = (("work_month", "Work month, like 2026-09", "text"),)

    def queryset(self, request, queryset):
        if not (value := self.value("work_month")):
            return queryset
        try:
            year, month = (int(part) for part in value.split("-"))
            datetime.date(year, month, 1)
        except ValueError as exc:
            raise IncorrectLookupParameters("Write the work month like 2026-09.") from exc
        return queryset.filter(year=year, month=month)


@admin.register(RemittanceLine)
class RemittanceLineAdmin(ReadOnlyAdminMixin, DeclaredFiltersAdmin):
    """Remittance lines, read-only; the suspense list (?suspense=open) resolves each."""

    list_display = [
        "__str__",
        "batch",
        "work_month",
        "member_number",
        "last_name",
        money_column("amount", "Amount"),
        "exception",
        "suspense",
        "resolve",
    ]
    list_filter = [SuspenseFilter, WorkMonthFilter, "exception", "batch__employer"]
    list_select_related = ["batch", "batch__employer"]
    search_fields = ["=member_number", "=employee_id", "last_name"]

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<int:line_id>/resolve/",
                view(self.resolve_view),
                name="checkoff_remittanceline_resolve",
            ),
            path(
                "<int:line_id>/match/",
                view(self.match_view),
                name="checkoff_remittanceline_match",
            ),
            *super().get_urls(),
        ]

    @admin.display(description="")
    def resolve(self, line: RemittanceLine) -> str:
        if line.suspense != SuspenseStatus.OPEN:
            return ""
        url = reverse("admin:checkoff_remittanceline_resolve", args=[line.pk])
        return format_html('<a class="button" href="{}">Apply or return</a>', url)

    def _finder(self, request: HttpRequest, line: RemittanceLine) -> dict:
        """The member finder of the match and resolve pages: the search (first, the line's
        last name), the members it finds, and the one chosen."""
        default = line.last_name or line.member_number
        find = MemberFindForm(request.POST if request.method == "POST" else request.GET)
        q = find.cleaned_data["q"] if find.is_valid() and "q" in find.data else default
        if not find.is_valid() or "q" not in find.data:
            find = MemberFindForm({"q": q})
            find.is_valid()
        return {
            "find_form": find,
            "q": q,
            "found": members_found(q, line.batch.employer),
            "chosen": request.POST.get("member", ""),
        }

    def match_view(self, request: HttpRequest, line_id: int) -> HttpResponse:
        """Match an unmatched line of a checked remittance to a member found by name or
        number, before posting (hand_matching.remittance_line_match)."""
        if not request.user.has_perm(MATCH_PERMISSION):
            raise PermissionDenied
        line = get_object_or_404(
            RemittanceLine.objects.select_related("batch__employer"), pk=line_id
        )
        back = reverse("admin:checkoff_remittancebatch_change", args=[line.batch_id])
        if line.batch.status != BatchStatus.CHECKED or line.member_id is not None:
            messages.info(request, f"Row {line.row_number} of {line.batch} is no longer unmatched.")
            return HttpResponseRedirect(back)
        form = LineMatchForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            member = form.cleaned_data["member"]
            try:
                line = remittance_line_match(
                    line=line, member=member, note=form.cleaned_data["note"], actor=request.user
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _matched_message(line, member))
                return HttpResponseRedirect(back)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Match row {line.row_number} of {line.batch} to a member",
            "line": line,
            "form": form,
            "submit": "Match this line to the member chosen",
            **self._finder(request, line),
        }
        return TemplateResponse(request, "admin/checkoff/remittanceline/match.html", context)

    def resolve_view(self, request: HttpRequest, line_id: int) -> HttpResponse:
        """Apply a suspense line's money to a member (found by name or number), or mark it
        returned, with a note."""
        if not request.user.has_perm("checkoff.add_suspenseresolution"):
            raise PermissionDenied
        line = get_object_or_404(
            RemittanceLine.objects.select_related("batch__employer"), pk=line_id
        )
        form = SuspenseResolveForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                if data["action"] == SuspenseAction.APPLIED:
                    resolution = suspense_apply(
                        line=line, member=data["member"], note=data["note"], actor=request.user
                    )
                    messages.success(
                        request,
                        f"Applied {currency(line.amount)} to member "
                        f"{data['member'].member_number} {data['member'].full_name}: "
                        f"receipt {resolution.payment.receipt}.",
                    )
                else:
                    suspense_return(line=line, note=data["note"], actor=request.user)
                    messages.success(
                        request, f"{line} is marked returned to {line.batch.employer.code}."
                    )
                return HttpResponseRedirect(
                    reverse("admin:checkoff_remittancebatch_change", args=[line.batch_id])
                )
            except ValidationError as exc:
                form.add_error(None, exc)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Resolve a suspense line: {line.batch.employer.code}, {line.work_month}",
            "line": line,
            "form": form,
            "submit": "Save",
            **self._finder(request, line),
        }
        return TemplateResponse(request, "admin/checkoff/remittanceline/resolve.html", context)


def _matched_message(line: RemittanceLine, member) -> str:
    who = f"{member.member_number} {member.full_name}"
    if in_suspense(line):
        return (
            f"Row {line.row_number} is matched to {who}, but it is {line.exception} "
            f"({line.get_exception_display()}): posting will hold its {currency(line.amount)} "
            "in suspense."
        )
    return (
        f"Row {line.row_number} is matched to {who}: posting will credit them "
        f"{currency(line.amount)}."
    )
