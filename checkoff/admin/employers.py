"""Employers and check-off authorizations in the admin, each list with "Import CSV" (a
worker checks every row, a preview, then confirm); an employer's page uploads its
remittance."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count, Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from audit.admin import KeptRecordsAdmin
from jobs.models import Job
from jobs.uploads import UploadCheckConfirmAdmin

from ..for_jobs import (
    IMPORT_CHECK,
    PREVIEW_HEADINGS,
    checkoff_import_check_start,
    checkoff_import_write_start,
)
from ..forms import CheckoffImportUploadForm, EmployerForm
from ..importing import AUTHORIZATION_COLUMNS, EMPLOYER_COLUMNS, ONE_OF
from ..models import CheckoffAuthorization, Employer
from ..services import authorization_save, employer_save


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
    def upload_noun_one(self) -> str:
        return ONE_OF[self.imported]

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
        contact = ("Contact", {"fields": ["contact_name", "contact_email", "contact_phone"]})
        if obj is not None and not self.has_change_permission(request, obj):
            # Read only (Staff): the layout as kept, not the form's field per column.
            return [
                (None, {"fields": ["code", "name", "ein", "due_day"]}),
                contact,
                ("Their file's layout", {"fields": ["column_mapping"]}),
            ]
        form = self.get_form(request, obj)
        mapping = [name for name in form.base_fields if name.startswith("map_")]
        return [
            (None, {"fields": ["code", "name", "ein", "due_day"]}),
            contact,
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
        # The form declares its fields (one per column of their layout); read only, none.
        may_change = not change or self.has_change_permission(request, obj)
        kwargs["fields"] = None if may_change else []
        return super().get_form(request, obj, change, **kwargs)

    def change_view(self, request: HttpRequest, object_id, form_url="", extra_context=None):
        """The employer, with a button to upload its remittance (for those who may)."""
        extra_context = extra_context or {}
        if request.user.has_perm("checkoff.add_remittancebatch") and str(object_id).isdigit():
            extra_context["upload_remittance_url"] = remittance_upload_url(int(object_id))
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request: HttpRequest, obj: Employer, form, change: bool) -> None:
        employer_save(employer=obj, actor=request.user)


def remittance_upload_url(employer_id: int) -> str:
    """The remittance upload with this employer chosen."""
    return reverse("admin:checkoff_remittancebatch_add") + f"?employer={employer_id}"


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
