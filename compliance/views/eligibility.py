"""Eligibility lists: worked out by a job, published after a confirmation, inspected by
candidates."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone

from appkit.admin import admin_page, office_view
from audit.csv_export import audited_csv_download

from ..confirmations import eligibility_publish_facts
from ..for_jobs import eligibility_list_create_start
from ..forms import DayFilter, EligibilityForm, InspectionForm
from ..models import EligibilityList
from ..services import eligibility_csv_lines, eligibility_list_publish, inspection_record
from .common import governance_view, needs, refused_said


@governance_view
def eligibility(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        needs(request, "compliance.add_eligibilitylist")
        form = EligibilityForm(request.POST)
        if form.is_valid():
            job = eligibility_list_create_start(
                title=form.cleaned_data["title"],
                record_date=form.cleaned_data["record_date"],
                actor=request.user,
            )
            return redirect("admin:jobs_job_change", job.pk)
        status = 400
    else:
        initial = request.GET.get("as_of") or timezone.localdate().isoformat()
        form = EligibilityForm(initial={"record_date": initial})
        status = 200
    lists = EligibilityList.objects.select_related("policy")
    as_of = DayFilter(request.GET) if request.GET.get("as_of") else None
    if as_of is not None and as_of.is_valid():
        lists = lists.filter(record_date=as_of.cleaned_data["as_of"])
    return admin_page(
        request,
        "compliance/eligibility.html",
        {"form": form, "lists": lists[:100], "as_of": as_of},
        title="Eligibility lists",
        status=status,
    )


@governance_view
def eligibility_detail(request: HttpRequest, pk: int) -> HttpResponse:
    elist = get_object_or_404(
        EligibilityList.objects.select_related("policy", "published_by"), pk=pk
    )
    inspection_form = InspectionForm()
    refused = False
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "publish":  # never straight away: the confirmation says what it does
            needs(request, "compliance.add_eligibilitylist")
            return redirect("compliance:eligibility_publish", pk)
        if action == "inspect":
            needs(request, "compliance.inspect_eligibilitylist")
            inspection_form = InspectionForm(request.POST)
            if inspection_form.is_valid():
                try:
                    inspection_record(
                        elist=elist,
                        candidate=inspection_form.cleaned_data["candidate"],
                        actor=request.user,
                        note=inspection_form.cleaned_data["note"],
                    )
                    messages.success(request, "The inspection is recorded.")
                    return redirect("compliance:eligibility_detail", pk)
                except ValidationError as exc:
                    # A refusal is the page's news, said at its top, not beside the form.
                    refused_said(request, exc)
                    refused = True
    if request.GET.get("format") == "csv":
        return _eligibility_csv(request, elist)
    entries = elist.entries.all()
    shown = request.GET.get("eligible")
    if shown in ("yes", "no"):
        entries = entries.filter(eligible=shown == "yes")
    paginator = Paginator(entries, 200)
    paginator.count = (
        elist.eligible_count + elist.ineligible_count
        if shown not in ("yes", "no")
        else (elist.eligible_count if shown == "yes" else elist.ineligible_count)
    )
    return admin_page(
        request,
        "compliance/eligibility_detail.html",
        {
            "elist": elist,
            "page": paginator.get_page(request.GET.get("page")),
            "shown": shown,
            "inspection_form": inspection_form,
            "inspections": elist.inspections.select_related("candidate", "recorded_by"),
        },
        title=str(elist),
        status=400 if inspection_form.errors or refused else 200,
    )


@office_view("compliance.add_eligibilitylist")
def eligibility_publish(request: HttpRequest, pk: int) -> HttpResponse:
    """Publishing freezes a list for good: the confirmation says what it freezes first."""
    elist = get_object_or_404(EligibilityList.objects.select_related("policy"), pk=pk)
    if elist.is_published:
        messages.info(request, "This list is already published; it cannot change.")
        return redirect("compliance:eligibility_detail", pk)
    if request.method == "POST":
        if request.POST.get("confirm") != "yes":
            messages.error(request, "Nothing was published: confirm with the button below.")
            return redirect("compliance:eligibility_publish", pk)
        try:
            eligibility_list_publish(elist=elist, actor=request.user)
            messages.success(request, "Published: the list is frozen.")
        except ValidationError as exc:
            refused_said(request, exc)
        return redirect("compliance:eligibility_detail", pk)
    return admin_page(
        request,
        "compliance/eligibility_publish.html",
        {"facts": eligibility_publish_facts(elist)},
        title=f"Publish and freeze {elist}?",
    )


def _eligibility_csv(request: HttpRequest, elist: EligibilityList) -> HttpResponse:
    # A published list is served as it was frozen, byte for byte: its hash checks it.
    lines = [elist.snapshot] if elist.is_published else eligibility_csv_lines(elist)
    return audited_csv_download(
        request,
        lines=lines,
        filename=f"eligibility-{elist.record_date}-{elist.pk}",
        model_label="compliance.eligibilitylist",
        count=elist.eligible_count + elist.ineligible_count,
        what=f"members on eligibility list #{elist.pk} ({elist.record_date})",
    )
