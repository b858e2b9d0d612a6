"""The qualifications a member holds (an OSHA 30 card, a passed drug test), which a labor
request's requirements are checked against when a member is dispatched: added and deleted
by the hall, each save and deletion kept in the trail under the person who made it."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from audit.actors import saved_by
from audit.admin import RedactedHistoryAdmin

from ..models import Qualification


@admin.register(Qualification)
class QualificationAdmin(RedactedHistoryAdmin):
    list_display = ["member", "requirement", "expires_on"]
    list_filter = ["requirement"]
    list_select_related = ["member", "requirement"]
    search_fields = ["=member__member_number", "member__last_name", "member__first_name"]
    search_help_text = "A member's number, or their name."
    autocomplete_fields = ["member"]
    fields = ["member", "requirement", "expires_on"]

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        # Who holds what is the record: another member or requirement is another row.
        if obj is not None:
            readonly += ["member", "requirement"]
        return readonly

    def save_model(self, request: HttpRequest, obj: Qualification, form, change: bool) -> None:
        saved_by(obj, actor=request.user)

    def delete_model(self, request: HttpRequest, obj: Qualification) -> None:
        self._delete(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset) -> None:
        # One by one, each with its history row naming who deleted it.
        for qualification in queryset:
            self._delete(request, qualification)

    def _delete(self, request: HttpRequest, obj: Qualification) -> None:
        obj._history_user = request.user  # the deletion's history row names who did it
        obj.delete()
