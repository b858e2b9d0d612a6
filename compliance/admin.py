from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from audit.admin import KeptRecordsAdmin

from .forms import ArrearsPolicyForm
from .models import (
    Affiliate,
    ArrearsPolicy,
    EligibilityList,
    FiscalYear,
    Inspection,
    PerCapitaRate,
    PerCapitaReport,
    StandingChange,
    StandingHold,
)


class _ReadOnlyAdmin(KeptRecordsAdmin):
    """Records the services write (decisions, inspections, lists, reports): shown, never
    added or edited from the admin."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(ArrearsPolicy)
class ArrearsPolicyAdmin(KeptRecordsAdmin):
    """A version is added, never edited: a change of rules is a new version."""

    form = ArrearsPolicyForm
    list_display = [
        "__str__",
        "convention",
        "grace_days",
        "delinquent_after",
        "suspend_after",
        "drop_after",
        "reinstatement_fee",
    ]
    readonly_fields = ["in_words", "created_by", "created_at"]

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description="The rules in words")
    def in_words(self, obj: ArrearsPolicy) -> str:
        return obj.in_words if obj.pk else ""

    def save_model(self, request: HttpRequest, obj: ArrearsPolicy, form, change: bool) -> None:
        obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(StandingChange)
class StandingChangeAdmin(_ReadOnlyAdmin):
    list_display = [
        "member",
        "kind",
        "effective_on",
        "from_status",
        "to_status",
        "months_owed",
        "policy",
        "decided_by",
    ]
    list_filter = ["kind", "effective_on"]
    search_fields = ["=member__member_number", "member__last_name"]
    list_select_related = ["member", "policy", "decided_by"]
    date_hierarchy = "effective_on"


@admin.register(StandingHold)
class StandingHoldAdmin(_ReadOnlyAdmin):
    list_display = ["member", "reason", "held_by", "created_at", "released_at"]
    list_select_related = ["member", "held_by"]
    search_fields = ["=member__member_number"]


@admin.register(EligibilityList)
class EligibilityListAdmin(_ReadOnlyAdmin):
    list_display = [
        "title",
        "record_date",
        "eligible_count",
        "ineligible_count",
        "published_at",
        "page",
    ]
    exclude = ["snapshot"]

    @admin.display(description="List")
    def page(self, obj: EligibilityList) -> str:
        return format_html(
            '<a href="{}">Open</a>', reverse("compliance:eligibility_detail", args=[obj.pk])
        )


@admin.register(Inspection)
class InspectionAdmin(_ReadOnlyAdmin):
    list_display = ["candidate", "eligibility_list", "inspected_at", "recorded_by"]
    list_select_related = ["candidate", "eligibility_list", "recorded_by"]


class PerCapitaRateInline(admin.StackedInline):
    # Stacked: each rate's fields keep their labels (a tabular inline's inputs have none).
    model = PerCapitaRate
    extra = 1
    can_delete = False


@admin.register(Affiliate)
class AffiliateAdmin(KeptRecordsAdmin):
    list_display = ["code", "name", "count_rule", "due_day"]
    inlines = [PerCapitaRateInline]


@admin.register(PerCapitaReport)
class PerCapitaReportAdmin(_ReadOnlyAdmin):
    list_display = [
        "affiliate",
        "label",
        "status",
        "count",
        "amount",
        "rolls_forward",
        "paid_on",
        "page",
    ]
    list_filter = ["status", "affiliate"]
    list_select_related = ["affiliate"]

    @admin.display(description="Roll-forward holds", boolean=True)
    def rolls_forward(self, obj: PerCapitaReport) -> bool:
        return obj.rolls_forward

    @admin.display(description="Report")
    def page(self, obj: PerCapitaReport) -> str:
        return format_html(
            '<a href="{}?month={}">Open</a>', reverse("compliance:per_capita"), obj.label
        )


@admin.register(FiscalYear)
class FiscalYearAdmin(KeptRecordsAdmin):
    list_display = ["year", "other_receipts", "in_trusteeship"]
