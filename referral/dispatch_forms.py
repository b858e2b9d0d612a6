"""Forms of the dispatch pages in the admin (referral/admin/dispatches.py). They only
collect input: the dispatch services decide, and say why they refuse."""

from __future__ import annotations

from django import forms
from django.contrib.admin.widgets import AdminDateWidget
from django.utils import timezone

from .forms import FIRST_DAY, LAST_DAY
from .models import DispatchMethod, LaborRequest, Registration
from .selectors import book_list
from .services.dispatching import COUNTER_METHOD_CHOICES, TERMINATION_CHOICES


class _RegistrationChoice(forms.ModelChoiceField):
    def label_from_instance(self, registration: Registration) -> str:
        return f"{registration.member}: Book {registration.tier}, APN {registration.apn}"


class DispatchMakeForm(forms.Form):
    required_css_class = "required"
    registration = _RegistrationChoice(
        queryset=Registration.objects.none(),
        help_text="Those on the request's book now, in the order of its list.",
    )
    method = forms.ChoiceField(choices=COUNTER_METHOD_CHOICES, widget=forms.RadioSelect)
    note = forms.CharField(required=False, max_length=300, widget=forms.TextInput)

    def __init__(self, *args, labor_request: LaborRequest, **kwargs):
        by_name = DispatchMethod.BY_NAME if labor_request.by_name else DispatchMethod.IN_PERSON
        kwargs.setdefault("initial", {}).setdefault("method", by_name)
        super().__init__(*args, **kwargs)
        # Only this book's list: a registration elsewhere is no choice here at all.
        self.fields["registration"].queryset = book_list(labor_request.book)


class DispatchCheckInForm(forms.Form):
    required_css_class = "required"
    at = forms.DateTimeField(
        label="Reported at (local time)",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="When the member reported to the job, on the local's clock.",
    )

    def __init__(self, *args, **kwargs):
        now = timezone.localtime().replace(second=0, microsecond=0)
        kwargs.setdefault("initial", {}).setdefault("at", now)
        super().__init__(*args, **kwargs)


class DispatchStartWorkForm(forms.Form):
    required_css_class = "required"
    on = forms.DateField(label="First day worked", widget=AdminDateWidget)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("on", timezone.localdate())
        super().__init__(*args, **kwargs)


class DispatchTerminateForm(forms.Form):
    required_css_class = "required"
    # No reason chosen in advance: a quit or discharge takes the member off every book.
    reason = forms.ChoiceField(choices=[("", "Choose a reason"), *TERMINATION_CHOICES])
    on = forms.DateField(label="Last day", widget=AdminDateWidget)
    note = forms.CharField(
        required=False,
        max_length=300,
        widget=forms.TextInput,
        help_text="Required for “Other”: why the dispatch ended.",
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("on", timezone.localdate())
        super().__init__(*args, **kwargs)


class DayForm(forms.Form):
    day = forms.DateField(label="Day", widget=forms.DateInput(attrs={"type": "date"}))

    def clean_day(self):
        day = self.cleaned_data["day"]
        if not FIRST_DAY <= day <= LAST_DAY:
            raise forms.ValidationError(f"Ask for a day between {FIRST_DAY:%Y} and {LAST_DAY:%Y}.")
        return day
