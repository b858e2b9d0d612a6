from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils import timezone

from dues.models import MONEY_LIMIT
from members.forms import CsvUploadForm
from members.models import Member

from .models import COLUMNS, EMPLOYER_FIELDS, OPTIONAL_COLUMNS, Employer, SuspenseAction
from .remittance_file import mapping_clashes


class EmployerForm(forms.ModelForm):
    """An employer, with its file's layout: the header of each of our columns in their
    file (blank: our own name)."""

    class Meta:
        model = Employer
        fields = EMPLOYER_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        mapping = self.instance.column_mapping or {}
        for column in (*COLUMNS, *OPTIONAL_COLUMNS):
            self.fields[f"map_{column}"] = forms.CharField(
                label=f"Their column for {column}",
                required=False,
                max_length=100,
                initial=mapping.get(column, ""),
            )

    def clean_code(self) -> str:
        return Employer.code_of(self.cleaned_data["code"])

    def _mapping(self) -> dict[str, str]:
        return {
            column: self.cleaned_data[f"map_{column}"].strip()
            for column in (*COLUMNS, *OPTIONAL_COLUMNS)
            if self.cleaned_data.get(f"map_{column}", "").strip()
        }

    def clean(self):
        data = super().clean()
        for clash in mapping_clashes(self._mapping()):
            self.add_error(None, clash)
        return data

    def save(self, commit: bool = True) -> Employer:
        self.instance.column_mapping = self._mapping()
        return super().save(commit)


class RemittanceUploadForm(forms.Form):
    employer = forms.ModelChoiceField(queryset=Employer.objects.order_by("code"))
    file = forms.FileField(
        help_text="CSV (UTF-8 or Excel's, or Excel's Unicode text) or XLSX, with a header row: "
        "the default layout or the employer's saved one."
    )
    received_on = forms.DateField(
        initial=timezone.localdate, help_text="The day the check or transfer was received."
    )
    reference = forms.CharField(required=False, max_length=100, help_text="Check or EFT number.")
    control_total = forms.DecimalField(
        max_digits=12,
        decimal_places=2,
        max_value=MONEY_LIMIT - 1,
        help_text="The amount of the check or transfer: the lines must add up to it.",
    )

    def clean_received_on(self):
        day = self.cleaned_data["received_on"]
        if day > timezone.localdate():
            raise forms.ValidationError("The received date cannot be in the future.")
        return day

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.REMITTANCE_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                f"The file is {upload.size:,} bytes; the limit is {limit:,}."
            )
        return upload


class CheckoffImportUploadForm(CsvUploadForm):
    """Employers' or check-off authorizations' CSV."""

    max_bytes_setting = "CHECKOFF_IMPORT_MAX_BYTES"


class MemberFindForm(forms.Form):
    """The search of the pages that choose a member for a line (by name or number)."""

    q = forms.CharField(
        label="Find the member: name or member number", required=False, max_length=100
    )


def _member_field(required: bool) -> forms.ModelChoiceField:
    # Drawn by the page as one radio button per member found (the shared member finder),
    # checked here against every member: the choice, not the list shown, is what counts.
    return forms.ModelChoiceField(
        queryset=Member.objects.all(),
        required=required,
        error_messages={
            "required": "Choose the member: find them by name or number, then pick one.",
            "invalid_choice": "Choose one of the members found.",
        },
    )


class LineMatchForm(forms.Form):
    member = _member_field(required=True)
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Say why: how you know the line is theirs (the audit trail keeps it).",
    )


class SuspenseResolveForm(forms.Form):
    action = forms.ChoiceField(choices=SuspenseAction.choices, widget=forms.RadioSelect)
    member = _member_field(required=False)
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), help_text="Say why.")

    def clean(self):
        data = super().clean()
        applied = data.get("action") == SuspenseAction.APPLIED
        if applied and not data.get("member") and "member" not in self.errors:
            self.add_error("member", "Choose the member to apply the money to.")
        return data


class ReversalForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why the posted remittance is undone (its payments are refunded).",
    )
