"""The morning referral in the admin (the referral run screen, docs/design.md §11): runs
listed read-only by day and status; "Run the morning referral" proposes one
(referral_run_propose) and leads to its page, which shows, book by book, the list as the
run consulted it and each request with its offers and skips (the reasons in words), its rule
version and list hash; "Confirm" leads to a page saying how many it dispatches and how many
check marks it gives, whose button confirms it (referral_run_confirm). A refusal of either
(no request waiting, the lists changed since: propose it again) is shown as a message."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from appkit.admin import ReadOnlyAdminMixin
from audit.admin import KeptRecordsAdmin

from ..for_jobs import CONFIRMED_IN_REQUEST, referral_run_confirm_start
from ..forms import FIRST_DAY, LAST_DAY
from ..models import ReferralLine, ReferralRun, ReferralRunStatus
from ..run_screen import run_books, what_confirming_does
from ..services import referral_run_confirm, referral_run_propose
from ..services.runs import CONFIRM, PROPOSE

ACTION_TEMPLATE = "admin/referral/registration/action.html"


class ProposeForm(forms.Form):
    day = forms.DateField(
        label="Referral day",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="The morning whose referral to work out: today's, unless one was missed.",
    )

    def clean_day(self):
        day = self.cleaned_data["day"]
        if not FIRST_DAY <= day <= LAST_DAY:
            raise forms.ValidationError(f"Ask for a day between {FIRST_DAY:%Y} and {LAST_DAY:%Y}.")
        return day


@admin.register(ReferralRun)
class ReferralRunAdmin(ReadOnlyAdminMixin, KeptRecordsAdmin):
    list_display = [
        "id",
        "day",
        "status",
        "rule_version",
        "proposed",
        "proposed_by_name",
        "confirmed",
        "confirmed_by_name",
    ]
    list_filter = ["status", "day"]
    list_select_related = ["rule_set"]
    ordering = ["-day", "-id"]
    date_hierarchy = "day"
    # What it consulted is shown as the lists it read (change_form.html), not as JSON.
    fields = [
        "day",
        "status",
        "rule_set",
        "list_hash",
        "proposed_at",
        "proposed_by_name",
        "confirmed_at",
        "confirmed_by_name",
    ]
    change_list_template = "admin/referral/referralrun/change_list.html"
    change_form_template = "admin/referral/referralrun/change_form.html"

    @admin.display(description="Rules", ordering="rule_set__version")
    def rule_version(self, run: ReferralRun) -> str:
        return f"v{run.rule_set.version}"

    @admin.display(description="Proposed at (local)", ordering="proposed_at")
    def proposed(self, run: ReferralRun) -> str:
        return f"{timezone.localtime(run.proposed_at):%Y-%m-%d %H:%M}"

    @admin.display(description="Confirmed at (local)", ordering="confirmed_at")
    def confirmed(self, run: ReferralRun) -> str:
        if run.confirmed_at is None:
            return ""
        return f"{timezone.localtime(run.confirmed_at):%Y-%m-%d %H:%M}"

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("propose/", view(self.propose_view), name="referral_referralrun_propose"),
            path("<int:pk>/confirm/", view(self.confirm_view), name="referral_referralrun_confirm"),
            *super().get_urls(),
        ]

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None):
        context = {**(extra_context or {}), "can_propose": request.user.has_perm(PROPOSE)}
        return super().changelist_view(request, context)

    def change_view(self, request: HttpRequest, object_id, form_url="", extra_context=None):
        """The run read-only, and what it read and decided, book by book."""
        run = (
            ReferralRun.objects.select_related("rule_set").filter(pk=object_id).first()
            if str(object_id).isdigit()
            else None
        )
        context = dict(extra_context or {})
        if run is not None:
            books = run_books(run)
            context |= {
                "run": run,
                "books": books,
                "confirming": what_confirming_does(books),
                "can_confirm": run.status == ReferralRunStatus.PROPOSED
                and request.user.has_perm(CONFIRM),
            }
        return super().change_view(request, object_id, form_url, context)

    def _to(self, run: ReferralRun) -> str:
        return reverse("admin:referral_referralrun_change", args=[run.pk])

    def _page(self, request, form, *, title, submit, facts, back, confirm=False):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "form": form,
            "submit": submit,
            "facts": facts,
            "back": back,
            "confirm": confirm,
            "media": self.media + form.media,
        }
        status = 400 if form.errors else 200
        return TemplateResponse(request, ACTION_TEMPLATE, context, status=status)

    def propose_view(self, request: HttpRequest) -> HttpResponse:
        """Work out the morning's referral (nothing dispatched yet) and show it."""
        if not request.user.has_perm(PROPOSE):
            raise PermissionDenied
        form = ProposeForm(
            request.POST if request.method == "POST" else None,
            initial={"day": timezone.localdate()},
        )
        if request.method == "POST" and form.is_valid():
            try:
                run = referral_run_propose(actor=request.user, day=form.cleaned_data["day"])
            except ValidationError as exc:
                self.message_user(request, " ".join(exc.messages), messages.ERROR)
            else:
                self.message_user(
                    request,
                    f"Proposed the referral of {run.day:%a %b %d, %Y}: nothing is dispatched "
                    "until you confirm it.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(self._to(run))
        return self._page(
            request,
            form,
            title="Run the morning referral",
            submit="Run the morning referral",
            facts=[
                "Every open request whose referral day has come is offered, book by book in "
                "the morning's order, to the first eligible registrants; each one passed over "
                "is kept with the reason.",
                "Nothing is dispatched yet: the next page shows the run, to be confirmed. An "
                "earlier unconfirmed run of the day is superseded.",
            ],
            back=reverse("admin:referral_referralrun_changelist"),
        )

    def confirm_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Say what confirming does; its button confirms the run."""
        if not request.user.has_perm(CONFIRM):
            raise PermissionDenied
        run = get_object_or_404(ReferralRun, pk=pk)
        if request.method != "POST" and run.status != ReferralRunStatus.PROPOSED:
            said = (
                f"This run is {run.get_status_display().lower()}: only a proposed run is confirmed."
            )
            self.message_user(request, said, messages.WARNING)
            return HttpResponseRedirect(self._to(run))
        form = forms.Form(request.POST if request.method == "POST" else None)
        offers = run.lines.filter(outcome=ReferralLine.Outcome.OFFER).count()
        if request.method == "POST" and form.is_valid() and offers > CONFIRMED_IN_REQUEST:
            job = referral_run_confirm_start(run=run, actor=request.user)
            return HttpResponseRedirect(reverse("admin:jobs_job_change", args=[job.pk]))
        if request.method == "POST" and form.is_valid():
            try:
                referral_run_confirm(run=run, actor=request.user)
            except ValidationError as exc:
                self.message_user(request, " ".join(exc.messages), messages.ERROR)
            else:
                self.message_user(
                    request,
                    f"Confirmed the referral of {run.day:%a %b %d, %Y} (run #{run.pk}).",
                    messages.SUCCESS,
                )
            return HttpResponseRedirect(self._to(run))
        doing = what_confirming_does(run_books(run))
        return self._page(
            request,
            form,
            title=f"Confirm the referral of {run.day:%a %b %d, %Y} (run #{run.pk})?",
            submit=f"Dispatch {doing.dispatches} and give {doing.check_marks} check mark"
            f"{'' if doing.check_marks == 1 else 's'}",
            facts=_what_confirming_says(run, doing),
            back=self._to(run),
            confirm=True,
        )


def _what_confirming_says(run: ReferralRun, doing) -> list[str]:
    facts = [
        f"{doing.dispatches} member{'' if doing.dispatches == 1 else 's'} offered a call "
        f"{'is' if doing.dispatches == 1 else 'are'} dispatched to it now.",
        f"{doing.check_marks} registrant{'' if doing.check_marks == 1 else 's'} passed over on "
        f"the {doing.unfilled_requests} request{'' if doing.unfilled_requests == 1 else 's'} "
        "left unfilled (but the exempt and those already out) get the day's check mark, "
        "one each (none twice in a day).",
    ]
    if doing.dispatches > CONFIRMED_IN_REQUEST:
        facts.append(
            f"More than {CONFIRMED_IN_REQUEST} dispatches take a worker a while: the button "
            "starts it, and its page shows how far it has gone."
        )
    facts.append(
        "If the lists, the requests or a registrant's standing changed since it was proposed "
        f"({timezone.localtime(run.proposed_at):%H:%M}), it is refused: propose it again."
    )
    return facts
