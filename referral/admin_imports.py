"""The vendor's lists imported in the admin (jobs/uploads.py: upload → a worker checks every
row → a preview → confirm → a worker writes every row or none): the registration list on
the registrations' list (`RegistrationImportAdmin`, a mixin the RegistrationAdmin takes
first among its bases), the employer-contract list on the employers' contracts, whose admin
is here. Each upload may give the file's own header for any of our columns."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from audit.admin import KeptRecordsAdmin
from jobs.models import Job
from jobs.uploads import UploadCheckConfirmAdmin
from members.forms import CsvUploadForm

from .for_jobs import CHECKS, vendor_list_check_start, vendor_list_import_start
from .importing import (
    CONTRACT_LAYOUT,
    CONTRACT_PREVIEW,
    IMPORT_PERMISSION,
    REGISTRATION_LAYOUT,
    REGISTRATION_PREVIEW,
    ImportLayout,
)
from .models import EmployerContract


class _VendorListForm(CsvUploadForm):
    """A vendor's CSV, with the file's header for each of our columns where it is not ours."""

    layout: ImportLayout

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for column in self.layout.columns:
            self.fields[f"map_{column}"] = forms.CharField(
                label=f"Their column for {column}",
                required=False,
                max_length=100,
                help_text="Blank: the file's column is called so.",
            )

    def layout_given(self) -> dict[str, str]:
        return {
            column: self.cleaned_data[f"map_{column}"].strip()
            for column in self.layout.columns
            if self.cleaned_data.get(f"map_{column}", "").strip()
        }


class RegistrationListForm(_VendorListForm):
    # A registration list is a list of members (on books): held to the member import's limit.
    max_bytes_setting = "MEMBER_IMPORT_MAX_BYTES"
    layout = REGISTRATION_LAYOUT


class ContractListForm(_VendorListForm):
    # A list of employers (and their contracts): held to check-off's employer import's limit.
    max_bytes_setting = "CHECKOFF_IMPORT_MAX_BYTES"
    layout = CONTRACT_LAYOUT


class _VendorListImport(UploadCheckConfirmAdmin):
    imported: str  # "registrations" or "employer contracts" (referral.for_jobs.IMPORTS)
    upload_form: type[_VendorListForm]

    @property
    def check_kind(self):
        return CHECKS[self.imported]

    @property
    def upload_noun(self) -> str:
        return self.imported

    @property
    def upload_noun_one(self) -> str:
        return self.imported.removesuffix("s")

    @property
    def upload_columns(self) -> tuple[str, ...]:
        return self.upload_form.layout.columns

    @property
    def upload_required(self) -> tuple[str, ...]:
        return self.upload_form.layout.required

    def has_upload_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(IMPORT_PERMISSION)

    def upload_check_start(self, request: HttpRequest, form: _VendorListForm) -> Job:
        return vendor_list_check_start(
            what=self.imported,
            upload=form.cleaned_data["file"],
            digest=form.cleaned_data["digest"],
            layout=form.layout_given(),
            actor=request.user,
        )

    def upload_write_start(self, request: HttpRequest, checked: Job) -> Job:
        return vendor_list_import_start(checked=checked, actor=request.user)


class RegistrationImportAdmin(_VendorListImport):
    """For the RegistrationAdmin (referral/admin/), first among its bases: its list gets
    `import/` and `import/<check job>/`; its change-list template shows the "Import CSV"
    link when `can_import` (as admin/referral/employercontract/change_list.html does)."""

    imported = "registrations"
    upload_form = RegistrationListForm
    preview_headings = REGISTRATION_PREVIEW


@admin.register(EmployerContract)
class EmployerContractAdmin(_VendorListImport, KeptRecordsAdmin):
    """Employers' contracts as the vendor's list gave them: read here, written by the import."""

    imported = "employer contracts"
    upload_form = ContractListForm
    preview_headings = CONTRACT_PREVIEW
    list_display = ["contract_code", "employer_code", "employer_name", "agreement_type"]
    list_filter = ["contract_code", "agreement_type"]
    list_select_related = ["employer"]
    search_fields = ["=employer__code", "employer__name", "=contract_code"]
    ordering = ["contract_code", "employer__code"]

    @admin.display(description="Employer", ordering="employer__code")
    def employer_code(self, contract: EmployerContract) -> str:
        return contract.employer.code

    @admin.display(description="Name", ordering="employer__name")
    def employer_name(self, contract: EmployerContract) -> str:
        return contract.employer.name

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
