"""Forms for recording money in the admin. They only collect input: the services decide."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django import forms
from django.contrib.admin.widgets import AdminDateWidget, AutocompleteSelect
from django.utils import timezone

from .models import MANUAL_METHODS, Adjustment, Payment, PaymentMethod, Refund


def _autocomplete(model, field_name: str, admin_site) -> forms.ModelChoiceField:
    """A choice of one related record, searched as you type (the admin's own widget)."""
    model_field = model._meta.get_field(field_name)
    return forms.ModelChoiceField(
        queryset=model_field.related_model._default_manager.all(),
        widget=AutocompleteSelect(model_field, admin_site),
        label=model_field.verbose_name.capitalize(),
    )


class _RecordForm(forms.Form):
    # A key per form shown: submitting the same form twice records one thing, once.
    idempotency_key = forms.CharField(widget=forms.HiddenInput)
    required_css_class = "required"  # the admin's forms.css marks these labels

    def __init__(self, *args, admin_site, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("idempotency_key", uuid.uuid4().hex)
        super().__init__(*args, **kwargs)
        self.admin_site = admin_site


class PaymentRecordForm(_RecordForm):
    amount = forms.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0.01"))
    method = forms.ChoiceField(choices=[(m, PaymentMethod(m).label) for m in MANUAL_METHODS])
    received_date = forms.DateField(widget=AdminDateWidget)
    reference = forms.CharField(
        required=False, max_length=100, help_text="Check or money order number, payroll batch."
    )
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    email_receipt = forms.BooleanField(
        required=False,
        initial=True,
        label="Email the receipt",
        help_text="To the member's email address, with the receipt as a PDF (if they have one).",
    )

    def __init__(self, *args, admin_site, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("received_date", timezone.localdate())
        super().__init__(*args, admin_site=admin_site, **kwargs)
        self.fields = {"member": _autocomplete(Payment, "member", admin_site), **self.fields}


class RefundRecordForm(_RecordForm):
    amount = forms.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0.01"))
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))
    refunded_date = forms.DateField(widget=AdminDateWidget)

    def __init__(self, *args, admin_site, **kwargs):
        initial = kwargs.setdefault("initial", {})
        initial.setdefault("refunded_date", timezone.localdate())
        super().__init__(*args, admin_site=admin_site, **kwargs)
        payment = _autocomplete(Refund, "payment", admin_site)
        member = str(initial.get("member", ""))
        if member.isdigit():
            # From a member's page: their payments, newest first, to pick from.
            payment = forms.ModelChoiceField(
                queryset=Payment.objects.filter(member_id=int(member)).order_by(
                    "-received_date", "-id"
                ),
                label="Payment",
            )
        self.fields = {"payment": payment, **self.fields}


class AdjustmentRecordForm(_RecordForm):
    amount = forms.DecimalField(
        max_digits=12,
        decimal_places=2,
        help_text="Negative credits the member (a waiver); positive charges them.",
    )
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, admin_site, **kwargs):
        super().__init__(*args, admin_site=admin_site, **kwargs)
        self.fields = {"member": _autocomplete(Adjustment, "member", admin_site), **self.fields}
