"""Notes on a member in the admin: the ones the reader may read, written through the note
services."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import Count, QuerySet, Window
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest, HttpResponseRedirect
from django.template.defaultfilters import pluralize
from django.urls import reverse

from appkit.text import counted
from audit.admin import RedactedHistoryAdmin

from ..forms import MemberNoteForm
from ..models import MemberNote
from ..selectors import (
    member_note_editable_by,
    member_notes_visible_to,
    note_visibilities_for,
)
from ..services import (
    member_note_create,
    member_note_delete,
    member_note_update,
)

# A member's page shows this many of their notes, the latest; the rest are a link away.
NOTES_SHOWN = 20


class LatestNotes(BaseInlineFormSet):
    def get_queryset(self):
        # Sliced after the formset has narrowed them to the member (newest first), once;
        # each row counts them all (a window, taken before the slice), so the page says
        # how many there are without counting them again.
        if not hasattr(self, "_latest"):
            counted = super().get_queryset().annotate(notes_in_all=Window(Count("pk")))
            self._latest = counted[:NOTES_SHOWN]
        return self._latest

    def notes_in_all(self) -> int:
        """How many notes the reader may read on the member, of which the page shows the
        latest NOTES_SHOWN."""
        latest = self.get_queryset()
        return latest[0].notes_in_all if latest else 0


class NoteInline(admin.TabularInline):
    """The latest notes on a member that the reader may read (member_notes_visible_to)."""

    model = MemberNote
    formset = LatestNotes
    fields = ["created_at", "author", "visibility", "category", "text"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    verbose_name_plural = "Notes you may read"

    def get_queryset(self, request: HttpRequest):
        return member_notes_visible_to(request.user).select_related("author")

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # notes are written on their own page (the "Add a note" link)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(MemberNote)
class MemberNoteAdmin(RedactedHistoryAdmin):
    """Notes the reader may read; written and changed through the note services, so the
    visibility rules and the author-only edit rule hold here as in the API."""

    form = MemberNoteForm
    list_display = ["created_at", "member", "author", "visibility", "category", "short_text"]
    list_filter = ["visibility", "category"]
    list_select_related = ["member", "author"]
    search_fields = ["=member__member_number", "member__last_name"]
    autocomplete_fields = ["member"]
    actions = ["soft_delete"]

    @admin.display(description="Text")
    def short_text(self, note: MemberNote) -> str:
        return note.text if len(note.text) <= 80 else note.text[:77] + "..."

    def get_queryset(self, request: HttpRequest):
        return member_notes_visible_to(request.user)

    def get_fields(self, request: HttpRequest, obj: MemberNote | None = None):
        return ["member", "text", "visibility", "category"]

    def get_readonly_fields(self, request: HttpRequest, obj: MemberNote | None = None):
        readonly = list(super().get_readonly_fields(request, obj))
        return [*readonly, "member"] if obj is not None and "member" not in readonly else readonly

    def get_form(self, request: HttpRequest, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        field = form.base_fields.get("visibility")  # absent when the note is read-only
        if field is not None:
            allowed = note_visibilities_for(request.user)
            field.choices = [(value, label) for value, label in field.choices if value in allowed]
        return form

    def has_change_permission(self, request: HttpRequest, obj: MemberNote | None = None) -> bool:
        if obj is not None and not member_note_editable_by(obj, request.user):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # hidden, never removed: see the soft_delete action

    def get_actions(self, request: HttpRequest):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def response_add(self, request: HttpRequest, obj: MemberNote, post_url_continue=None):
        if "_addanother" in request.POST or "_continue" in request.POST:
            return super().response_add(request, obj, post_url_continue)
        # Notes are written from the member's page: back to the member.
        self.message_user(request, f"The note on {obj.member} was added.", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:members_member_change", args=[obj.member_id]))

    def save_model(self, request: HttpRequest, obj: MemberNote, form, change: bool) -> None:
        data = form.cleaned_data
        if change:
            saved = member_note_update(
                note=obj,
                actor=request.user,
                text=data["text"],
                visibility=data["visibility"],
                category=data["category"],
            )
        else:
            saved = member_note_create(
                member=data["member"],
                actor=request.user,
                text=data["text"],
                visibility=data["visibility"],
                category=data["category"],
            )
        obj.pk, obj.member_id = saved.pk, saved.member_id

    @admin.action(description="Delete (hide) selected notes", permissions=["change"])
    def soft_delete(self, request: HttpRequest, queryset: QuerySet[MemberNote]) -> None:
        hidden = refused = 0
        for note in queryset:
            if member_note_editable_by(note, request.user):
                member_note_delete(note=note, actor=request.user)
                hidden += 1
            else:
                refused += 1
        self.message_user(request, f"Hid {counted(hidden, 'note')}.", messages.SUCCESS)
        if refused:
            self.message_user(
                request,
                f"{counted(refused, 'note')} {pluralize(refused, 'is,are')} not yours: only "
                f"{pluralize(refused, 'its,their')} author or an Admin may delete "
                f"{pluralize(refused, 'it,them')}.",
                messages.WARNING,
            )
