"""Forms of the hiring hall's admin and staff pages. They only collect input: the services
decide (referral/services/), and say why they refuse."""

from __future__ import annotations

import datetime
import re

from django import forms
from django.contrib.admin.widgets import AdminDateWidget, AutocompleteSelect
from django.utils import timezone

from checkoff.models import Employer

from .models import (
    AgreementType,
    Book,
    CheckMarkReason,
    ExemptionKind,
    LaborRequest,
    Registration,
    Requirement,
    RollOffReason,
    RuleSet,
)
from .reports import UnreadableInstant, instant_from_local

# The nightly drop's reason: the hall never picks it by hand.
HAND_ROLL_OFF_REASONS = [(v, label) for v, label in RollOffReason.choices if v != "resign_missed"]


class _ChosenMember(AutocompleteSelect):
    """The admin's searching choice of a member, which shows a chosen one by looking it up:
    a value that is no member's id (typed into the URL or the POST) shows none, instead of
    failing the lookup."""

    def optgroups(self, name, value, attr=None):
        ids = [v for v in value if re.fullmatch(r"[0-9]{1,18}", str(v))]
        return super().optgroups(name, ids, attr)


class RegistrationRegisterForm(forms.Form):
    required_css_class = "required"
    book = forms.ModelChoiceField(queryset=Book.objects.filter(active=True))
    tier = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=4,
        help_text="Leave blank for the tier the rules in force give (Book 1's criteria: the "
        "book's classification, years in the local).",
    )
    tier_reason = forms.CharField(
        required=False, max_length=200, help_text="Why this tier, when it is not the rules' own."
    )

    def __init__(self, *args, admin_site, **kwargs):
        super().__init__(*args, **kwargs)
        field = Registration._meta.get_field("member")
        member = forms.ModelChoiceField(
            queryset=field.related_model._default_manager.all(),
            widget=_ChosenMember(field, admin_site),
            label="Member",
        )
        self.fields = {"member": member, **self.fields}


class RollOffForm(forms.Form):
    required_css_class = "required"
    # No reason chosen in advance: a roll-off's reason is the hall's record of why.
    reason = forms.ChoiceField(choices=[("", "Choose a reason"), *HAND_ROLL_OFF_REASONS])
    note = forms.CharField(required=False, max_length=300, widget=forms.TextInput)


class ExemptionStartForm(forms.Form):
    required_css_class = "required"
    kind = forms.ChoiceField(choices=ExemptionKind.choices)
    starts_on = forms.DateField(widget=AdminDateWidget)
    ends_on = forms.DateField(
        required=False,
        widget=AdminDateWidget,
        help_text="Blank: until it is ended. Traveling and under scale end by the rules' cap.",
    )
    note = forms.CharField(required=False, max_length=300)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("starts_on", timezone.localdate())
        super().__init__(*args, **kwargs)


class ExemptionExtendForm(forms.Form):
    required_css_class = "required"
    ends_on = forms.DateField(label="New end date", widget=AdminDateWidget)
    reason = forms.CharField(max_length=200, help_text="Why the exemption runs longer.")


class CheckMarkForm(forms.Form):
    required_css_class = "required"
    day = forms.DateField(
        widget=AdminDateWidget, help_text="The local's day the mark is for: today or before."
    )
    # No reason chosen in advance: it decides whether the mark counts.
    reason = forms.ChoiceField(choices=[("", "Choose a reason"), *CheckMarkReason.choices])
    note = forms.CharField(required=False, max_length=300, widget=forms.TextInput)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("day", timezone.localdate())
        super().__init__(*args, **kwargs)


class RuleSetForm(forms.ModelForm):
    """A rule set's draft in the admin (which gives the model and its fields), its excused
    check-mark reasons ticked from the known codes."""

    check_marks_excused = forms.MultipleChoiceField(
        label="Check-mark reasons excused",
        choices=CheckMarkReason.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=RuleSet._meta.get_field("check_marks_excused").help_text,
    )

    def clean_check_marks_excused(self) -> list[str]:
        # In the codes' own order: a version differs from the one before only by its rules.
        chosen = set(self.cleaned_data["check_marks_excused"])
        return [code for code in CheckMarkReason.values if code in chosen]


class AsOfForm(forms.Form):
    at = forms.CharField(
        label="As of (local time)",
        max_length=19,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text="A date and time on the local's clock, like 2026-12-07 09:00.",
    )

    def clean_at(self) -> tuple[datetime.datetime, str]:
        try:
            return instant_from_local(self.cleaned_data["at"])
        except UnreadableInstant as exc:
            raise forms.ValidationError(str(exc)) from None


class DaysForm(forms.Form):
    days = forms.IntegerField(
        label="Falling due in the next (days)", min_value=0, max_value=366, initial=7
    )


class DroppedForm(forms.Form):
    start = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To", widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.ChoiceField(required=False, choices=[("", "Any reason"), *RollOffReason.choices])
    book = forms.ModelChoiceField(
        required=False, queryset=Book.objects.all(), empty_label="Any book"
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            raise forms.ValidationError("The range ends before it starts.")
        if start and end and (end - start).days > 3660:
            raise forms.ValidationError("Ask for ten years at most.")
        for day in (start, end):
            if day and not FIRST_DAY <= day <= LAST_DAY:
                raise forms.ValidationError(
                    f"Ask for days between {FIRST_DAY:%Y} and {LAST_DAY:%Y}."
                )
        return data


# The dates a report may be asked for: the hall's records lie well inside them.
FIRST_DAY = datetime.date(1900, 1, 1)
LAST_DAY = datetime.date(2999, 12, 31)


class LaborRequestReceiveForm(forms.Form):
    required_css_class = "required"
    employer = forms.ModelChoiceField(queryset=Employer.objects.all())
    book = forms.ModelChoiceField(queryset=Book.objects.filter(active=True))
    positions = forms.IntegerField(initial=1)
    start_on = forms.DateField(widget=AdminDateWidget)
    start_at = forms.TimeField(help_text="The local's time, like 07:00.")
    worksite = forms.CharField(max_length=300)
    report_to = forms.CharField(max_length=300)
    wage = forms.DecimalField(max_digits=8, decimal_places=2, help_text="Per hour.")
    requirements = forms.ModelMultipleChoiceField(
        queryset=Requirement.objects.all(), required=False, widget=forms.CheckboxSelectMultiple
    )
    short_call = forms.BooleanField(required=False)
    agreement_type = forms.ChoiceField(choices=AgreementType.choices)
    attestation = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="By name: the employer's statement that the member did not solicit it.",
    )

    def __init__(self, *args, admin_site, **kwargs):
        super().__init__(*args, **kwargs)
        field = LaborRequest._meta.get_field("named_member")
        member = forms.ModelChoiceField(
            queryset=field.related_model._default_manager.all(),
            widget=_ChosenMember(field, admin_site),
            required=False,
            label="By name: member",
        )
        fields = dict(self.fields)
        attestation = fields.pop("attestation")
        self.fields = {**fields, "named_member": member, "attestation": attestation}


class LaborRequestCancelForm(forms.Form):
    required_css_class = "required"
    reason = forms.CharField(max_length=300, widget=forms.TextInput)
