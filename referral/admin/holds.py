"""The morning referral's hold in the admin, until the referral run (issue 27, part 2) holds
and releases the books itself: a dispatcher starts it from the registrations' list, and
releases it after a page showing the queue it applies. The list tells everyone who sees it
that the books are held: by whom, since when, and how many registrations wait.
`RegistrationHoldAdmin` is a mixin the RegistrationAdmin takes first among its bases."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from ..models import QueuedRegistration, RegistrationHold
from ..services import registrations_hold, registrations_hold_release

# What registrations_hold and registrations_hold_release ask of a person.
HOLD = "referral.roll_off_registration"


class HoldForm(forms.Form):
    reason = forms.CharField(
        max_length=200,
        initial="Morning referral",
        help_text="What holds the books: it is shown to whoever registers meanwhile.",
    )


def _waiting() -> list[QueuedRegistration]:
    """The queue the open hold's release applies, in the order it arrived."""
    return list(
        QueuedRegistration.objects.select_related("member", "book")
        .filter(registration__isnull=True, refused="")
        .order_by("id")
    )


class RegistrationHoldAdmin(admin.ModelAdmin):
    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("hold/", view(self.hold_view), name="referral_registration_hold"),
            path(
                "hold/release/",
                view(self.hold_release_view),
                name="referral_registration_hold_release",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None):
        hold = RegistrationHold.objects.filter(is_open=True).first()
        context = {
            **(extra_context or {}),
            "open_hold": hold,
            "queued_count": (
                QueuedRegistration.objects.filter(registration__isnull=True, refused="").count()
                if hold
                else 0
            ),
            "can_hold": request.user.has_perm(HOLD),
        }
        return super().changelist_view(request, context)

    def _back(self) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:referral_registration_changelist"))

    def hold_view(self, request: HttpRequest) -> HttpResponse:
        """Start the morning referral's hold: registrations queue until it is released."""
        if not request.user.has_perm(HOLD):
            raise PermissionDenied
        form = HoldForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                registrations_hold(reason=form.cleaned_data["reason"], actor=request.user)
            except ValidationError as exc:
                self.message_user(request, " ".join(exc.messages), messages.ERROR)
            else:
                self.message_user(
                    request,
                    "The books are held: registrations made from now queue, and are drawn in "
                    "the order they arrive when you release them.",
                    messages.SUCCESS,
                )
            return self._back()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Start the morning referral hold",
            "form": form,
            "submit": "Hold the books",
            "facts": [
                "While the first book's morning referral runs, no one draws an APN: "
                "registrations made meanwhile (here, by the API, by anyone) queue in the "
                "order they arrive.",
                "Release the books when that referral ends: the queue is then drawn in "
                "that order, each with the next APN of the day.",
            ],
            "back": reverse("admin:referral_registration_changelist"),
            "media": self.media + form.media,
        }
        return TemplateResponse(
            request,
            "admin/referral/registration/action.html",
            context,
            status=400 if form.errors else 200,
        )

    def hold_release_view(self, request: HttpRequest) -> HttpResponse:
        """Release the books after a page showing the queue it applies (it cannot be
        undone: each queued registration draws its APN)."""
        if not request.user.has_perm(HOLD):
            raise PermissionDenied
        if request.method == "POST":
            try:
                applied = registrations_hold_release(actor=request.user)
            except ValidationError as exc:
                self.message_user(request, " ".join(exc.messages), messages.ERROR)
            else:
                self._released(request, applied)
            return self._back()
        hold = RegistrationHold.objects.filter(is_open=True).first()
        if hold is None:
            self.message_user(request, "The books are not held: nothing to release.")
            return self._back()
        waiting = _waiting()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Release the books?",
            "hold": hold,
            "waiting": waiting,
            "back": reverse("admin:referral_registration_changelist"),
        }
        return TemplateResponse(request, "admin/referral/registration/hold_release.html", context)

    def _released(self, request: HttpRequest, applied: list[QueuedRegistration]) -> None:
        drawn = [a for a in applied if a.registration_id is not None]
        refused = [a for a in applied if a.registration_id is None]
        self.message_user(
            request,
            f"The books are released: {len(drawn)} queued registration"
            f"{'' if len(drawn) == 1 else 's'} drawn, {len(refused)} refused.",
            messages.SUCCESS,
        )
        for ask in refused:
            self.message_user(
                request,
                f"Not registered: {ask.member} on {ask.book.code}: {ask.refused}",
                messages.WARNING,
            )
