"""The arrears policy's page: the policy in force, its dry run and, once confirmed, its
application; an officer's holds and overrides."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone

from appkit.admin import admin_page, office_view
from jobs.models import JobStatus
from jobs.selectors import jobs_visible_to

from ..confirmations import arrears_plan_of
from ..for_jobs import APPLY_ARREARS_POLICY, arrears_policy_apply_start
from ..forms import DayFilter, HoldForm, OverrideForm
from ..models import StandingChange, StandingHold
from ..selectors import arrears_policy_on
from ..services import standing_hold, standing_hold_release, standing_override
from .common import form_errors, governance_view, needs, refused_said


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
    if action == "dry_run":
        needs(request, "compliance.add_standingchange")
        form = DayFilter(request.POST)
        if not form.is_valid() or form.cleaned_data["as_of"] > timezone.localdate():
            messages.error(request, "Choose today or a past day, as YYYY-MM-DD.")
            return redirect("compliance:arrears")
        day = form.cleaned_data["as_of"]
        job = arrears_policy_apply_start(day=day, dry_run=True, actor=request.user)
        return redirect("admin:jobs_job_change", job.pk)
    if action == "apply":
        # Never straight away: the policy is applied from a dry run's list, once confirmed.
        needs(request, "compliance.add_standingchange")
        messages.error(
            request,
            "Nothing was applied. List what the policy changes first; the list's page offers "
            "to apply exactly those changes, after saying what they are.",
        )
        return redirect("compliance:arrears")
    if action == "hold":
        needs(request, "compliance.add_standinghold")
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
                refused_said(request, exc)
        else:
            messages.error(request, form_errors(form))
    elif action == "release":
        needs(request, "compliance.change_standinghold")
        hold = get_object_or_404(StandingHold, pk=request.POST.get("hold"))
        standing_hold_release(hold=hold, actor=request.user)
        messages.success(request, f"The hold on {hold.member} is released.")
    elif action == "override":
        needs(request, "compliance.add_standingchange")
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
                refused_said(request, exc)
        else:
            messages.error(request, form_errors(form))
    else:
        messages.error(request, "Unknown action.")
    return redirect("compliance:arrears")


@office_view("compliance.add_standingchange")
def arrears_apply(request: HttpRequest, pk: int) -> HttpResponse:
    """Apply exactly what a dry run listed: what will happen is said first (the changes by
    kind, the money, who is emailed), and only the confirming button starts it."""
    dry_run = (
        jobs_visible_to(request.user)
        .filter(
            pk=pk,
            kind=APPLY_ARREARS_POLICY.name,
            status=JobStatus.SUCCEEDED,
            params__dry_run=True,
        )
        .first()
    )
    plan = arrears_plan_of(dry_run.outcome) if dry_run is not None else None
    if plan is None:
        raise Http404("No dry run of the arrears policy to apply.")
    if not plan.to_apply:
        messages.info(request, f"The dry run for {plan.day} lists no change to apply.")
        return redirect(reverse("compliance:arrears") + f"?as_of={plan.day}")
    if request.method == "POST":
        if request.POST.get("confirm") != "yes":
            messages.error(request, "Nothing was applied: confirm with the button below.")
            return redirect("compliance:arrears_apply", pk)
        job = arrears_policy_apply_start(
            day=plan.day, dry_run=False, actor=request.user, plan_job=dry_run
        )
        return redirect("admin:jobs_job_change", job.pk)
    return admin_page(
        request,
        "compliance/arrears_apply.html",
        {"plan": plan, "dry_run": dry_run},
        title=f"Apply the arrears policy on {plan.day}?",
    )
