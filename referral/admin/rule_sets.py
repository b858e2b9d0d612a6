"""Rule-set versions: written and given notice, editable until activated (a change to the
rules after notice clears the notice date: referral.services.rule_set_save), then read-only for
everyone. Activating goes through a page that says exactly what it does (the version, when it
takes effect, the notice given, what changes from the version before) and then calls
referral.services.rule_set_activate, whose refusal (no notice, notice too late) is shown as
it says it."""

from __future__ import annotations

import re

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse

from audit.admin import KeptRecordsAdmin

from ..forms import RuleSetForm
from ..models import CheckMarkReason, RuleSet
from ..services import rule_set_activate, rule_set_save

ACTIVATE_PERMISSION = "referral.activate_ruleset"


def rule_set_before(rule_set: RuleSet) -> RuleSet | None:
    """The activated version in force just before this one takes effect."""
    return (
        RuleSet.objects.filter(activated_at__isnull=False, effective_on__lte=rule_set.effective_on)
        .exclude(pk=rule_set.pk)
        .order_by("-effective_on", "-version")
        .first()
    )


def rule_set_changes(before: RuleSet | None, after: RuleSet) -> list[tuple[str, str, str]]:
    """(rule, before, after) for each rule the new version sets differently."""
    if before is None:
        return []
    changes = []
    for field in RuleSet.rule_fields():
        old, new = field.value_from_object(before), field.value_from_object(after)
        if old == new:
            continue
        if field.name == "text":
            old, new = "(as written before)", "reworded"
        changes.append((str(field.verbose_name).capitalize(), _shown(old), _shown(new)))
    return changes


def _shown(value: object) -> str:
    if isinstance(value, list):  # the excused check-mark reasons
        return ", ".join(CheckMarkReason(code).label for code in value) or "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if hasattr(value, "strftime") and not hasattr(value, "year"):
        return value.strftime("%H:%M")
    return str(value)


@admin.register(RuleSet)
class RuleSetAdmin(KeptRecordsAdmin):
    form = RuleSetForm
    list_display = ["version", "effective_on", "notice_given_on", "is_active", "activated_at"]
    ordering = ["-effective_on", "-version"]
    readonly_fields = ["activated_at", "activated_by"]
    change_form_template = "admin/referral/ruleset/change_form.html"

    @admin.display(description="Activated", boolean=True)
    def is_active(self, rule_set: RuleSet) -> bool:
        return rule_set.active

    def has_change_permission(self, request: HttpRequest, obj: RuleSet | None = None) -> bool:
        # An activated version is the rules registrants were told of: no one rewrites it.
        if obj is not None and obj.active:
            return False
        return super().has_change_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: RuleSet, form, change: bool) -> None:
        notice = form.initial.get("notice_given_on")
        try:
            cleared = rule_set_save(rule_set=obj, actor=request.user)
        except ValidationError as exc:
            # The form checked the fields: what is left is a version activated since the
            # page was read, no longer anyone's to change.
            raise PermissionDenied(" ".join(exc.messages)) from exc
        if cleared:
            messages.warning(
                request,
                f"Notice of these rules was given {notice:%b %d, %Y}, before this change: the "
                "notice date is cleared. Give registrants notice of the rules as they are now, "
                "and record its date, before activating them.",
            )

    def get_urls(self):
        return [
            path(
                "<int:pk>/activate/",
                self.admin_site.admin_view(self.activate_view),
                name="referral_ruleset_activate",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request: HttpRequest, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        rule_set = (
            RuleSet.objects.filter(pk=object_id).first()
            if re.fullmatch(r"[0-9]{1,18}", object_id)
            else None
        )
        if rule_set and not rule_set.active and request.user.has_perm(ACTIVATE_PERMISSION):
            extra_context["activate_url"] = reverse(
                "admin:referral_ruleset_activate", args=[rule_set.pk]
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def activate_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """What activating this version does, then (confirmed) the service activates it."""
        if not request.user.has_perm(ACTIVATE_PERMISSION):
            raise PermissionDenied
        rule_set = get_object_or_404(RuleSet, pk=pk)
        back = reverse("admin:referral_ruleset_change", args=[rule_set.pk])
        if rule_set.active:
            messages.info(request, f"{rule_set} is already active.")
            return HttpResponseRedirect(back)
        if request.method == "POST":
            if request.POST.get("confirm") != "yes":
                messages.error(request, "Nothing was activated: confirm with the button.")
                return HttpResponseRedirect(request.path)
            try:
                rule_set_activate(rule_set=rule_set, actor=request.user)
            except ValidationError as exc:
                messages.error(request, f"{rule_set} was not activated: {' '.join(exc.messages)}")
                return HttpResponseRedirect(back)
            messages.success(
                request,
                f"{rule_set} is active: it applies from {rule_set.effective_on:%b %d, %Y}.",
            )
            return HttpResponseRedirect(back)
        before = rule_set_before(rule_set)
        notice_days = (
            (rule_set.effective_on - rule_set.notice_given_on).days
            if rule_set.notice_given_on
            else None
        )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Activate rules v{rule_set.version}?",
            "rule_set": rule_set,
            "before": before,
            "changes": rule_set_changes(before, rule_set),
            "notice_days": notice_days,
            "notice_required": settings.REFERRAL_NOTICE_DAYS,
            "back": back,
        }
        return TemplateResponse(request, "admin/referral/ruleset/activate.html", context)
