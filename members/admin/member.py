"""Members and classifications in the admin, with the import, the export and what other
apps add (members/extensions.py)."""

from __future__ import annotations

from functools import cache

from django.contrib import admin, messages
from django.contrib.admin.options import IS_POPUP_VAR
from django.contrib.admin.views.main import SEARCH_VAR
from django.core.exceptions import FieldDoesNotExist
from django.db.models import F, QuerySet
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode

from appkit.admin import DeclaredFiltersChangeList, IdsFirstPaginator, ShortChoicesField
from audit.admin import RedactedHistoryAdmin
from jobs.models import Job
from jobs.uploads import UploadCheckConfirmAdmin

from ..extensions import (
    MEMBER_ADMIN_ACTIONS,
    MEMBER_ADMIN_COLUMNS,
    MEMBER_ADMIN_RECORDS,
    MEMBER_ADMIN_SECTIONS,
    MEMBER_ADMIN_SUMMARIES,
    MEMBER_LIST_FILTERS,
    MemberColumn,
    MemberListFilter,
)
from ..for_jobs import (
    IMPORT_CHECK,
    members_export_start,
    members_import_check_start,
    members_import_write_start,
)
from ..forms import MemberImportUploadForm
from ..member_csv import COLUMNS
from ..models import Classification, Member
from ..selectors import (
    member_fields_editable_by,
    member_fields_hidden_from,
)
from ..services import (
    member_create,
    member_records_view_record,
    member_update,
)
from .note import NOTES_SHOWN, NoteInline

IMPORT_PREVIEW_ROWS = 50


@admin.register(Classification)
class ClassificationAdmin(RedactedHistoryAdmin):
    list_display = ["code", "name", "full_dues", "may_vote"]
    search_fields = ["code", "name"]

    def has_delete_permission(self, request: HttpRequest, obj: Classification | None = None):
        return False

    def delete_view(self, request: HttpRequest, object_id, extra_context=None):
        return _refuse_delete(
            request,
            "Classifications are never deleted: members and their history point at them.",
            reverse("admin:members_classification_change", args=[object_id]),
        )


class MemberChangeList(DeclaredFiltersChangeList):
    """The member list; each column another app adds gets its cells for the whole page at
    once (`members.member_admin_columns`), so a page costs the same queries however long."""

    def get_ordering(self, request: HttpRequest, queryset: QuerySet[Member]) -> list:
        """A search's matches are found by the trigram indexes, then sorted: ordered by
        sort keys no index serves. Ordered by plain columns, PostgreSQL walks the name
        index (`member_name_idx`) from "A", testing every member until it has a page of
        matches, reckoning the matches spread evenly; they are not (a surname's members sit
        together in that order), so at 1,000,000 members a surname search read most of the
        table (0.4 to 1.9 s) where finding and sorting its matches takes a few ms for a
        few thousand matches."""
        ordering = super().get_ordering(request, queryset)
        if not self.query:
            return ordering
        return [_sorted_not_walked(field) for field in ordering]

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        ids = [member.pk for member in self.result_list]
        for column in self.model_admin.added_columns(request):
            cells = column.values(ids)
            for member in self.result_list:
                member.__dict__.setdefault("added_cells", {})[column.name] = cells.get(member.pk)


def _sorted_not_walked(field):
    """A sort key of the member list ("name", "-name") as the same value by an expression
    no index is on (COALESCE(x, x) is x, and PostgreSQL keeps it as written); keys through
    a relation, or already expressions, as they are."""
    if not isinstance(field, str) or "__" in field.lstrip("-"):
        return field
    name = field.lstrip("-")
    try:
        column = Member._meta.get_field("id" if name == "pk" else name)
    except FieldDoesNotExist:
        return field
    if not getattr(column, "concrete", False) or column.is_relation:
        return field
    value = Coalesce(F(column.name), F(column.name))
    return value.desc() if field.startswith("-") else value.asc()


@cache  # one function per column: the admin finds sortable columns by identity
def _added_column(column: MemberColumn):
    @admin.display(description=column.label, ordering=column.ordering)
    def cell(member: Member):
        return getattr(member, "added_cells", {}).get(column.name) or ""

    cell.__name__ = column.name
    return cell


def _added_filter(declared: MemberListFilter) -> type[admin.SimpleListFilter]:
    """The admin's side of a member-list filter another app declares (the API has the
    other): its choices, and the app's own way to narrow the list."""

    class Filter(admin.SimpleListFilter):
        title = declared.description.rstrip(".").lower()
        parameter_name = declared.name

        def lookups(self, request, model_admin):
            return declared.choices

        def queryset(self, request, queryset):
            value = self.value()
            return declared.narrow(queryset, value) if value in declared.values else queryset

    Filter.__name__ = f"{declared.name.capitalize()}Filter"
    return Filter


@admin.register(Member)
class MemberAdmin(UploadCheckConfirmAdmin, RedactedHistoryAdmin):
    change_list_template = "admin/members/member/change_list.html"
    change_form_template = "admin/members/member/change_form.html"
    list_display = [
        "member_number",
        "last_name",
        "first_name",
        "classification_code",
        "status",
        "email",
        "phone",
        "join_date",
    ]
    list_display_links = ["member_number", "last_name"]
    list_filter = ["status", "classification"]
    list_select_related = ["classification"]
    # A whole member number is found by its index; anything else, in part, by trigrams.
    search_fields = ["=member_number", "member_number", "last_name", "first_name", "email"]
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

    # --- What other apps add (members/extensions.py) ------------------------------------

    def get_changelist(self, request: HttpRequest, **kwargs):
        return MemberChangeList

    def get_paginator(self, request: HttpRequest, queryset, per_page, **kwargs):
        # A search's matches are sorted, not walked in order (MemberChangeList.get_ordering):
        # sorted by their ids and keys alone, then the page read.
        if request.GET.get(SEARCH_VAR, "").strip():
            return IdsFirstPaginator(queryset, per_page, **kwargs)
        return super().get_paginator(request, queryset, per_page, **kwargs)

    def added_columns(self, request: HttpRequest) -> list[MemberColumn]:
        return [
            column
            for column in MEMBER_ADMIN_COLUMNS.declarations()
            if request.user.has_perm(column.permission)
        ]

    def get_list_display(self, request: HttpRequest):
        # Added columns (standing, balance) come right after the status: on an office screen
        # they must be seen without scrolling sideways, before the long email addresses.
        hidden = member_fields_hidden_from(request.user)
        shown = [name for name in super().get_list_display(request) if name not in hidden]
        after = shown.index("status") + 1
        added = [_added_column(column) for column in self.added_columns(request)]
        return [*shown[:after], *added, *shown[after:]]

    def get_list_filter(self, request: HttpRequest):
        added = [_added_filter(declared) for declared in MEMBER_LIST_FILTERS.declarations()]
        return [*super().get_list_filter(request), *added]

    def _notes_more(self, member: Member, inline_formsets: list) -> dict | None:
        """When the page shows only the latest of the notes the reader may read: how many
        there are (counted by the notes' own query: LatestNotes), and where to read them
        all."""
        notes = next(
            (shown.formset for shown in inline_formsets if isinstance(shown.opts, NoteInline)),
            None,
        )
        count = notes.notes_in_all() if notes is not None else 0
        if count <= NOTES_SHOWN:
            return None
        url = (
            reverse("admin:members_membernote_changelist")
            + "?"
            + urlencode({"q": member.member_number})
        )
        return {"shown": NOTES_SHOWN, "count": count, "url": url}

    def _added_summaries(self, request: HttpRequest, member: Member) -> list:
        return [
            summary.facts(member, request.user)
            for summary in MEMBER_ADMIN_SUMMARIES.declarations()
            if request.user.has_perm(summary.permission)
        ]

    def _added_sections(self, request: HttpRequest, member: Member) -> list[tuple[str, list]]:
        return [
            (section.title, section.rows(member, request.user))
            for section in MEMBER_ADMIN_SECTIONS.declarations()
            if request.user.has_perm(section.permission)
        ]

    def _added_records(self, request: HttpRequest, member: Member) -> list[dict]:
        added = []
        for records in MEMBER_ADMIN_RECORDS.declarations():
            if request.user.has_perm(records.permission):
                rows = records.rows(member, records.limit + 1)
                added.append(
                    {
                        "title": records.title,
                        "columns": records.columns,
                        "rows": rows[: records.limit],
                        "more": len(rows) > records.limit,
                        "all_url": records.all_url(member),
                    }
                )
        return added

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        if db_field.name == "classification":
            kwargs.setdefault("form_class", ShortChoicesField)  # a dozen of them
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

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
        editable = member_fields_editable_by(request.user) if obj is not None else None
        if editable is not None:
            readonly += [
                f.name
                for f in Member._meta.fields
                if f.editable and f.name not in editable and f.name not in readonly
            ]
        return readonly

    def save_model(self, request: HttpRequest, obj: Member, form, change: bool) -> None:
        # Through the services, as the API writes: one place decides who changes what.
        if change:
            changes = {name: form.cleaned_data[name] for name in form.changed_data}
            saved = member_update(member=obj, actor=request.user, changes=changes)
        else:
            fields = {
                f.name: getattr(obj, f.name)
                for f in Member._meta.fields
                if f.editable and f.name != "id"
            }
            saved = member_create(actor=request.user, **fields)
        obj.pk = saved.pk

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
        if member is not None:
            response.context_data["added_summaries"] = self._added_summaries(request, member)
            response.context_data["notes_more"] = self._notes_more(
                member, response.context_data.get("inline_admin_formsets", [])
            )
            response.context_data["added_sections"] = self._added_sections(request, member)
            response.context_data["added_records"] = self._added_records(request, member)
            response.context_data["added_actions"] = [
                (action.label, action.url(member))
                for action in MEMBER_ADMIN_ACTIONS.declarations()
                if request.user.has_perm(action.permission)
            ]
        if request.method == "GET" and member is not None:
            # The page shows date of birth, address and phone: who looked is on record.
            member_records_view_record(
                actor=request.user,
                members=[member],
                detail="Viewed the member's record in the admin.",
                request=request,
            )
        return response

    def changelist_view(self, request: HttpRequest, extra_context=None):
        # A whole member number, typed at the counter or in the dashboard's "find a member",
        # opens that member rather than a list of one.
        term = request.GET.get(SEARCH_VAR, "").strip()
        if term and request.method == "GET" and IS_POPUP_VAR not in request.GET:
            found = Member.objects.filter(member_number__in={term, term.upper()}).first()
            if found is not None:
                return HttpResponseRedirect(reverse("admin:members_member_change", args=[found.pk]))
        return super().changelist_view(request, extra_context)

    def get_actions(self, request: HttpRequest):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.action(description="Export selected members to CSV", permissions=["view"])
    def export_csv(self, request: HttpRequest, queryset: QuerySet[Member]) -> HttpResponse:
        """Written by a worker (a job), a download when done: a whole local is more rows
        than a request should stream."""
        if request.POST.get("select_across") == "1":
            get = request.GET
            params = {
                "filters": {
                    "status": get.get("status__exact", ""),
                    "classification_id": get.get("classification__id__exact", ""),
                    "search": get.get("q", ""),
                }
            }
        else:
            params = {"ids": sorted(queryset.values_list("pk", flat=True))}
        job = members_export_start(params=params, actor=request.user)
        return HttpResponseRedirect(reverse("admin:jobs_job_change", args=[job.pk]))

    # Importing (jobs/uploads.py): numbers, classifications and statuses, an officer's job.
    upload_form = MemberImportUploadForm
    upload_noun = "members"
    upload_noun_one = "member"
    upload_columns = COLUMNS
    upload_required = ("member_number", "first_name", "last_name", "classification", "join_date")
    check_kind = IMPORT_CHECK
    preview_headings = ("Number", "Name", "Class", "Status", "Joined", "Email")

    def has_upload_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perms(["members.add_member", "members.change_membership"])

    def upload_check_start(self, request: HttpRequest, form) -> Job:
        return members_import_check_start(
            upload=form.cleaned_data["file"],
            digest=form.cleaned_data["digest"],
            actor=request.user,
        )

    def upload_write_start(self, request: HttpRequest, checked: Job) -> Job:
        return members_import_write_start(checked=checked, actor=request.user)


def _without(field, hidden: frozenset[str]):
    """A fieldset entry (a name, or a row of names) without the hidden names."""
    if isinstance(field, list | tuple):
        kept = tuple(name for name in field if name not in hidden)
        return kept if len(kept) > 1 else (kept[0] if kept else None)
    return None if field in hidden else field


def _refuse_delete(request: HttpRequest, why: str, back_to: str) -> HttpResponseRedirect:
    messages.error(request, why)
    return HttpResponseRedirect(back_to)
