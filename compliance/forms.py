from __future__ import annotations

import datetime

from django import forms

from members.models import Member, MemberStatus

from .models import ArrearsPolicy, EligibilityList, StandingChange


class DayFilter(forms.Form):
    as_of = forms.DateField(label="On", help_text="YYYY-MM-DD")


class YearFilter(forms.Form):
    year = forms.IntegerField(min_value=2000, max_value=2100, help_text="The fiscal year")


class MemberNumberField(forms.CharField):
    def clean(self, value) -> Member:
        number = super().clean(value).strip()
        try:
            return Member.objects.get(member_number=number)
        except Member.DoesNotExist:
            raise forms.ValidationError(f"No member has number {number!r}.") from None


class HoldForm(forms.Form):
    member = MemberNumberField(label="Member number", max_length=20)
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))


class OverrideForm(forms.Form):
    member = MemberNumberField(label="Member number", max_length=20)
    status = forms.ChoiceField(choices=MemberStatus.choices)
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))


class EligibilityForm(forms.Form):
    title = forms.CharField(max_length=200, help_text="The election or vote, e.g. Officers 2027")
    record_date = forms.DateField(help_text="YYYY-MM-DD")


class InspectionForm(forms.Form):
    candidate = MemberNumberField(label="Candidate's member number", max_length=20)
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class PaidForm(forms.Form):
    paid_on = forms.DateField(help_text="YYYY-MM-DD")


class ArrearsPolicyForm(forms.ModelForm):
    """A new version. It may not take effect on a day already decided by an earlier one:
    that would rewrite what was decided, or the lists worked out, under it."""

    class Meta:
        model = ArrearsPolicy
        fields = [
            "effective_date",
            "convention",
            "grace_days",
            "delinquent_after",
            "suspend_after",
            "drop_after",
            "reinstatement_fee",
            "notice_subject",
            "notice_text",
        ]

    def clean_effective_date(self) -> datetime.date:
        day = self.cleaned_data["effective_date"]
        decided = (
            StandingChange.objects.filter(effective_on__gte=day, policy__isnull=False)
            .order_by("-effective_on")
            .first()
        )
        listed = (
            EligibilityList.objects.filter(record_date__gte=day).order_by("-record_date").first()
        )
        last = max(
            [d for d in (decided and decided.effective_on, listed and listed.record_date) if d],
            default=None,
        )
        if last is not None:
            raise forms.ValidationError(
                f"Decisions or eligibility lists already stand on {last} under the policy then "
                f"in force: a new version takes effect after {last}."
            )
        return day
