"""Regions (with the holidays their office closes) and the out-of-work books."""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from audit.admin import KeptRecordsAdmin

from ..models import Book, Holiday, Region


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
