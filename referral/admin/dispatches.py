"""Dispatches in the admin, written only through the services (referral/services/
dispatching.py): listed read-only; made from an open labor request's "Dispatch a member"
page (dispatch_make); and, from a dispatch's own page, checked in, its work started, ended
or marked a no-show, the last two after a page saying what they will do (dispatch_ends.py).
A service's refusal is shown on the form that asked for it."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from appkit.admin import ReadOnlyAdminMixin, refusal_on_form
from audit.admin import KeptRecordsAdmin

from ..dispatch_forms import DispatchCheckInForm, DispatchMakeForm, DispatchStartWorkForm
from ..models import Dispatch, DispatchStatus, LaborRequest
from ..selectors import rule_set_in_force
from ..services import dispatch_check_in, dispatch_make, dispatch_start_work
from ..services.dispatching import CHANGE, DISPATCH, TERMINATE
from .dispatch_ends import DispatchEndAdmin

ACTION_TEMPLATE = "admin/referral/dispatch/action.html"


@admin.register(Dispatch)
class DispatchAdmin(DispatchEndAdmin, ReadOnlyAdminMixin, KeptRecordsAdmin):
    list_display = [
        "id",
        "member",
        "employer",
        "request_link",
        "book",
        "method",
        "status",
        "dispatched",
        "report_by_local",
        "terminated_on",
        "termination_reason",
    ]
    list_filter = ["status", "method", "employer"]
    list_select_related = ["member", "employer", "registration__book"]
    search_fields = ["=member__member_number", "member__last_name", "member__first_name"]
    search_help_text = "A member's number, or their name."
    ordering = ["-dispatched_at", "-id"]
    change_form_template = "admin/referral/dispatch/change_form.html"

    @admin.display(description="Request", ordering="labor_request")
    def request_link(self, dispatch: Dispatch) -> str:
        url = reverse("admin:referral_laborrequest_change", args=[dispatch.labor_request_id])
        return format_html('<a href="{}">#{}</a>', url, dispatch.labor_request_id)

    @admin.display(description="Book", ordering="registration__book__code")
    def book(self, dispatch: Dispatch) -> str:
        return dispatch.registration.book.code

    @admin.display(description="Dispatched at (local)", ordering="dispatched_at")
    def dispatched(self, dispatch: Dispatch) -> str:
        return f"{timezone.localtime(dispatch.dispatched_at):%Y-%m-%d %H:%M}"

    @admin.display(description="Report by", ordering="report_by")
    def report_by_local(self, dispatch: Dispatch) -> str:
        return f"{timezone.localtime(dispatch.report_by):%Y-%m-%d %H:%M}"

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "make/<int:request_pk>/",
                view(self.make_view),
                name="referral_dispatch_make",
            ),
            path("<int:pk>/check-in/", view(self.check_in_view), name="referral_dispatch_check_in"),
            path(
                "<int:pk>/work-started/",
                view(self.start_work_view),
                name="referral_dispatch_start_work",
            ),
            *self.end_urls(),
            *super().get_urls(),
        ]

    def change_view(self, request: HttpRequest, object_id, form_url="", extra_context=None):
        """The dispatch, read-only, with the steps its status allows to those who may."""
        dispatch = (
            Dispatch.objects.filter(pk=object_id).first() if str(object_id).isdigit() else None
        )
        context = dict(extra_context or {})
        if dispatch is not None:
            user = request.user
            waiting = dispatch.status == DispatchStatus.DISPATCHED
            context |= {
                "can_check_in": waiting and user.has_perm(CHANGE),
                "can_no_show": waiting
                and user.has_perm(CHANGE)
                and timezone.now() > dispatch.report_by,
                "can_start_work": dispatch.status == DispatchStatus.CHECKED_IN
                and user.has_perm(CHANGE),
                "can_end": dispatch.is_open and user.has_perm(TERMINATE),
            }
        return super().change_view(request, object_id, form_url, context)

    # --- The pages of each step ----------------------------------------------------------

    def _page(
        self,
        request: HttpRequest,
        form: forms.Form,
        *,
        title: str,
        submit: str,
        back: str,
        facts=(),
        confirm: bool = False,
    ) -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "form": form,
            "submit": submit,
            "facts": list(facts),
            "back": back,
            "confirm": confirm,
            "media": self.media + form.media,
        }
        status = 400 if form.errors else 200
        return TemplateResponse(request, ACTION_TEMPLATE, context, status=status)

    def _dispatch(self, pk: int) -> Dispatch:
        return get_object_or_404(
            Dispatch.objects.select_related(
                "member", "employer", "labor_request", "registration__book"
            ),
            pk=pk,
        )

    def _to(self, dispatch: Dispatch) -> str:
        return reverse("admin:referral_dispatch_change", args=[dispatch.pk])

    def make_view(self, request: HttpRequest, request_pk: int) -> HttpResponse:
        """Dispatch a member on the request's book to it, now, through dispatch_make."""
        if not request.user.has_perm(DISPATCH):
            raise PermissionDenied
        labor_request = get_object_or_404(
            LaborRequest.objects.select_related("book", "employer", "named_member"),
            pk=request_pk,
        )
        form = DispatchMakeForm(
            request.POST if request.method == "POST" else None, labor_request=labor_request
        )
        if request.method == "POST" and form.is_valid():
            try:
                made = dispatch_make(
                    labor_request=labor_request,
                    registration=form.cleaned_data["registration"],
                    method=form.cleaned_data["method"],
                    note=form.cleaned_data["note"],
                    actor=request.user,
                )
            except ValidationError as exc:
                refusal_on_form(form, exc)
            else:
                self.message_user(
                    request,
                    f"Dispatched {form.cleaned_data['registration'].member} to "
                    f"{labor_request.employer} (request #{labor_request.pk}): to report by "
                    f"{timezone.localtime(made.report_by):%a %b %d, %Y %H:%M}.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(self._to(made))
        return self._page(
            request,
            form,
            title=f"Dispatch a member to request #{labor_request.pk} of {labor_request.employer}",
            submit="Dispatch",
            back=reverse("admin:referral_laborrequest_change", args=[labor_request.pk]),
            facts=_what_dispatching_does(labor_request),
        )

    def check_in_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not request.user.has_perm(CHANGE):
            raise PermissionDenied
        dispatch = self._dispatch(pk)
        form = DispatchCheckInForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                dispatch_check_in(dispatch=dispatch, at=form.cleaned_data["at"], actor=request.user)
            except ValidationError as exc:
                refusal_on_form(form, exc)
            else:
                said = f"{dispatch.member} checked in at {dispatch.employer}."
                self.message_user(request, said, messages.SUCCESS)
                return HttpResponseRedirect(self._to(dispatch))
        return self._page(
            request,
            form,
            title=f"Check {dispatch.member} in at {dispatch.employer}",
            submit="Check in",
            back=self._to(dispatch),
            facts=[
                f"They were to report by "
                f"{timezone.localtime(dispatch.report_by):%a %b %d, %Y %H:%M}: one who did not "
                "is a no-show, not a check-in."
            ],
        )

    def start_work_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not request.user.has_perm(CHANGE):
            raise PermissionDenied
        dispatch = self._dispatch(pk)
        form = DispatchStartWorkForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                on = form.cleaned_data["on"]
                dispatch_start_work(dispatch=dispatch, on=on, actor=request.user)
            except ValidationError as exc:
                refusal_on_form(form, exc)
            else:
                self.message_user(
                    request,
                    f"{dispatch.member} working at {dispatch.employer} since "
                    f"{form.cleaned_data['on']:%b %d, %Y}.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(self._to(dispatch))
        return self._page(
            request,
            form,
            title=f"Work started: {dispatch.member} at {dispatch.employer}",
            submit="Record the first day worked",
            back=self._to(dispatch),
            facts=["The first day worked: from the check-in's day to today."],
        )


def _what_dispatching_does(labor_request: LaborRequest) -> list[str]:
    facts = [
        f"{labor_request.employer} asks for {labor_request.positions} on "
        f"{labor_request.book.code} ({labor_request.filled} filled), to report by "
        f"{labor_request.start_at:%H:%M} on {labor_request.start_on:%a %b %d, %Y} at "
        f"{labor_request.report_to}.",
    ]
    if not labor_request.is_open:
        facts.append(
            f"This request is {labor_request.get_status_display().lower()}: it takes no one."
        )
    if labor_request.by_name:
        facts.append(
            f"A by-name request: only {labor_request.named_member} is dispatched to it, by name."
        )
    codes = sorted(r.code for r in labor_request.requirements.all())
    if codes:
        facts.append(f"It asks for {', '.join(codes)}: a member lacking one is refused.")
    rules = rule_set_in_force(timezone.localdate())
    leaves = rules is not None and rules.dispatch_leaves_other_books
    facts.append(
        f"Dispatching holds the member's registration on {labor_request.book.code} (their "
        "place kept) until the dispatch ends"
        + (", and takes them off their other books." if leaves else "; their other books stay.")
    )
    return facts
