"""A dispatch's end and its no-show in the admin: each shown whole before it is done,
because neither can be undone. Ending asks why and the last day, then says what follows
(a quit or discharge: off every book and blacked out from the employer; a short call's end:
back in place or not, as the rules decide), then dispatch_terminate; a no-show says what it
frees and marks, then dispatch_no_show. A mixin DispatchAdmin takes first among its bases."""

from __future__ import annotations

import datetime

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path
from django.utils import timezone

from appkit.admin import refusal_on_form

from ..dispatch_forms import DispatchTerminateForm
from ..models import (
    ACTIVE_STATUSES,
    Dispatch,
    Registration,
    RuleSet,
    TerminationReason,
)
from ..selectors import rule_set_in_force
from ..services import dispatch_no_show, dispatch_terminate
from ..services.dispatching import (
    CHANGE,
    LEAVES_EVERY_BOOK,
    MAY_RESTORE,
    TERMINATE,
    short_call_outcome,
)


class DispatchEndAdmin:
    def end_urls(self) -> list:
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/end/", view(self.terminate_view), name="referral_dispatch_terminate"),
            path("<int:pk>/no-show/", view(self.no_show_view), name="referral_dispatch_no_show"),
        ]

    def terminate_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """The form (why, the last day, a note); then, posted valid, the page saying what
        the end does, whose button posts it again with `confirmed`."""
        if not request.user.has_perm(TERMINATE):
            raise PermissionDenied
        dispatch = self._dispatch(pk)
        form = DispatchTerminateForm(request.POST if request.method == "POST" else None)
        title = f"End the dispatch of {dispatch.member} to {dispatch.employer}"
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            if "confirmed" not in request.POST:
                for field in form.fields.values():
                    field.widget = forms.HiddenInput()
                return self._page(
                    request,
                    form,
                    title=f"{title}?",
                    submit=f"End the dispatch ({TerminationReason(data['reason']).label.lower()})",
                    back=self._to(dispatch),
                    facts=what_ending_does(dispatch, data["reason"], data["on"]),
                    confirm=True,
                )
            try:
                dispatch_terminate(dispatch=dispatch, **data, actor=request.user)
            except ValidationError as exc:
                refusal_on_form(form, exc)
            else:
                self.message_user(
                    request,
                    f"The dispatch of {dispatch.member} to {dispatch.employer} ended on "
                    f"{data['on']:%b %d, %Y} ({TerminationReason(data['reason']).label.lower()}).",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(self._to(dispatch))
        return self._page(
            request,
            form,
            title=title,
            submit="Go on",
            back=self._to(dispatch),
            facts=["The next page says what ending it does, before it is done."],
        )

    def no_show_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not request.user.has_perm(CHANGE):
            raise PermissionDenied
        dispatch = self._dispatch(pk)
        form = forms.Form(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                dispatch_no_show(dispatch=dispatch, actor=request.user)
            except ValidationError as exc:
                refusal_on_form(form, exc)
            else:
                self.message_user(
                    request,
                    f"{dispatch.member} did not report to {dispatch.employer}: recorded a no-show.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(self._to(dispatch))
        return self._page(
            request,
            form,
            title=f"{dispatch.member} did not report to {dispatch.employer}?",
            submit="Record the no-show",
            back=self._to(dispatch),
            facts=what_a_no_show_does(dispatch),
            confirm=True,
        )


def what_ending_does(dispatch: Dispatch, reason: str, on: datetime.date) -> list[str]:
    """What dispatch_terminate will do, worded before it is done (it reads; the service
    decides again under its locks)."""
    member, book = dispatch.member, dispatch.registration.book.code
    said = TerminationReason(reason).label.lower()
    facts = [f"The dispatch is recorded as ended on {on:%b %d, %Y}: {said}."]
    rule_set = rule_set_in_force(timezone.localdate())
    if rule_set is None:
        return [*facts, "No referral rules are in force: the end cannot be recorded."]
    held = dispatch.registration
    if reason in LEAVES_EVERY_BOOK:
        codes = list(
            Registration.objects.filter(member_id=member.pk, status__in=ACTIVE_STATUSES)
            .order_by("book__code")
            .values_list("book__code", flat=True)
        )
        until = on + datetime.timedelta(days=rule_set.blackout_days)
        books = f"every book ({', '.join(codes)})" if codes else "every book (they are on none)"
        facts.append(
            f"{member} is taken off {books} and blacked out from {dispatch.employer} until "
            f"{until:%b %d, %Y}: its by-name requests cannot name them."
        )
    elif held.status not in ACTIVE_STATUSES:
        facts.append(f"The registration on {book} has ended already: it stays as it is.")
    elif dispatch.short_call and reason in MAY_RESTORE:
        facts.append(_short_call_end_text(dispatch, held, on, rule_set))
    else:
        facts.append(
            f"The registration on {book} ends: {member} signs the book again to wait for "
            "another call."
        )
    return facts


def _short_call_end_text(
    dispatch: Dispatch, held: Registration, on: datetime.date, rule_set: RuleSet
) -> str:
    worked, end = short_call_outcome(dispatch, held, on, rule_set)
    book = held.book.code
    if end.restores and end.counted:
        return (
            f"A short call of {worked} business days: the registration goes back to its place "
            f"on {book} (APN {held.apn}), restoration {held.short_calls_used + 1} of the "
            f"{rule_set.short_call_restorations} rules v{rule_set.version} allow."
        )
    if end.restores:
        return (
            f"A short call of {worked} business days: the registration goes back to its place "
            f"on {book} (APN {held.apn}), not counted against the restorations."
        )
    return (
        f"A short call of {worked} business days: the registration does not go back to its "
        f"place on {book} (rules v{rule_set.version} restore a call of at most "
        f"{rule_set.short_call_days} days, {rule_set.short_call_restorations} times; "
        f"{held.short_calls_used} used). It ends: {dispatch.member} signs the book again."
    )


def what_a_no_show_does(dispatch: Dispatch) -> list[str]:
    report_by = timezone.localtime(dispatch.report_by)
    book = dispatch.registration.book.code
    return [
        f"{dispatch.member} was to report by {report_by:%a %b %d, %Y %H:%M}: the dispatch is "
        "recorded as a no-show.",
        f"Request #{dispatch.labor_request_id}'s position is free again, while it is open.",
        f"The registration on {book} goes back to its place, with the check mark of "
        f"{report_by:%b %d, %Y} for failing to report (the rules say whether it counts).",
    ]
