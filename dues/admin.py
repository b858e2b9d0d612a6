from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme

from appkit.admin import money_column, refusal_on_form
from appkit.templatetags.office import currency
from audit.admin import KeptRecordsAdmin
from members.models import Member, MemberStatus

from .for_jobs import dues_charges_generation_start
from .forms import AdjustmentRecordForm, PaymentRecordForm, RefundRecordForm
from .ledger import money
from .models import (
    Adjustment,
    DuesCharge,
    DuesPeriod,
    DuesRate,
    Payment,
    Refund,
    receipt_number_of,
)
from .selectors import periods_with_totals
from .services import (
    adjustment_record,
    dues_period_create,
    dues_period_due_date_change,
    dues_rate_create,
    payment_record,
    refund_record,
)
from .tasks import receipt_email


class _RecordedByServiceAdmin(KeptRecordsAdmin):
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
                refusal_on_form(form, exc)
            else:
                self.message_user(request, f"Recorded {obj}.", messages.SUCCESS)
                change = f"admin:{self.opts.app_label}_{self.opts.model_name}_change"
                return HttpResponseRedirect(_back(request) or reverse(change, args=[obj.pk]))
        name = str(self.opts.verbose_name)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Record {'an' if name[0] in 'aeiou' else 'a'} {name}",
            "form": form,
            "back": _back(request),
            "media": self.media + form.media,
        }
        return TemplateResponse(request, self.record_template, context)


def _back(request: HttpRequest) -> str | None:
    """Where the user came from to record this (a member's page), if it is this site's."""
    back = request.GET.get("next", "")
    if back and url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return back
    return None


@admin.register(DuesRate)
class DuesRateAdmin(KeptRecordsAdmin):
    list_display = [
        "classification",
        money_column("monthly_amount", "Monthly amount"),
        "working_dues",
        "effective_date",
        "end_date",
    ]
    list_filter = ["classification"]
    list_select_related = ["classification"]
    ordering = ["classification__code", "-effective_date"]

    @admin.display(description="Working dues")
    def working_dues(self, rate: DuesRate) -> str:
        return rate.working_label or "-"

    def save_model(self, request: HttpRequest, obj: DuesRate, form, change: bool) -> None:
        if change:  # a rate's end date is set when the next one comes
            super().save_model(request, obj, form, change)
            return
        obj.pk = dues_rate_create(actor=request.user, **form.cleaned_data).pk


@admin.register(DuesPeriod)
class DuesPeriodAdmin(KeptRecordsAdmin):
    list_display = ["__str__", "due_date", "charge_count", "billed", "collected"]
    list_per_page = 12  # a year a page: each row sums a month of a whole local's money
    actions = ["generate_charges"]
    fields = ["year", "month", "due_date"]

    def get_readonly_fields(self, request: HttpRequest, obj: DuesPeriod | None = None):
        return ["year", "month"] if obj is not None else []

    def get_queryset(self, request: HttpRequest):
        return periods_with_totals(super().get_queryset(request))

    @admin.display(description="Charges", ordering="charges_total")
    def charge_count(self, period: DuesPeriod) -> int:
        return period.charges_total

    @admin.display(description="Billed", ordering="billed_total")
    def billed(self, period: DuesPeriod):
        return currency(money(period.billed_total))

    @admin.display(description="Collected in month (net of refunds)")
    def collected(self, period: DuesPeriod):
        return currency(money(period.collected_total))

    def has_generate_charges_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("dues.generate_charges")

    @admin.action(description="Generate dues charges", permissions=["generate_charges"])
    def generate_charges(self, request: HttpRequest, queryset):
        """Each period's charges are generated by a worker (a job with a progress page):
        a large local takes longer than a request may. Asked first: it bills every active
        member."""
        if request.POST.get("post") != "yes":
            context = {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": "Generate dues charges?",
                "periods": periods_with_totals(queryset.order_by("year", "month")),
                "active_members": Member.objects.filter(status=MemberStatus.ACTIVE).count(),
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(
                request, "admin/dues/duesperiod/generate_confirmation.html", context
            )
        jobs = [
            dues_charges_generation_start(period=period, actor=request.user)
            for period in queryset.order_by("year", "month")
        ]
        if len(jobs) == 1:
            return HttpResponseRedirect(reverse("admin:jobs_job_change", args=[jobs[0].pk]))
        for job in jobs:
            url = reverse("admin:jobs_job_change", args=[job.pk])
            self.message_user(request, format_html('Started: <a href="{}">{}</a>.', url, job))
        return None

    def save_model(self, request: HttpRequest, obj: DuesPeriod, form, change: bool) -> None:
        if change:  # only its due date changes: generated charges point at the period
            dues_period_due_date_change(
                period=obj,
                due_date=form.cleaned_data["due_date"] or obj.last_day,
                actor=request.user,
            )
            return
        data = form.cleaned_data
        obj.pk = dues_period_create(
            year=data["year"], month=data["month"], due_date=data["due_date"], actor=request.user
        ).pk

    def get_form(self, request: HttpRequest, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.base_fields["due_date"].required = False
        form.base_fields["due_date"].help_text = "Blank: the month's last day."
        return form


@admin.register(DuesCharge)
class DuesChargeAdmin(KeptRecordsAdmin):
    list_display = ["period", "member", money_column("amount", "Amount"), "rate", "created_at"]
    list_filter = ["period"]
    extra_lookups = ("member__id__exact",)  # a member's page links to their charges
    ordering = ["-id"]  # newest first, by the primary key (no sort of every charge)
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
        money_column("amount", "Amount"),
        money_column("refunded_amount", "Refunded"),
        "method",
        "status",
        "received_date",
        "reference",
    ]
    list_display_links = ["receipt", "member"]
    list_filter = ["status", "method", "received_date"]
    extra_lookups = ("member__id__exact",)  # a member's page links to their payments
    list_select_related = ["member"]
    search_fields = ["=receipt_number", "=member__member_number", "member__last_name", "reference"]
    search_help_text = "A receipt (R-001295 or 1295), a member number, a last name or a reference."

    def exact_search_value(self, field: str, term: str) -> object | None:
        return receipt_number_of(term) if field == "receipt_number" else term

    inlines = [RefundInline]
    readonly_fields = ["receipt"]
    # The receipt is shown once, as printed; the form's key is plumbing, not a fact.
    exclude = ["receipt_number", "idempotency_key"]

    def record(self, request: HttpRequest, data: dict) -> Payment:
        email = data.pop("email_receipt", False)
        payment = payment_record(actor=request.user, **data)
        if email and payment.member.email:
            receipt_email.enqueue(payment.pk)  # by a worker, once the payment commits
        return payment

    def get_urls(self):
        email = self.admin_site.admin_view(self.email_receipt_view)
        return [
            path("<int:pk>/email-receipt/", email, name="dues_payment_email_receipt"),
            *super().get_urls(),
        ]

    def email_receipt_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Send the receipt (PDF attached) to the member again: POST, from the payment."""
        payment = Payment.objects.select_related("member").filter(pk=pk).first()
        if payment is None or not self.has_view_permission(request, payment):
            raise Http404("No such payment.")
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not (payment.receipt and payment.member.email):
            self.message_user(
                request, "This member has no email address to send it to.", messages.WARNING
            )
        else:
            receipt_email.enqueue(payment.pk)
            self.message_user(
                request, f"Receipt {payment.receipt} is on its way to {payment.member.email}."
            )
        return HttpResponseRedirect(reverse("admin:dues_payment_change", args=[pk]))

    def change_view(self, request: HttpRequest, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "receipt_url": reverse("dues:receipt", args=[object_id]),
            "receipt_pdf_url": reverse("dues:receipt_pdf", args=[object_id]),
            "email_receipt_url": reverse("admin:dues_payment_email_receipt", args=[object_id]),
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
    list_display = [
        "payment",
        money_column("amount", "Amount"),
        "refunded_date",
        "reason",
        "recorded_by",
    ]
    list_select_related = ["payment", "recorded_by"]
    list_filter = ["refunded_date"]
    search_fields = ["=payment__receipt_number", "=payment__member__member_number"]

    def exact_search_value(self, field: str, term: str) -> object | None:
        return receipt_number_of(term) if field.endswith("receipt_number") else term

    def record(self, request: HttpRequest, data: dict) -> Refund:
        return refund_record(actor=request.user, **data)


@admin.register(Adjustment)
class AdjustmentAdmin(_RecordedByServiceAdmin):
    record_form = AdjustmentRecordForm
    list_display = [
        "member",
        money_column("amount", "Amount"),
        "reason",
        "recorded_by",
        "created_at",
    ]
    list_select_related = ["member", "recorded_by"]
    search_fields = ["=member__member_number", "member__last_name"]
    extra_lookups = ("member__id__exact",)  # a member's page links to their adjustments

    def record(self, request: HttpRequest, data: dict) -> Adjustment:
        return adjustment_record(actor=request.user, **data)
