"""Employers, authorizations and remittances in the admin: upload a file, a worker checks
it, the batch's page previews every line's match and exception with the totals, an officer
posts it (a worker again) or later reverses it; suspense lines are applied or returned."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from appkit.admin import DeclaredFiltersAdmin, ReadOnlyAdminMixin, money_column
from audit.admin import KeptRecordsAdmin
from jobs.models import Job
from jobs.uploads import UploadCheckConfirmAdmin

from .for_jobs import (
    IMPORT_CHECK,
    PREVIEW_HEADINGS,
    checkoff_import_check_start,
    checkoff_import_write_start,
    remittance_check_start,
    remittance_post_start,
)
from .forms import (
    CheckoffImportUploadForm,
    EmployerForm,
    RemittanceUploadForm,
    ReversalForm,
    SuspenseResolveForm,
)
from .importing import AUTHORIZATION_COLUMNS, EMPLOYER_COLUMNS
from .models import (
    BatchStatus,
    CheckoffAuthorization,
    Employer,
    LineException,
    RemittanceBatch,
    RemittanceLine,
    SuspenseAction,
    SuspenseStatus,
)
from .selectors import batch_summary
from .services import (
    authorization_save,
    employer_save,
    remittance_reverse,
    suspense_apply,
    suspense_return,
)

LINES_PER_PAGE = 100


class _CsvImportAdmin(UploadCheckConfirmAdmin, KeptRecordsAdmin):
    """A list with "Import CSV" (jobs/uploads.py): a worker checks every row, the preview
    shows what would be written, and confirming writes every row or none
    (checkoff/importing.py)."""

    imported: str  # "employers" or "authorizations"
    change_list_template = "admin/checkoff/import_change_list.html"
    upload_form = CheckoffImportUploadForm
    check_kind = IMPORT_CHECK

    @property
    def upload_noun(self) -> str:
        return self.imported

    @property
    def preview_headings(self) -> tuple[str, ...]:
        return PREVIEW_HEADINGS[self.imported]

    def has_upload_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("checkoff.add_checkoffauthorization")

    def upload_check_start(self, request: HttpRequest, form) -> Job:
        return checkoff_import_check_start(
            what=self.imported,
            upload=form.cleaned_data["file"],
            digest=form.cleaned_data["digest"],
            actor=request.user,
        )

    def upload_write_start(self, request: HttpRequest, checked: Job) -> Job:
        return checkoff_import_write_start(checked=checked, actor=request.user)


@admin.register(Employer)
class EmployerAdmin(_CsvImportAdmin):
    imported = "employers"
    upload_columns = EMPLOYER_COLUMNS
    upload_required = ("code", "name")
    form = EmployerForm
    list_display = ["code", "name", "ein", "due_day", "authorized"]
    search_fields = ["=code", "name"]
    ordering = ["code"]

    def get_queryset(self, request: HttpRequest):
        active = Q(authorizations__revoked_on__isnull=True)
        return (
            super()
            .get_queryset(request)
            .annotate(authorized_count=Count("authorizations", filter=active))
        )

    @admin.display(description="Active authorizations", ordering="authorized_count")
    def authorized(self, employer: Employer) -> str:
        url = reverse("admin:checkoff_checkoffauthorization_changelist")
        return format_html(
            '<a href="{}?employer__id__exact={}">{}</a>',
            url,
            employer.pk,
            employer.authorized_count,
        )

    def get_fieldsets(self, request: HttpRequest, obj=None):
        form = self.get_form(request, obj)
        mapping = [name for name in form.base_fields if name.startswith("map_")]
        return [
            (None, {"fields": ["code", "name", "ein", "due_day"]}),
            ("Contact", {"fields": ["contact_name", "contact_email", "contact_phone"]}),
            (
                "Their file's layout",
                {
                    "fields": mapping,
                    "description": "Leave blank where their header is ours "
                    "(member_number, last_name, ... amount).",
                },
            ),
        ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["fields"] = None
        return super().get_form(request, obj, change, **kwargs)

    def save_model(self, request: HttpRequest, obj: Employer, form, change: bool) -> None:
        employer_save(employer=obj, actor=request.user)


@admin.register(CheckoffAuthorization)
class CheckoffAuthorizationAdmin(_CsvImportAdmin):
    imported = "authorizations"
    upload_columns = AUTHORIZATION_COLUMNS
    upload_required = ("employer_code", "member_number", "signed_on")
    list_display = ["member", "employer", "employee_id", "signed_on", "revoked_on"]
    list_filter = ["employer", ("revoked_on", admin.EmptyFieldListFilter)]
    list_select_related = ["member", "employer"]
    search_fields = ["=member__member_number", "=employee_id", "member__last_name"]
    raw_id_fields = ["member"]
    fields = ["member", "employer", "employee_id", "ssn_last4", "signed_on", "revoked_on"]

    def save_model(self, request: HttpRequest, obj: CheckoffAuthorization, form, change) -> None:
        authorization_save(authorization=obj, actor=request.user)


@admin.register(RemittanceBatch)
class RemittanceBatchAdmin(KeptRecordsAdmin):
    list_display = [
        "__str__",
        "employer",
        "received_on",
        money_column("total", "Lines total"),
        money_column("control_total", "Control total"),
        "line_count",
        "status",
    ]
    list_filter = ["status", "employer"]
    list_select_related = ["employer"]
    search_fields = ["=reference", "employer__code"]
    change_form_template = "admin/checkoff/remittancebatch/preview.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("checkoff.add_remittancebatch")

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<int:batch_id>/post/", view(self.post_view), name="checkoff_remittancebatch_post"
            ),
            path(
                "<int:batch_id>/reverse/",
                view(self.reverse_view),
                name="checkoff_remittancebatch_reverse",
            ),
            *super().get_urls(),
        ]

    def add_view(self, request: HttpRequest, form_url="", extra_context=None) -> HttpResponse:
        """Upload a remittance: a worker reads and matches it (a job with a progress page),
        then the batch's page previews it for posting."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        upload = RemittanceUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and upload.is_valid():
            data = upload.cleaned_data
            job = remittance_check_start(
                employer=data["employer"],
                upload=data["file"],
                received_on=data["received_on"],
                control_total=data["control_total"],
                reference=data["reference"],
                actor=request.user,
            )
            return HttpResponseRedirect(reverse("admin:jobs_job_change", args=[job.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Upload a remittance",
            "upload_form": upload,
        }
        return TemplateResponse(request, "admin/checkoff/remittancebatch/upload.html", context)

    def change_view(self, request: HttpRequest, object_id, form_url="", extra_context=None):
        """The batch: totals by exception, every line with its match (a page at a time, by
        exception), and the buttons to post or reverse it."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        batch = get_object_or_404(
            RemittanceBatch.objects.select_related("employer", "reverses"), pk=object_id
        )
        lines = batch.lines.select_related("member", "resolution").order_by("row_number", "id")
        shown = request.GET.get("exception", "")
        if shown == "none":
            lines = lines.filter(exception="")
        elif shown in LineException.values:
            lines = lines.filter(exception=shown)
        page = Paginator(lines, LINES_PER_PAGE).get_page(request.GET.get("page"))
        can_post = request.user.has_perm("checkoff.post_remittance")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"{batch} from {batch.employer.code}",
            "batch": batch,
            "summary": batch_summary(batch),
            "page": page,
            "shown": shown,
            "exceptions": LineException.choices,
            "can_post": can_post and batch.status == BatchStatus.CHECKED,
            "can_reverse": can_post
            and batch.status == BatchStatus.POSTED
            and not batch.reverses_id,
            "can_resolve": request.user.has_perm("checkoff.add_suspenseresolution"),
            "reversal_form": ReversalForm(),
            "object_id": batch.pk,
            "original": batch,
            "has_view_permission": True,
        }
        return TemplateResponse(request, self.change_form_template, context)

    def post_view(self, request: HttpRequest, batch_id: int) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseRedirect(
                reverse("admin:checkoff_remittancebatch_change", args=[batch_id])
            )
        if not request.user.has_perm("checkoff.post_remittance"):
            raise PermissionDenied
        batch = get_object_or_404(RemittanceBatch, pk=batch_id, status=BatchStatus.CHECKED)
        if not batch.balanced:
            messages.error(request, batch.imbalance)
            return HttpResponseRedirect(
                reverse("admin:checkoff_remittancebatch_change", args=[batch.pk])
            )
        job = remittance_post_start(batch=batch, actor=request.user)
        return HttpResponseRedirect(reverse("admin:jobs_job_change", args=[job.pk]))

    def reverse_view(self, request: HttpRequest, batch_id: int) -> HttpResponse:
        if not request.user.has_perm("checkoff.post_remittance"):
            raise PermissionDenied
        batch = get_object_or_404(RemittanceBatch, pk=batch_id)
        back = reverse("admin:checkoff_remittancebatch_change", args=[batch.pk])
        form = ReversalForm(request.POST or None)
        if request.method != "POST" or not form.is_valid():
            messages.error(request, "Say why the remittance is reversed.")
            return HttpResponseRedirect(back)
        try:
            reversal = remittance_reverse(
                batch=batch, reason=form.cleaned_data["reason"], actor=request.user
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return HttpResponseRedirect(back)
        messages.success(request, f"{batch} is reversed by {reversal}; its payments are refunded.")
        return HttpResponseRedirect(
            reverse("admin:checkoff_remittancebatch_change", args=[reversal.pk])
        )


class SuspenseFilter(admin.SimpleListFilter):
    title = "suspense"
    parameter_name = "suspense"

    def lookups(self, request, model_admin):
        return [(s.value, s.label) for s in SuspenseStatus if s.value]

    def queryset(self, request, queryset):
        return queryset.filter(suspense=self.value()) if self.value() else queryset


@admin.register(RemittanceLine)
class RemittanceLineAdmin(ReadOnlyAdminMixin, DeclaredFiltersAdmin):
    """Remittance lines, read-only; the suspense list (?suspense=open) resolves each."""

    list_display = [
        "__str__",
        "batch",
        "work_month",
        "member_number",
        "last_name",
        money_column("amount", "Amount"),
        "exception",
        "suspense",
        "resolve",
    ]
    list_filter = [SuspenseFilter, "exception", "batch__employer"]
    list_select_related = ["batch", "batch__employer"]
    search_fields = ["=member_number", "=employee_id", "last_name"]

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<int:line_id>/resolve/",
                view(self.resolve_view),
                name="checkoff_remittanceline_resolve",
            ),
            *super().get_urls(),
        ]

    @admin.display(description="")
    def resolve(self, line: RemittanceLine) -> str:
        if line.suspense != SuspenseStatus.OPEN:
            return ""
        url = reverse("admin:checkoff_remittanceline_resolve", args=[line.pk])
        return format_html('<a class="button" href="{}">Apply or return</a>', url)

    def resolve_view(self, request: HttpRequest, line_id: int) -> HttpResponse:
        """Apply a suspense line's money to a member, or mark it returned, with a note."""
        if not request.user.has_perm("checkoff.add_suspenseresolution"):
            raise PermissionDenied
        line = get_object_or_404(
            RemittanceLine.objects.select_related("batch__employer"), pk=line_id
        )
        form = SuspenseResolveForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                if data["action"] == SuspenseAction.APPLIED:
                    resolution = suspense_apply(
                        line=line, member=data["member"], note=data["note"], actor=request.user
                    )
                    messages.success(
                        request,
                        f"Applied {line.amount} to member {data['member'].member_number}: "
                        f"receipt {resolution.payment.receipt}.",
                    )
                else:
                    suspense_return(line=line, note=data["note"], actor=request.user)
                    messages.success(
                        request, f"{line} is marked returned to {line.batch.employer.code}."
                    )
                return HttpResponseRedirect(
                    reverse("admin:checkoff_remittancebatch_change", args=[line.batch_id])
                )
            except ValidationError as exc:
                form.add_error(None, exc)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Resolve a suspense line: {line.batch.employer.code}, {line.work_month}",
            "line": line,
            "form": form,
        }
        return TemplateResponse(request, "admin/checkoff/remittanceline/resolve.html", context)
