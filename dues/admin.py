from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, DecimalField, IntegerField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from audit.admin import DeclaredFiltersChangeList, RedactedHistoryAdmin
from members.admin import MemberAdmin
from members.models import Member

from .forms import AdjustmentRecordForm, PaymentRecordForm, RefundRecordForm
from .ledger import ZERO, money
from .models import RECEIVED_STATUSES, Adjustment, DuesCharge, DuesPeriod, DuesRate, Payment, Refund
from .selectors import dues_standings, member_dues_summary
from .services import adjustment_record, dues_charges_generate, payment_record, refund_record


class _NoDeleteAdmin(RedactedHistoryAdmin):
    """Money records and their settings are never deleted: history points at them."""

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_actions(self, request: HttpRequest):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


class _RecordedByServiceAdmin(_NoDeleteAdmin):
    """Records made by a service (payments, refunds, adjustments): added through a form
    that calls it, then only ever viewed."""

    record_form: type
    record_template = "admin/dues/record.html"

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def record(self, request: HttpRequest, data: dict):
        raise NotImplementedError

    def add_view(self, request: HttpRequest, form_url="", extra_context=None) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = self.record_form(
            request.POST if request.method == "POST" else None,
            initial=self.get_changeform_initial_data(request),
            admin_site=self.admin_site,
        )
        if request.method == "POST" and form.is_valid():
            try:
                obj = self.record(request, form.cleaned_data)
            except ValidationError as exc:
                _form_errors(form, exc)
            else:
                self.message_user(request, f"Recorded {obj}.", messages.SUCCESS)
                change = f"admin:{self.opts.app_label}_{self.opts.model_name}_change"
                return HttpResponseRedirect(reverse(change, args=[obj.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Record a {self.opts.verbose_name}",
            "form": form,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, self.record_template, context)


def _form_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)


_MONEY = DecimalField(max_digits=14, decimal_places=2)


def _per_period(charges, aggregate, output_field):
    total = charges.filter(period=OuterRef("pk")).values("period").annotate(v=aggregate)
    return Coalesce(
        Subquery(total.values("v"), output_field=output_field),
        Value(0),
        output_field=output_field,
    )


def _in_period_month(queryset, date_field: str):
    """The sum of `amount` over rows dated in the period's month."""
    total = (
        queryset.filter(
            **{f"{date_field}__year": OuterRef("year"), f"{date_field}__month": OuterRef("month")}
        )
        .values(f"{date_field}__year")
        .annotate(v=Sum("amount"))
        .values("v")
    )
    return Coalesce(Subquery(total, output_field=_MONEY), Value(ZERO), output_field=_MONEY)


@admin.register(DuesRate)
class DuesRateAdmin(_NoDeleteAdmin):
    list_display = ["classification", "monthly_amount", "effective_date", "end_date"]
    list_filter = ["classification"]
    list_select_related = ["classification"]
    ordering = ["classification__code", "-effective_date"]


@admin.register(DuesPeriod)
class DuesPeriodAdmin(_NoDeleteAdmin):
    list_display = ["__str__", "due_date", "charge_count", "billed", "collected"]
    actions = ["generate_charges"]
    fields = ["year", "month", "due_date"]

    def get_queryset(self, request: HttpRequest):
        # Each column is one subquery per period row of the page, not a query per row.
        return (
            super()
            .get_queryset(request)
            .annotate(
                charges_total=_per_period(DuesCharge.objects.all(), Count("id"), IntegerField()),
                billed_total=_per_period(DuesCharge.objects.all(), Sum("amount"), _MONEY),
                received_total=_in_period_month(
                    Payment.objects.filter(status__in=RECEIVED_STATUSES), "received_date"
                ),
                refunded_total=_in_period_month(Refund.objects.all(), "refunded_date"),
            )
        )

    @admin.display(description="Charges", ordering="charges_total")
    def charge_count(self, period: DuesPeriod) -> int:
        return period.charges_total

    @admin.display(description="Billed", ordering="billed_total")
    def billed(self, period: DuesPeriod):
        return money(period.billed_total)

    @admin.display(description="Collected in month (net of refunds)")
    def collected(self, period: DuesPeriod):
        return money(period.received_total - period.refunded_total)

    def has_generate_charges_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("dues.generate_charges")

    @admin.action(description="Generate dues charges", permissions=["generate_charges"])
    def generate_charges(self, request: HttpRequest, queryset) -> None:
        for period in queryset.order_by("year", "month"):
            result = dues_charges_generate(period=period, actor=request.user)
            level = messages.WARNING if result.skipped_no_rate else messages.SUCCESS
            self.message_user(request, str(result), level)

    def save_model(self, request: HttpRequest, obj: DuesPeriod, form, change: bool) -> None:
        obj.due_date = obj.due_date or obj.last_day
        super().save_model(request, obj, form, change)

    def get_form(self, request: HttpRequest, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.base_fields["due_date"].required = False
        form.base_fields["due_date"].help_text = "Blank: the month's last day."
        return form


@admin.register(DuesCharge)
class DuesChargeAdmin(_NoDeleteAdmin):
    list_display = ["period", "member", "amount", "rate", "created_at"]
    list_filter = ["period"]
    list_select_related = ["period", "member", "rate"]
    search_fields = ["=member__member_number", "member__last_name"]
    autocomplete_fields = ["member"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # charges are generated for a period, never typed in

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class RefundInline(admin.TabularInline):
    model = Refund
    fields = ["refunded_date", "amount", "reason", "recorded_by"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Payment)
class PaymentAdmin(_RecordedByServiceAdmin):
    record_form = PaymentRecordForm
    list_display = [
        "receipt",
        "member",
        "amount",
        "refunded_amount",
        "method",
        "status",
        "received_date",
        "reference",
    ]
    list_display_links = ["receipt", "member"]
    list_filter = ["status", "method", "received_date"]
    list_select_related = ["member"]
    search_fields = ["=receipt_number", "=member__member_number", "member__last_name", "reference"]
    inlines = [RefundInline]
    readonly_fields = ["receipt"]

    def record(self, request: HttpRequest, data: dict) -> Payment:
        return payment_record(actor=request.user, **data)

    def change_view(self, request: HttpRequest, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "refund_url": (
                reverse("admin:dues_refund_add") + f"?payment={object_id}"
                if request.user.has_perm("dues.add_refund")
                else None
            ),
        }
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(Refund)
class RefundAdmin(_RecordedByServiceAdmin):
    record_form = RefundRecordForm
    list_display = ["payment", "amount", "refunded_date", "reason", "recorded_by"]
    list_select_related = ["payment", "recorded_by"]
    list_filter = ["refunded_date"]
    search_fields = ["=payment__receipt_number", "=payment__member__member_number"]

    def record(self, request: HttpRequest, data: dict) -> Refund:
        return refund_record(actor=request.user, **data)


@admin.register(Adjustment)
class AdjustmentAdmin(_RecordedByServiceAdmin):
    record_form = AdjustmentRecordForm
    list_display = ["member", "amount", "reason", "recorded_by", "created_at"]
    list_select_related = ["member", "recorded_by"]
    search_fields = ["=member__member_number", "member__last_name"]

    def record(self, request: HttpRequest, data: dict) -> Adjustment:
        return adjustment_record(actor=request.user, **data)


# --- The member admin, with dues ----------------------------------------------------------


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class ChargeInline(_ReadOnlyInline):
    model = DuesCharge
    fields = ["period", "amount"]
    readonly_fields = fields
    ordering = ["-period__year", "-period__month"]

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).select_related("period")


class PaymentInline(_ReadOnlyInline):
    model = Payment
    fields = ["receipt", "received_date", "amount", "refunded_amount", "method", "status"]
    readonly_fields = fields


class MemberStandingChangeList(DeclaredFiltersChangeList):
    """The member list, with each row's dues standing from one query for the page."""

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        if request.user.has_perm("dues.view_standing"):
            ids = [member.pk for member in self.result_list]
            standings = dues_standings(Member.objects.filter(pk__in=ids))
            for member in self.result_list:
                member.dues_standing = standings[member.pk].standing


class MemberWithDuesAdmin(MemberAdmin):
    """The members app knows no money; the dues app adds it to the member's admin."""

    inlines = [*MemberAdmin.inlines, ChargeInline, PaymentInline]

    def get_changelist(self, request: HttpRequest, **kwargs):
        return MemberStandingChangeList

    def get_list_display(self, request: HttpRequest):
        columns = list(super().get_list_display(request))
        if request.user.has_perm("dues.view_standing"):
            columns.append("standing")
        return columns

    @admin.display(description="Standing")
    def standing(self, member: Member) -> str:
        standing = getattr(member, "dues_standing", None)  # set by MemberStandingChangeList
        return standing.label if standing else ""

    def get_fieldsets(self, request: HttpRequest, obj=None):
        fieldsets = list(super().get_fieldsets(request, obj))
        if obj is not None and request.user.has_perm("dues.view_standing"):
            fields = ["dues_standing_display"]
            if request.user.has_perm("dues.view_payment"):
                fields += ["dues_balance", "dues_paid_through", "dues_months_in_arrears"]
            fieldsets.insert(1, ("Dues", {"fields": fields}))
        return fieldsets

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return [
            *super().get_readonly_fields(request, obj),
            "dues_standing_display",
            "dues_balance",
            "dues_paid_through",
            "dues_months_in_arrears",
        ]

    def _dues(self, member: Member):
        if not hasattr(member, "_dues_summary"):
            member._dues_summary = member_dues_summary(member)
        return member._dues_summary

    @admin.display(description="Standing")
    def dues_standing_display(self, member: Member) -> str:
        return self._dues(member).standing.label

    @admin.display(description="Balance")
    def dues_balance(self, member: Member):
        dues = self._dues(member)
        if dues.balance < 0:
            return f"{-dues.balance} credit"
        return dues.balance

    @admin.display(description="Paid through")
    def dues_paid_through(self, member: Member):
        return self._dues(member).paid_through or "—"

    @admin.display(description="Months in arrears")
    def dues_months_in_arrears(self, member: Member):
        dues = self._dues(member)
        link = reverse("dues:member", args=[member.pk])
        return format_html('{} (<a href="{}">payment history</a>)', dues.months_in_arrears, link)


admin.site.unregister(Member)
admin.site.register(Member, MemberWithDuesAdmin)
