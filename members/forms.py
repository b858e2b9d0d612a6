from __future__ import annotations

import copy
import hashlib
from functools import cache

from django import forms
from django.conf import settings

from appkit.files import UndecodableFile, decode_upload

from .member_csv import COLUMNS
from .models import Classification, Member, MemberNote

# Spreadsheets write dates either way; both are unambiguous.
CSV_DATE_FORMATS = ["%Y-%m-%d", "%m/%d/%Y"]


@cache
def _import_row_fields() -> dict[str, forms.Field]:
    """The model's own form fields, so the import's limits never drift from the model's."""
    fields = forms.fields_for_model(
        Member, fields=[column for column in COLUMNS if column != "classification"]
    )
    fields["classification"] = forms.CharField(max_length=10)
    for name in ("join_date", "date_of_birth"):
        fields[name].input_formats = CSV_DATE_FORMATS
        fields[name].error_messages["invalid"] = "Enter a date as YYYY-MM-DD or MM/DD/YYYY."
    return fields


class MemberImportRowForm(forms.Form):
    """The rows of a member CSV, one after the other: `check(row)` each.

    One form serves the whole file: a form per row would deep-copy its fields every time,
    which was most of what an import of 100,000 rows cost."""

    def __init__(self, *, classifications: dict[str, Classification]):
        super().__init__({})
        self.fields.update(copy.deepcopy(_import_row_fields()))
        self.classifications = classifications

    def check(self, row: dict[str, str]) -> bool:
        """Whether this row is good: then `cleaned_data` holds it, else `errors` say why."""
        self.data = row
        self._errors = None  # full_clean() starts again from the new data
        return self.is_valid()

    def clean_classification(self) -> Classification:
        code = self.cleaned_data["classification"]
        try:
            return self.classifications[code.upper()]
        except KeyError:
            known = ", ".join(sorted(c.code for c in self.classifications.values()))
            raise forms.ValidationError(
                f"Unknown classification {code!r} (known: {known or 'none yet'})."
            ) from None


class CsvUploadForm(forms.Form):
    """A CSV to import, held to the size limit of its kind (`max_bytes_setting`) and
    decoded at once, so a file that is no CSV text is said now, not after a worker's turn."""

    max_bytes_setting = "MEMBER_IMPORT_MAX_BYTES"
    file = forms.FileField(label="CSV file")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = (
            "UTF-8 or Excel CSV (or Excel's Unicode text), with a header row. At most "
            f"{self.max_bytes / 1_000_000:g} MB."
        )

    @property
    def max_bytes(self) -> int:
        return getattr(settings, self.max_bytes_setting)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > self.max_bytes:
            raise forms.ValidationError(
                f"The file is {upload.size:,} bytes; the limit is {self.max_bytes:,}. Split it "
                "and import each part."
            )
        raw = upload.read()
        try:
            decode_upload(raw)  # said now, not after a trip to a worker
        except UndecodableFile as exc:
            raise forms.ValidationError(str(exc)) from None
        # The same file uploaded twice while its check runs is checked once.
        self.cleaned_data["digest"] = hashlib.sha256(raw).hexdigest()
        upload.seek(0)
        return upload


class MemberImportUploadForm(CsvUploadForm):
    max_bytes_setting = "MEMBER_IMPORT_MAX_BYTES"


class MemberNoteForm(forms.ModelForm):
    class Meta:
        model = MemberNote
        fields = ["member", "text", "visibility", "category"]
        widgets = {"text": forms.Textarea(attrs={"rows": 4})}


class MemberContactForm(forms.ModelForm):
    """The contact details a member keeps up to date themselves."""

    class Meta:
        model = Member
        fields = list(Member.CONTACT_FIELDS)
