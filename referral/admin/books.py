"""Regions (with the holidays their office closes) and the out-of-work books."""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import HttpRequest
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils.html import format_html

from audit.admin import KeptRecordsAdmin

from ..models import Book, Holiday, Region
from ..services import holiday_save


class HolidayInline(admin.StackedInline):
    # Stacked: each field with its own label (a tabular row's inputs have none to read out).
    model = Holiday
    extra = 1
    fields = ["day", "name"]


@admin.register(Region)
class RegionAdmin(KeptRecordsAdmin):
    list_display = ["code", "name", "opens_at", "closes_at"]
    search_fields = ["=code", "name"]
    inlines = [HolidayInline]

    def save_formset(self, request: HttpRequest, form, formset, change: bool) -> None:
        """A holiday added or moved goes through holiday_save, which moves the re-sign
        dates that fall on it; a removed one is deleted (re-sign dates moved past it stay)."""
        if formset.model is not Holiday:
            return super().save_formset(request, form, formset, change)
        for holiday in formset.save(commit=False):
            moved = holiday_save(holiday=holiday, actor=request.user)
            if moved:
                self.message_user(
                    request,
                    f"{holiday}: {moved:,} re-sign date{pluralize(moved)} fell on it and "
                    f"moved to the region's next business day.",
                    messages.INFO,
                )
        for holiday in formset.deleted_objects:
            holiday.delete()
        formset.save_m2m()


@admin.register(Book)
class BookAdmin(KeptRecordsAdmin):
    list_display = [
        "code",
        "name",
        "region",
        "classification",
        "tiers",
        "referral_order",
        "referral_time",
        "active",
        "out_of_work_list",
    ]
    list_filter = ["region", "active"]
    list_select_related = ["region", "classification"]
    search_fields = ["=code", "name"]
    ordering = ["referral_order", "code"]

    @admin.display(description="List")
    def out_of_work_list(self, book: Book) -> str:
        return format_html(
            '<a href="{}">Out-of-work list<span class="visually-hidden"> of {}</span></a>',
            reverse("referral:book_list", args=[book.pk]),
            book.code,
        )
