from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from appkit.admin import DeclaredFiltersAdmin, ReadOnlyAdminMixin
from appkit.text import counted
from audit.admin import RedactedHistoryAdmin

from .models import Autopay, AutopayCollection, CheckoutSession, EventState, StripeEvent
from .webhooks import stripe_event_process


@admin.register(CheckoutSession)
class CheckoutSessionAdmin(ReadOnlyAdminMixin, RedactedHistoryAdmin):
    list_display = [
        "created_at",
        "member",
        "period",
        "amount",
        "currency",
        "status",
        "payment",
        "livemode",
        "stripe_session_id",
    ]
    list_filter = ["status", "livemode", "created_at"]
    list_select_related = ["member", "period", "payment"]
    search_fields = ["=stripe_session_id", "=member__member_number", "member__last_name"]
    readonly_fields = [f.name for f in CheckoutSession._meta.fields]


@admin.register(StripeEvent)
class StripeEventAdmin(ReadOnlyAdminMixin, DeclaredFiltersAdmin):
    list_display = ["received_at", "type", "event_id", "state", "attempts", "error", "livemode"]
    list_filter = ["state", "type", "livemode"]
    search_fields = ["=event_id"]
    readonly_fields = [f.name for f in StripeEvent._meta.fields]
    actions = ["rerun"]

    def has_rerun_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("payments.rerun_stripeevent")

    @admin.action(description="Re-run selected failed events", permissions=["rerun"])
    def rerun(self, request: HttpRequest, queryset: QuerySet[StripeEvent]) -> None:
        failed = list(queryset.filter(state=EventState.FAILED))
        outcomes = [stripe_event_process(event).state for event in failed]
        still = outcomes.count(EventState.FAILED)
        level = messages.WARNING if still else messages.SUCCESS
        summary = f"{len(failed) - still} handled, {still} failed again"
        ran = f"Re-ran {counted(len(failed), 'failed event')}"
        self.message_user(request, f"{ran}: {summary}.", level)


@admin.register(Autopay)
class AutopayAdmin(ReadOnlyAdminMixin, RedactedHistoryAdmin):
    list_display = ["member", "status", "on_file", "enrolled_at", "ended_at", "ended_reason"]
    list_filter = ["status", "method_type"]
    list_select_related = ["member"]
    search_fields = ["=member__member_number", "member__last_name"]
    readonly_fields = [f.name for f in Autopay._meta.fields]


@admin.register(AutopayCollection)
class AutopayCollectionAdmin(ReadOnlyAdminMixin, RedactedHistoryAdmin):
    list_display = [
        "created_at",
        "member",
        "period",
        "amount",
        "status",
        "attempts",
        "next_attempt_on",
        "last_error",
        "payment",
    ]
    list_filter = ["status", "next_attempt_on"]
    list_select_related = ["member", "period", "payment"]
    search_fields = ["=payment_intent_id", "=member__member_number", "member__last_name"]
    readonly_fields = [f.name for f in AutopayCollection._meta.fields]
