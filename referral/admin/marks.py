"""Check marks on a registration's admin page: its marks listed (read-only, as they were
given), and "Give a check mark" for those who may (referral.add_checkmark: Dispatcher,
Officer, Admin), through a page that says what the mark will do before the service gives it.
A mixin RegistrationAdmin takes among its bases, as it takes the import's."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils import timezone

from appkit.admin import ReadOnlyAdminMixin

from ..forms import CheckMarkForm
from ..models import CheckMark, CheckMarkReason, Registration
from ..selectors import rule_set_in_force
from ..services import registration_check_mark
from ..services.marks import MARK


class CheckMarkInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = CheckMark
    fk_name = "registration"
    fields = ["day", "reason", "counted", "rule_set", "note", "recorded_by_name", "created_at"]
    readonly_fields = fields
    ordering = ["day", "id"]
    extra = 0
    can_delete = False
    verbose_name_plural = "Check marks (one a day; kept as they were given)"

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).select_related("rule_set")


class CheckMarkAdmin:
    """The "Give a check mark" page of a registration."""

    def get_urls(self):
        return [
            path(
                "<int:pk>/check-mark/",
                self.admin_site.admin_view(self.check_mark_view),
                name="referral_registration_check_mark",
            ),
            *super().get_urls(),
        ]

    def check_mark_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not request.user.has_perm(MARK):
            raise PermissionDenied
        registration = get_object_or_404(
            Registration.objects.select_related("member", "book"), pk=pk
        )
        form = CheckMarkForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            given = registration.marks.filter(day=data["day"]).first()
            if given is not None:
                # The service would hand back that mark: say so rather than seem to give one.
                form.add_error(
                    "day",
                    f"{registration.member} already has the check mark of {given.day:%b %d, %Y}"
                    f" ({given.get_reason_display()}): one a day.",
                )
            else:
                try:
                    mark = registration_check_mark(
                        registration=registration,
                        day=data["day"],
                        reason=data["reason"],
                        note=data["note"],
                        actor=request.user,
                    )
                except ValidationError as exc:
                    form.add_error(None, exc)  # its fields, day or reason, are the form's
                else:
                    self._marked(request, mark)
                    return HttpResponseRedirect(self._page_of(registration))
        return self._action_page(
            request,
            registration,
            form,
            title=f"Give {registration.member} a check mark on {registration.book.code}",
            submit="Give the check mark",
            facts=_what_a_mark_does(registration),
        )

    def _marked(self, request: HttpRequest, mark: CheckMark) -> None:
        registration = Registration.objects.select_related("member", "book").get(
            pk=mark.registration_id
        )
        who, book = registration.member, registration.book.code
        if not mark.counted:
            text = (
                f"Check mark recorded for {mark.day:%b %d, %Y} ({mark.get_reason_display()}), "
                f"not counted: rules v{mark.rule_set.version} excuse it. {who} has "
                f"{registration.check_marks} on {book}."
            )
        elif registration.on_list:
            text = (
                f"Check mark given for {mark.day:%b %d, %Y} ({mark.get_reason_display()}): "
                f"{who} has {registration.check_marks} on {book}."
            )
        else:
            text = (
                f"Check mark given for {mark.day:%b %d, %Y} ({mark.get_reason_display()}): "
                f"it is {who}'s check mark {registration.check_marks}, more than rules "
                f"v{mark.rule_set.version} tolerate, so they are off {book} (their other "
                "books are untouched)."
            )
        self.message_user(request, text, messages.SUCCESS)


def _what_a_mark_does(registration: Registration) -> list[str]:
    rules = rule_set_in_force(timezone.localdate())
    if rules is None:
        return ["No referral rules are in force: a check mark cannot be given."]
    excused = [CheckMarkReason(code).label.lower() for code in rules.check_marks_excused]
    book = registration.book.code
    return [
        f"{registration.member} has {registration.check_marks} counted check marks on "
        f"{book}. Rules v{rules.version} tolerate {rules.check_marks_tolerated}: counted mark "
        f"{rules.check_marks_tolerated + 1} rolls them off {book}, and only {book} (their other "
        "books are untouched).",
        "One mark a day: a day already marked keeps the mark it has.",
        (
            f"These rules excuse {', '.join(excused)}: such a mark is recorded, not counted."
            if excused
            else "These rules excuse no reason: every mark counts."
        ),
    ]
