"""Registrations in the admin, written only through the services: "add" registers (the APN
drawn under the book's lock), and a registration's page has the buttons its reader may use:
re-sign, roll off (after a page saying it cannot be undone), start, end or extend an
exemption, give a check mark (referral/admin/marks.py). Its events and check marks are
listed under it; no one edits them, here or anywhere."""

from __future__ import annotations

import re

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse

from appkit.admin import ReadOnlyAdminMixin, refusal_on_form
from audit.admin import KeptRecordsAdmin

from ..admin_imports import RegistrationImportAdmin
from ..forms import ExemptionExtendForm, ExemptionStartForm, RegistrationRegisterForm, RollOffForm
from ..models import (
    Exemption,
    QueuedRegistration,
    Registration,
    RegistrationEvent,
    RegistrationStatus,
)
from ..selectors import registration_position
from ..services import (
    exemption_end,
    exemption_extend,
    exemption_start,
    registration_register,
    registration_resign,
    registration_roll_off,
)
from .holds import RegistrationHoldAdmin
from .marks import MARK, CheckMarkAdmin, CheckMarkInline

REGISTER = "referral.add_registration"
RESIGN = "referral.resign_registration"
ROLL_OFF = "referral.roll_off_registration"
EXEMPT = "referral.add_exemption"
EXTEND = "referral.extend_exemption"


class TierFilter(admin.SimpleListFilter):
    """Tiers 1 to 4, named, not read from the table (a DISTINCT over every registration)."""

    title = "tier"
    parameter_name = "tier"

    def lookups(self, request, model_admin):
        return [(str(n), f"Book {n}") for n in range(1, 5)]

    def queryset(self, request, queryset):
        value = self.value()
        return queryset.filter(tier=int(value)) if value in {"1", "2", "3", "4"} else queryset


class EventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = RegistrationEvent
    fk_name = "registration"
    fields = ["at", "kind", "reason", "status", "tier", "apn", "note", "recorded_by_name"]
    readonly_fields = fields
    ordering = ["at", "id"]
    extra = 0
    can_delete = False
    verbose_name_plural = "Events (kept as they happened)"


class ExemptionInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Exemption
    fields = ["kind", "starts_on", "ends_on", "ended_at", "approved_by_name", "extension_reason"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Registration)
class RegistrationAdmin(
    RegistrationHoldAdmin, CheckMarkAdmin, RegistrationImportAdmin, KeptRecordsAdmin
):
    list_display = [
        "member",
        "book",
        "tier",
        "apn",
        "status",
        "registered_at",
        "resign_due",
        "check_marks",
    ]
    list_filter = ["book", "status", TierFilter]
    list_select_related = ["member", "book"]
    search_fields = ["=member__member_number", "member__last_name", "member__first_name"]
    search_help_text = "A member number, or a member's name."
    ordering = ["book", "tier", "apn", "sequence"]
    inlines = [ExemptionInline, CheckMarkInline, EventInline]
    change_form_template = "admin/referral/registration/change_form.html"
    readonly_fields = ["position"]
    fields = [
        "member",
        "book",
        "position",
        "tier",
        "tier_reason",
        "apn",
        "sequence",
        "status",
        "registered_at",
        "resign_due",
        "check_marks",
        "short_calls_used",
        "ended_at",
        "roll_off_reason",
        "rule_set",
    ]

    @admin.display(description="Position on the list")
    def position(self, registration: Registration) -> str:
        place = registration_position(registration)
        return str(place) if place else "Not on the list"

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        # Never edited as a form: every change is a service, with its event.
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(REGISTER)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/resign/", view(self.resign_view), name="referral_registration_resign"),
            path(
                "<int:pk>/roll-off/",
                view(self.roll_off_view),
                name="referral_registration_roll_off",
            ),
            path(
                "<int:pk>/exemption/",
                view(self.exemption_start_view),
                name="referral_registration_exempt",
            ),
            path(
                "<int:pk>/exemption/<int:exemption_id>/end/",
                view(self.exemption_end_view),
                name="referral_registration_exemption_end",
            ),
            path(
                "<int:pk>/exemption/<int:exemption_id>/extend/",
                view(self.exemption_extend_view),
                name="referral_registration_exemption_extend",
            ),
            *super().get_urls(),
        ]

    # --- Register ---------------------------------------------------------------------

    def add_view(self, request: HttpRequest, form_url="", extra_context=None) -> HttpResponse:
        """Register a member on a book through registration_register: never a save()."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        chosen = request.GET.get("member", "")
        initial = {"member": int(chosen)} if re.fullmatch(r"[0-9]{1,9}", chosen) else {}
        form = RegistrationRegisterForm(
            request.POST if request.method == "POST" else None,
            initial=initial,
            admin_site=self.admin_site,
        )
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                made = registration_register(
                    member=data["member"],
                    book=data["book"],
                    tier=data["tier"],
                    tier_reason=data["tier_reason"],
                    actor=request.user,
                )
            except ValidationError as exc:
                refusal_on_form(form, exc)
            else:
                return self._registered(request, made)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Register a member on a book",
            "form": form,
            "submit": "Register",
            "back": reverse("admin:referral_registration_changelist"),
            "media": self.media + form.media,
        }
        status = 400 if form.errors else 200
        return TemplateResponse(
            request, "admin/referral/registration/action.html", context, status=status
        )

    def _registered(self, request: HttpRequest, made) -> HttpResponse:
        if isinstance(made, QueuedRegistration):
            self.message_user(
                request,
                f"The morning referral holds the books: {made.member} is queued for "
                f"{made.book.code} and drawn an APN, in turn, when it ends.",
                messages.WARNING,
            )
            return HttpResponseRedirect(reverse("admin:referral_registration_changelist"))
        self.message_user(
            request,
            f"Registered {made.member} on {made.book.code}: APN {made.apn}, Book {made.tier}, "
            f"position {registration_position(made)}; re-sign by {made.resign_due:%b %d, %Y}.",
            messages.SUCCESS,
        )
        return HttpResponseRedirect(self._page_of(made))

    # --- A registration's page and its buttons ----------------------------------------

    def change_view(self, request: HttpRequest, object_id, form_url="", extra_context=None):
        registration = (
            Registration.objects.filter(pk=object_id).first()
            if re.fullmatch(r"[0-9]{1,18}", object_id)
            else None
        )
        extra_context = extra_context or {}
        if registration is not None:
            extra_context.update(self._buttons(request, registration))
        return super().change_view(request, object_id, form_url, extra_context)

    def _buttons(self, request: HttpRequest, registration: Registration) -> dict:
        user = request.user
        status = registration.status
        open_exemption = registration.exemptions.filter(ended_at__isnull=True).first()
        return {
            "can_resign": user.has_perm(RESIGN) and status == RegistrationStatus.REGISTERED,
            "can_roll_off": user.has_perm(ROLL_OFF) and status != RegistrationStatus.ROLLED_OFF,
            "can_exempt": user.has_perm(EXEMPT) and status == RegistrationStatus.REGISTERED,
            "open_exemption": open_exemption,
            "can_end_exemption": open_exemption is not None and user.has_perm(EXEMPT),
            "can_extend_exemption": open_exemption is not None and user.has_perm(EXTEND),
            "can_check_mark": user.has_perm(MARK) and registration.on_list,
            "history_url": reverse("referral:member_history", args=[registration.member_id]),
        }

    def _page_of(self, registration: Registration) -> str:
        return reverse("admin:referral_registration_change", args=[registration.pk])

    def _refused(self, request: HttpRequest, exc: ValidationError) -> None:
        self.message_user(request, " ".join(exc.messages), messages.ERROR)

    def resign_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not request.user.has_perm(RESIGN):
            raise PermissionDenied
        registration = get_object_or_404(Registration, pk=pk)
        if request.method == "POST":
            try:
                registration = registration_resign(registration=registration, actor=request.user)
            except ValidationError as exc:
                self._refused(request, exc)
            else:
                self.message_user(
                    request,
                    f"Re-signed: {registration.member} stays on {registration.book.code}; "
                    f"the next re-sign is due {registration.resign_due:%b %d, %Y}.",
                    messages.SUCCESS,
                )
        return HttpResponseRedirect(self._page_of(registration))

    def roll_off_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Rolling off cannot be undone: the page says so, and what the member loses."""
        if not request.user.has_perm(ROLL_OFF):
            raise PermissionDenied
        registration = get_object_or_404(
            Registration.objects.select_related("member", "book"), pk=pk
        )
        if registration.status == RegistrationStatus.ROLLED_OFF:
            self.message_user(request, "This registration is already off the book.", messages.INFO)
            return HttpResponseRedirect(self._page_of(registration))
        form = RollOffForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                registration = registration_roll_off(
                    registration=registration,
                    reason=form.cleaned_data["reason"],
                    note=form.cleaned_data["note"],
                    actor=request.user,
                )
            except ValidationError as exc:
                refusal_on_form(form, exc)
            else:
                self.message_user(
                    request,
                    f"{registration.member} is off {registration.book.code} "
                    f"({registration.get_roll_off_reason_display()}).",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(self._page_of(registration))
        position = registration_position(registration)
        facts = [
            f"{registration.member} comes off {registration.book}"
            + (f", where they stand at position {position}" if position else "")
            + f" (APN {registration.apn}, Book {registration.tier}).",
            "It cannot be undone: to come back, they register again and draw a new APN, "
            "at the end of the list as it is that day.",
            "Their open exemption, if any, ends with it; the roll-off is kept among the "
            "registration's events with its reason and your name.",
        ]
        return self._action_page(
            request,
            registration,
            form,
            title=f"Roll {registration.member} off {registration.book.code}?",
            submit=f"Roll off {registration.book.code}: it cannot be undone",
            facts=facts,
        )

    def exemption_start_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not request.user.has_perm(EXEMPT):
            raise PermissionDenied
        registration = get_object_or_404(
            Registration.objects.select_related("member", "book"), pk=pk
        )
        form = ExemptionStartForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                exemption = exemption_start(
                    registration=registration,
                    kind=data["kind"],
                    starts_on=data["starts_on"],
                    ends_on=data["ends_on"],
                    note=data["note"],
                    actor=request.user,
                )
            except ValidationError as exc:
                refusal_on_form(form, exc)
            else:
                until = f" until {exemption.ends_on:%b %d, %Y}" if exemption.ends_on else ""
                self.message_user(
                    request,
                    f"{registration.member} is exempt ({exemption.get_kind_display()}){until}: "
                    "they keep their place and are passed over.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(self._page_of(registration))
        return self._action_page(
            request,
            registration,
            form,
            title=f"Exempt {registration.member} on {registration.book.code}",
            submit="Start the exemption",
            facts=[
                "An exempt registrant keeps their place, is passed over with the reason "
                "“exempt”, and does not re-sign meanwhile. Traveling and under-scale "
                "exemptions end by themselves at the rules' cap unless an officer extends them."
            ],
        )

    def exemption_end_view(self, request: HttpRequest, pk: int, exemption_id: int) -> HttpResponse:
        if not request.user.has_perm(EXEMPT):
            raise PermissionDenied
        exemption = get_object_or_404(
            Exemption.objects.select_related("registration"), pk=exemption_id, registration_id=pk
        )
        if request.method == "POST":
            try:
                exemption_end(exemption=exemption, actor=request.user)
            except ValidationError as exc:
                self._refused(request, exc)
            else:
                registration = Registration.objects.get(pk=pk)
                self.message_user(
                    request,
                    f"The exemption has ended: back on the list, re-sign by "
                    f"{registration.resign_due:%b %d, %Y}.",
                    messages.SUCCESS,
                )
        return HttpResponseRedirect(self._page_of(exemption.registration))

    def exemption_extend_view(
        self, request: HttpRequest, pk: int, exemption_id: int
    ) -> HttpResponse:
        if not request.user.has_perm(EXTEND):
            raise PermissionDenied
        exemption = get_object_or_404(
            Exemption.objects.select_related("registration__member", "registration__book"),
            pk=exemption_id,
            registration_id=pk,
        )
        registration = exemption.registration
        form = ExemptionExtendForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                exemption_extend(
                    exemption=exemption,
                    ends_on=form.cleaned_data["ends_on"],
                    reason=form.cleaned_data["reason"],
                    actor=request.user,
                )
            except ValidationError as exc:
                if hasattr(exc, "error_dict") and "extension_reason" in exc.error_dict:
                    exc = ValidationError({"reason": exc.error_dict["extension_reason"]})
                refusal_on_form(form, exc)
            else:
                self.message_user(
                    request,
                    f"The exemption is extended to {form.cleaned_data['ends_on']:%b %d, %Y}.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(self._page_of(registration))
        ends = f"{exemption.ends_on:%b %d, %Y}" if exemption.ends_on else "no set day"
        return self._action_page(
            request,
            registration,
            form,
            title=f"Extend {registration.member}'s exemption",
            submit="Extend the exemption",
            facts=[
                f"{exemption.get_kind_display()}, from {exemption.starts_on:%b %d, %Y}, "
                f"ending {ends}: an officer may extend it past that, and past the rules' cap."
            ],
        )

    def _action_page(
        self, request: HttpRequest, registration: Registration, form, *, title, submit, facts
    ) -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "form": form,
            "submit": submit,
            "facts": facts,
            "registration": registration,
            "back": self._page_of(registration),
            "media": self.media + form.media,
        }
        return TemplateResponse(
            request,
            "admin/referral/registration/action.html",
            context,
            status=400 if form.errors else 200,
        )


@admin.register(RegistrationEvent)
class RegistrationEventAdmin(ReadOnlyAdminMixin, KeptRecordsAdmin):
    """Events are the record: read here, never added, changed or deleted (the database
    refuses it too)."""

    list_display = ["at", "kind", "book", "member", "status", "tier", "apn", "recorded_by_name"]
    list_filter = ["kind", "book"]
    list_select_related = ["book", "member"]
    search_fields = ["=member__member_number", "member__last_name"]
    ordering = ["-at", "-id"]
    actions = None
