from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.http import urlencode

from audit.admin import RedactedHistoryAdmin
from audit.csv_export import audited_csv_download
from audit.models import AuditAction
from audit.services import audit_event_record

from .forms import MemberImportConfirmForm, MemberImportUploadForm, MemberNoteForm
from .member_csv import COLUMNS, member_csv_lines
from .models import Classification, Member, MemberNote
from .selectors import (
    member_fields_hidden_from,
    member_note_editable_by,
    member_notes_visible_to,
    note_visibilities_for,
)
from .services import member_note_create, member_note_delete, member_note_update, members_import

IMPORT_PREVIEW_ROWS = 50


@admin.register(Classification)
class ClassificationAdmin(RedactedHistoryAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]

    def has_delete_permission(self, request: HttpRequest, obj: Classification | None = None):
        return False

    def delete_view(self, request: HttpRequest, object_id, extra_context=None):
        return _refuse_delete(
            request,
            "Classifications are never deleted: members and their history point at them.",
            reverse("admin:members_classification_change", args=[object_id]),
        )


class NoteInline(admin.TabularInline):
    """The notes on a member that the reader may read (member_notes_visible_to)."""

    model = MemberNote
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


@admin.register(Member)
class MemberAdmin(RedactedHistoryAdmin):
    change_list_template = "admin/members/member/change_list.html"
    change_form_template = "admin/members/member/change_form.html"
    list_display = [
        "member_number",
        "last_name",
        "first_name",
        "classification_code",
        "status",
        "email",
        "join_date",
    ]
    list_display_links = ["member_number", "last_name"]
    list_filter = ["status", "classification"]
    list_select_related = ["classification"]
    search_fields = ["member_number", "last_name", "first_name", "email"]
    autocomplete_fields = ["user"]
    readonly_fields = ["stripe_customer_id", "created_at", "updated_at"]
    actions = ["export_csv"]
    inlines = [NoteInline]
    list_per_page = 100
    fieldsets = [
        (
            "Membership",
            {
                "fields": [
                    "member_number",
                    ("first_name", "last_name"),
                    "classification",
                    "status",
                    "join_date",
                    "date_of_birth",
                ]
            },
        ),
        ("Contact", {"fields": list(Member.CONTACT_FIELDS)}),
        ("Login and payments", {"fields": ["user", "stripe_customer_id"]}),
        ("Notes", {"fields": ["general_notes"]}),
        ("Record", {"fields": ["created_at", "updated_at"]}),
    ]

    @admin.display(description="Class", ordering="classification__code")
    def classification_code(self, member: Member) -> str:
        return member.classification.code

    def get_fieldsets(self, request: HttpRequest, obj: Member | None = None):
        hidden = member_fields_hidden_from(request.user, obj)
        fieldsets = []
        for title, options in super().get_fieldsets(request, obj):
            fields = [_without(field, hidden) for field in options["fields"]]
            fields = [field for field in fields if field]
            if fields:
                fieldsets.append((title, {**options, "fields": fields}))
        return fieldsets

    def get_readonly_fields(self, request: HttpRequest, obj: Member | None = None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and not request.user.has_perm("members.change_membership"):
            # Staff change contact data only (DESIGN §3).
            readonly += [
                f.name
                for f in Member._meta.fields
                if f.editable and f.name not in Member.CONTACT_FIELDS and f.name not in readonly
            ]
        return readonly

    def has_delete_permission(self, request: HttpRequest, obj: Member | None = None):
        return False

    def delete_view(self, request: HttpRequest, object_id, extra_context=None):
        return _refuse_delete(
            request,
            "Members are never deleted: their records must be kept. To record that someone "
            "left, change their status (suspended, dropped, retired or deceased).",
            reverse("admin:members_member_change", args=[object_id]),
        )

    def change_view(self, request: HttpRequest, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_view_history": self.has_view_history_permission(request),
            "add_note_url": (
                reverse("admin:members_membernote_add") + f"?member={object_id}"
                if request.user.has_perm("members.add_membernote")
                else None
            ),
            "audit_trail_url": (
                reverse("admin:audit_auditevent_changelist")
                + "?"
                + urlencode({"member_id": object_id})
                if request.user.has_perm("audit.view_auditevent")
                else None
            ),
        }
        response = super().change_view(request, object_id, form_url, extra_context)
        member = response.context_data.get("original") if response.status_code == 200 else None
        if request.method == "GET" and member is not None:
            # The page shows date of birth, address and phone: who looked is on record.
            audit_event_record(
                action=AuditAction.VIEW_SENSITIVE,
                actor=request.user,
                model_label="members.member",
                object_id=member.pk,
                object_repr=str(member),
                member_id=member.pk,
                member_number=member.member_number,
                detail="Viewed the member's record in the admin.",
                request=request,
            )
        return response

    def get_actions(self, request: HttpRequest):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.action(description="Export selected members to CSV", permissions=["view"])
    def export_csv(self, request: HttpRequest, queryset: QuerySet[Member]) -> HttpResponse:
        members = queryset.select_related("classification").order_by("member_number")
        hidden = member_fields_hidden_from(request.user)
        return audited_csv_download(
            request,
            lines=member_csv_lines(members.iterator(chunk_size=2000), hidden=hidden),
            filename="members",
            model_label="members.member",
            count=members.count(),
            what="members",
        )

    def get_urls(self):
        import_view = self.admin_site.admin_view(self.import_view)
        return [
            path("import/", import_view, name="members_member_import"),
            *super().get_urls(),
        ]

    def has_import_permission(self, request: HttpRequest) -> bool:
        # Importing sets numbers, classifications and statuses: an officer's job.
        return request.user.has_perms(["members.add_member", "members.change_membership"])

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None):
        extra_context = {**(extra_context or {}), "can_import": self.has_import_permission(request)}
        return super().changelist_view(request, extra_context)

    def import_view(self, request: HttpRequest) -> HttpResponse:
        """Upload a CSV, see it checked and previewed, then confirm to write it all."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Import members from CSV",
            "columns": COLUMNS,
            "upload_form": MemberImportUploadForm(),
        }
        if request.method == "POST" and "csv_text" in request.POST:
            confirm = MemberImportConfirmForm(request.POST)
            if confirm.is_valid():
                result = members_import(
                    csv_text=confirm.cleaned_data["csv_text"], actor=request.user
                )
                if result.written:
                    self.message_user(
                        request, f"Imported {len(result.members)} members.", messages.SUCCESS
                    )
                    return HttpResponseRedirect(reverse("admin:members_member_changelist"))
                context["errors"] = result.errors
        elif request.method == "POST":
            upload = MemberImportUploadForm(request.POST, request.FILES)
            context["upload_form"] = upload
            if upload.is_valid():
                csv_text = upload.cleaned_data["csv_text"]
                result = members_import(csv_text=csv_text, actor=request.user, dry_run=True)
                context["errors"] = result.errors
                if result.ok:
                    context["preview"] = result.members[:IMPORT_PREVIEW_ROWS]
                    context["preview_total"] = len(result.members)
                    context["confirm_form"] = MemberImportConfirmForm(
                        initial={"csv_text": csv_text}
                    )
        return TemplateResponse(request, "admin/members/member/import.html", context)


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
                author=request.user,
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
        self.message_user(request, f"Hid {hidden} notes.", messages.SUCCESS)
        if refused:
            self.message_user(
                request,
                f"{refused} notes are not yours: only their author or an Admin may delete them.",
                messages.WARNING,
            )


def _without(field, hidden: frozenset[str]):
    """A fieldset entry (a name, or a row of names) without the hidden names."""
    if isinstance(field, list | tuple):
        kept = tuple(name for name in field if name not in hidden)
        return kept if len(kept) > 1 else (kept[0] if kept else None)
    return None if field in hidden else field


def _refuse_delete(request: HttpRequest, why: str, back_to: str) -> HttpResponseRedirect:
    messages.error(request, why)
    return HttpResponseRedirect(back_to)
