from __future__ import annotations

import dataclasses
import datetime

from django.apps import apps
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper

from appkit.admin import (
    DeclaredFiltersAdmin,
    InputsFilter,
    ReadOnlyAdminMixin,
)
from jobs.views import job_start_page

from .chain import checkpoint_text
from .for_jobs import audit_export_start
from .models import AuditAction, AuditCheckpoint, AuditEvent
from .redaction import REDACTED, Redactor
from .registry import audited_labels, member_numbers
from .selectors import audit_events_between, model_verbose_name


class _RedactingContextHelper(HistoricalRecordContextHelper):
    """One version's changes on a history page: the old values judged by the version
    before it, the new ones by this version (audit/redaction.py)."""

    def __init__(self, model, record, *, redactor: Redactor):
        super().__init__(model, record)
        label = model._meta.label_lower
        self.old_hidden = redactor.hidden_fields(
            label, redactor.previous_version(label, record.history_id)
        )
        self.new_hidden = redactor.hidden_fields(label, record.history_id)

    def format_delta_change(self, change):
        hidden_old, hidden_new = change.field in self.old_hidden, change.field in self.new_hidden
        change = dataclasses.replace(
            change,
            old=REDACTED if hidden_old and change.old is not None else change.old,
            new=REDACTED if hidden_new and change.new is not None else change.new,
        )
        return super().format_delta_change(change)

    def prepare_delta_change_value(self, change, value):
        if value == REDACTED:
            return value
        return super().prepare_delta_change_value(change, value)


class RedactedHistoryAdmin(SimpleHistoryAdmin, DeclaredFiltersAdmin):
    """simple-history's admin pages, as the audit trail shows them: sensitive values are
    [redacted] for readers without `audit.view_sensitive`, each version's private values
    are shown only to who may read that version, an object none of whose versions the
    reader may read has no history page for them, and a past version is only ever
    displayed, never saved back."""

    def _redactor(self, request: HttpRequest) -> Redactor:
        if not hasattr(request, "_audit_redactor"):
            request._audit_redactor = Redactor(request.user)
        return request._audit_redactor

    def _refuse_unreadable(self, request: HttpRequest, object_id) -> None:
        label = self.model._meta.label_lower
        if not self._redactor(request).object_readable(label, str(object_id)):
            raise Http404("No such record.")

    def get_historical_record_context_helper(self, request, historical_record):
        return _RedactingContextHelper(
            self.model, historical_record, redactor=self._redactor(request)
        )

    def history_view(self, request, object_id, extra_context=None):
        self._refuse_unreadable(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method != "GET":
            raise PermissionDenied("A past version is read, never saved back.")
        self._refuse_unreadable(request, object_id)
        request._showing_past_version = int(version_id) if str(version_id).isdigit() else None
        return super().history_form_view(request, object_id, version_id, extra_context)

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if hasattr(request, "_showing_past_version"):
            readonly += [f.name for f in self.model._meta.fields if f.name not in readonly]
        return readonly

    def render_history_view(self, request, template, context, **kwargs):
        adminform = context.get("adminform")
        if adminform is not None:
            # The past version is an unsaved copy: blank out what this reader may not see
            # of that version.
            instance = adminform.form.instance
            hidden = self._redactor(request).hidden_fields(
                self.model._meta.label_lower, getattr(request, "_showing_past_version", None)
            )
            for name in hidden:
                setattr(instance, name, REDACTED)
        return super().render_history_view(request, template, context, **kwargs)


class OccurredBetweenFilter(InputsFilter):
    """From and to dates (inclusive, in the local time zone)."""

    title = "date"
    inputs = (("occurred_from", "From", "date"), ("occurred_to", "To (inclusive)", "date"))

    def _date(self, name: str) -> datetime.date | None:
        if not (value := self.value(name)):
            return None
        try:
            return datetime.date.fromisoformat(value)
        except ValueError as exc:
            raise IncorrectLookupParameters(f"{name}: enter a date as YYYY-MM-DD") from exc

    def queryset(self, request, queryset):
        return audit_events_between(
            queryset, self._date("occurred_from"), self._date("occurred_to")
        )


class ActorFilter(InputsFilter):
    """The user name or system actor, exactly (an index lookup)."""

    title = "actor"
    inputs = (("actor_label", "User or system actor", "text"),)

    def queryset(self, request, queryset):
        actor = self.value("actor_label")
        return queryset.filter(actor_label=actor) if actor else queryset


class ModelFilter(admin.SimpleListFilter):
    """The kinds of record the trail knows (declared by the apps), not a scan for them."""

    title = "model"
    parameter_name = "model_label"

    def lookups(self, request, model_admin):
        return [(label, model_verbose_name(label)) for label in audited_labels()]

    def queryset(self, request, queryset):
        return queryset.filter(model_label=self.value()) if self.value() else queryset


class ViewsFilter(admin.SimpleListFilter):
    """Views of sensitive records are many (each officer opening a member page): hidden
    unless asked for, so that the changes are what the log shows first."""

    title = "views of records"
    parameter_name = "views"

    def lookups(self, request, model_admin):
        return [("shown", "Shown")]

    def choices(self, changelist):
        yield {
            "selected": self.value() is None,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": "Hidden",
        }
        yield from list(super().choices(changelist))[1:]

    def queryset(self, request, queryset):
        return (
            queryset
            if views_shown(request.GET)
            else queryset.exclude(action=AuditAction.VIEW_SENSITIVE)
        )


def views_shown(get) -> bool:
    """Whether the log, as filtered, shows views: asked for, or filtered to that action."""
    return get.get("views") == "shown" or bool(get.get("action__exact"))


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, DeclaredFiltersAdmin):
    """The audit log: read-only for everyone, Admin and Officer only (view permission)."""

    change_list_template = "admin/audit/auditevent/change_list.html"
    change_form_template = "admin/audit/auditevent/change_form.html"
    # Short enough for one line a row on an office screen: the id, address and browser
    # are on the event's own page.
    list_display = [
        "occurred_at",
        "actor_label",
        "action",
        "record_kind",
        "object_repr",
        "member_number",
        "changed_fields",
    ]
    list_display_links = ["occurred_at"]
    list_filter = ["action", ViewsFilter, ModelFilter, ActorFilter, OccurredBetweenFilter]
    search_fields = ["=object_id", "=member_number"]
    search_help_text = "Object id or member number (exact)"
    show_full_result_count = False
    list_per_page = 100
    actions = None
    # `changes` is shown as a redacted table by the template, never as raw JSON.
    fields = [
        "occurred_at",
        "actor_label",
        "user_account",
        "action",
        "record_kind",
        "object_id",
        "object_repr",
        "member_number",
        "detail",
        "ip_address",
        "user_agent",
        "history_id",
    ]
    readonly_fields = fields

    @admin.display(description="Record", ordering="model_label")
    def record_kind(self, event: AuditEvent) -> str:
        return model_verbose_name(event.model_label) if event.model_label else "—"

    @admin.display(description="User account")
    def user_account(self, event: AuditEvent) -> str:
        """The account behind the actor, as it is now (the actor is the name at the time)."""
        return str(event.actor) if event.actor_id else "—"

    def changelist_view(self, request: HttpRequest, extra_context=None):
        member_id = request.GET.get("member_id", "")
        if member_id.isascii() and member_id.isdigit():
            number = member_numbers([int(member_id)]).get(int(member_id), member_id)
            title = f"Audit trail of member #{number}"
            extra_context = {**(extra_context or {}), "title": title}
        return super().changelist_view(request, extra_context)

    @admin.display(description="Fields")
    def changed_fields(self, event: AuditEvent) -> str:
        """What changed, short enough for one line: a new record's fields are counted."""
        names = list(event.changes)
        if not names:
            return event.detail[:80]
        if event.action == AuditAction.CREATE:
            return f"{len(names)} fields set"
        shown = ", ".join(names[:4])
        return f"{shown} and {len(names) - 4} more" if len(names) > 4 else shown

    # A member's page links to ?member_id=<id>: that member's whole trail.
    extra_lookups = ("member_id",)

    def change_view(self, request: HttpRequest, object_id, form_url="", extra_context=None):
        event = self.get_object(request, object_id)
        rows = []
        if event is not None and self.has_view_permission(request, event):
            rows = field_change_rows(event, Redactor(request.user, [event]))
        extra_context = {**(extra_context or {}), "field_changes": rows}
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        export = self.admin_site.admin_view(self.export_view)
        return [path("export/", export, name="audit_auditevent_export"), *super().get_urls()]

    def export_view(self, request: HttpRequest) -> HttpResponse:
        """The log as filtered on screen, as CSV, written by a worker (a job): millions of
        events take longer than a request may. A GET shows what will be exported and a
        button; its POST starts the export, or gives the one this officer already started
        with these filters, while it is unfinished. The export is itself an audit event."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        changelist = reverse("admin:audit_auditevent_changelist")
        try:
            self.get_changelist_instance(request)  # only declared, valid filters
        except IncorrectLookupParameters:
            messages.error(request, "Those filters are not valid; nothing was exported.")
            return HttpResponseRedirect(changelist)
        get = request.GET
        if request.method != "POST":
            back = f"{changelist}?{get.urlencode()}" if get else changelist
            return job_start_page(
                request,
                context=self.admin_site.each_context(request),
                title="Export the audit log to CSV?",
                facts=_export_facts(get),
                button="Export these events to CSV",
                back_url=back,
            )
        params = {
            "actor": get.get("actor_label", ""),
            "action": get.get("action__exact", ""),
            "model": get.get("model_label", ""),
            "member_id": int(get["member_id"]) if get.get("member_id", "").isdigit() else None,
            "occurred_from": get.get("occurred_from", ""),
            "occurred_to": get.get("occurred_to", ""),
            "without_views": not views_shown(get),
            "search": get.get("q", "").strip(),
        }
        job = audit_export_start(filters=params, actor=request.user)
        return HttpResponseRedirect(reverse("admin:jobs_job_change", args=[job.pk]))


def _export_facts(get) -> list[tuple[str, str]]:
    """The filters an export applies, as its confirmation page names them."""
    facts = [("Events", "every event the log shows with these filters, up to now")]
    for name, label in (
        ("action__exact", "Action"),
        ("model_label", "Record"),
        ("actor_label", "User or system actor"),
        ("member_id", "Member (id)"),
        ("occurred_from", "From"),
        ("occurred_to", "To (inclusive)"),
        ("q", "Object id or member number"),
    ):
        if value := get.get(name):
            facts.append((label, model_verbose_name(value) if name == "model_label" else value))
    facts.append(("Views of records", "included" if views_shown(get) else "left out"))
    return facts


@admin.register(AuditCheckpoint)
class AuditCheckpointAdmin(ReadOnlyAdminMixin, DeclaredFiltersAdmin):
    """Verified points of the trail (`manage.py audit_verify`), each downloadable as the
    file officers keep outside the database."""

    list_display = ["seq", "verified_at", "events_checked", "short_hash", "verified_by", "file"]
    list_display_links = None
    actions = None

    @admin.display(description="Hash")
    def short_hash(self, checkpoint: AuditCheckpoint) -> str:
        return f"{checkpoint.hash[:16]}…"

    @admin.display(description="Keep a copy")
    def file(self, checkpoint: AuditCheckpoint) -> str:
        url = reverse("admin:audit_auditcheckpoint_download", args=[checkpoint.pk])
        return format_html('<a href="{}">Download</a>', url)

    def get_urls(self):
        download = self.admin_site.admin_view(self.download_view)
        return [
            path("<int:pk>/download/", download, name="audit_auditcheckpoint_download"),
            *super().get_urls(),
        ]

    def download_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        checkpoint = AuditCheckpoint.objects.filter(pk=pk).first()
        if checkpoint is None:
            raise Http404("No such checkpoint.")
        return HttpResponse(
            checkpoint_text(checkpoint),
            content_type="text/plain; charset=utf-8",
            headers={
                "Content-Disposition": "attachment; "
                f'filename="unionhall-audit-checkpoint-{checkpoint.seq}.txt"'
            },
        )


def field_change_rows(event: AuditEvent, redactor: Redactor) -> list[dict]:
    """The event's changes as rows of (label, old, new), with hidden values redacted and
    a related record named as it is now beside its id ("JW (#1)", not "1")."""
    labels = _field_labels(event.model_label)
    changes = redactor.changes(event)
    named = _related_names(event.model_label, changes)
    return [
        {
            "field": labels.get(name, name),
            "old": named.get((name, old), old),
            "new": named.get((name, new), new),
        }
        for name, (old, new) in changes.items()
    ]


def _related_names(model_label: str, changes: dict[str, list]) -> dict[tuple, str]:
    """(field, id) -> "name (#id)" for the ids of related records among the changes."""
    try:
        model = apps.get_model(model_label)
    except (LookupError, ValueError):
        return {}
    named = {}
    for name, values in changes.items():
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        ids = [v for v in values if isinstance(v, int) and not isinstance(v, bool)]
        if not field.many_to_one or not ids:
            continue
        for obj in field.related_model._default_manager.filter(pk__in=ids):
            named[(name, obj.pk)] = f"{obj} (#{obj.pk})"
    return named


def _field_labels(model_label: str) -> dict[str, str]:
    try:
        model = apps.get_model(model_label)
    except (LookupError, ValueError):
        return {}
    labels = {}
    for field in model._meta.get_fields():
        try:
            labels[field.name] = str(model._meta.get_field(field.name).verbose_name).capitalize()
        except (FieldDoesNotExist, AttributeError):
            continue
    return labels


class KeptRecordsAdmin(RedactedHistoryAdmin):
    """Records the trail's history points at (money, its settings, employers): never
    deleted, from a page or a list's action."""

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_actions(self, request: HttpRequest):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions
