"""Labor requests in the admin, written only through the services: "add" receives a request
(labor_request_receive: the rules give its referral day and refuse what they refuse), and an
open request's "Cancel" leads to a page saying what cancelling does before it is done. The
requirements a request may name are listed, read-only (the migration seeds them)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from appkit.admin import DeclaredFiltersAdmin, ReadOnlyAdminMixin, refusal_on_form
from audit.admin import KeptRecordsAdmin

from ..forms import LaborRequestCancelForm, LaborRequestReceiveForm
from ..models import Blackout, LaborRequest, Requirement
from ..services import labor_request_cancel, labor_request_receive
from ..services.requests import CANCEL, RECEIVE

ACTION_TEMPLATE = "admin/referral/registration/action.html"


@admin.register(LaborRequest)
class LaborRequestAdmin(KeptRecordsAdmin):
    list_display = [
        "id",
        "referral_day",
        "book",
        "employer",
        "positions",
        "filled",
        "status",
        "start_on",
        "named_member",
        "dispatch_link",
        "cancel_link",
    ]
    list_filter = ["status", "book", "referral_day"]
    list_select_related = ["book", "employer", "named_member"]
    search_fields = ["=employer__code", "employer__name", "worksite"]
    search_help_text = "An employer's code or name, or a worksite."
    ordering = ["-referral_day", "-id"]
    date_hierarchy = "referral_day"
    filter_horizontal = ()

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        # Never edited as a form: received, cancelled and filled by the services.
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(RECEIVE)

    @admin.display(description="")
    def dispatch_link(self, labor_request: LaborRequest) -> str:
        if not labor_request.is_open or labor_request.filled >= labor_request.positions:
            return ""
        url = reverse("admin:referral_dispatch_make", args=[labor_request.pk])
        return format_html('<a href="{}">Dispatch a member</a>', url)

    @admin.display(description="")
    def cancel_link(self, labor_request: LaborRequest) -> str:
        if not labor_request.is_open:
            return ""
        url = reverse("admin:referral_laborrequest_cancel", args=[labor_request.pk])
        return format_html('<a href="{}">Cancel</a>', url)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/cancel/", view(self.cancel_view), name="referral_laborrequest_cancel"),
            *super().get_urls(),
        ]

    def _page(self, request, form, *, title, submit, facts=(), back=None) -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "form": form,
            "submit": submit,
            "facts": list(facts),
            "back": back or reverse("admin:referral_laborrequest_changelist"),
            "media": self.media + form.media,
        }
        status = 400 if form.errors else 200
        return TemplateResponse(request, ACTION_TEMPLATE, context, status=status)

    def add_view(self, request: HttpRequest, form_url="", extra_context=None) -> HttpResponse:
        """Receive a request through labor_request_receive: never a save()."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = LaborRequestReceiveForm(
            request.POST if request.method == "POST" else None, admin_site=self.admin_site
        )
        if request.method == "POST" and form.is_valid():
            try:
                made = labor_request_receive(**form.cleaned_data, actor=request.user)
            except ValidationError as exc:
                refusal_on_form(form, exc)
            else:
                self.message_user(
                    request,
                    f"Received request #{made.pk}: {made.positions} on {made.book.code}, for "
                    f"the referral of {made.referral_day:%a %b %d, %Y}.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:referral_laborrequest_changelist"))
        return self._page(
            request,
            form,
            title="Receive a labor request",
            submit="Receive",
            facts=[
                "The rules in force give its referral day: received before their cutoff on a "
                "working day, the next working day's morning referral; after it, the one after."
            ],
        )

    def cancel_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not request.user.has_perm(CANCEL):
            raise PermissionDenied
        labor_request = get_object_or_404(
            LaborRequest.objects.select_related("book", "employer"), pk=pk
        )
        form = LaborRequestCancelForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                labor_request_cancel(
                    labor_request=labor_request,
                    reason=form.cleaned_data["reason"],
                    actor=request.user,
                )
            except ValidationError as exc:
                refusal_on_form(form, exc)
            else:
                self.message_user(request, f"Cancelled request #{pk}.", messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:referral_laborrequest_changelist"))
        return self._page(
            request,
            form,
            title=f"Cancel request #{pk} of {labor_request.employer}",
            submit="Cancel the request",
            facts=[
                f"{labor_request.employer} asked for {labor_request.positions} on "
                f"{labor_request.book.code} for the referral of "
                f"{labor_request.referral_day:%a %b %d, %Y}; {labor_request.filled} filled.",
                "A cancelled request is not referred and cannot be opened again; the "
                "dispatches already made stand.",
            ],
        )


@admin.register(Requirement)
class RequirementAdmin(ReadOnlyAdminMixin, DeclaredFiltersAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(Blackout)
class BlackoutAdmin(ReadOnlyAdminMixin, KeptRecordsAdmin):
    """Written by a quit or discharge (dispatch, next): read here."""

    list_display = ["member", "employer", "starts_on", "ends_on", "reason"]
    list_select_related = ["member", "employer"]
    search_fields = ["=member__member_number", "member__last_name", "=employer__code"]
