"""Slowing down password guessing: too many failed logins and further attempts are refused
for a while, on the login page, the admin's and the API's token endpoint alike.

The count comes from the audit trail itself (its `login_failed` events), so every server
process sees the same count and the lockout is on record. Failures are counted under the
name authentication resolves (accounts.usernames.login_name), so " victim", "victim " and
a full-width "victim" (U+FF56...) are the same locked-out user, as they are the same login."""

from __future__ import annotations

import datetime

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest
from django.utils import timezone

from audit.context import client_ip
from audit.models import AuditAction, AuditEvent
from audit.services import audit_event_record

from .usernames import login_name

# One address may try several usernames (an office behind one router): a wider limit.
ADDRESS_FACTOR = 5


def login_locked_out(username: str, ip: str | None) -> bool:
    since = timezone.now() - datetime.timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
    failures = AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED, occurred_at__gte=since)
    limit = settings.LOGIN_LOCKOUT_FAILURES
    if failures.filter(actor_label=login_name(username)[:150]).count() >= limit:
        return True
    return bool(ip) and failures.filter(ip_address=ip).count() >= limit * ADDRESS_FACTOR


def lockout_refusal(request: HttpRequest | None, username: str) -> str:
    """Record the refused attempt, and say why, in words for the person at the keyboard."""
    username = login_name(username)
    audit_event_record(
        action=AuditAction.LOGIN_FAILED,
        actor_label=username or "(no username)",
        detail=f"Refused: too many failed logins for {username!r} or from this address.",
        request=request,
    )
    return (
        "Too many failed login attempts. For your security, logging in is paused for "
        f"{settings.LOGIN_LOCKOUT_MINUTES} minutes; ask the union office if you are locked out."
    )


class _LockoutMixin:
    def clean(self) -> dict:
        username = self.cleaned_data.get("username") or login_name(self.data.get("username"))
        if login_locked_out(username, client_ip(self.request)):
            raise forms.ValidationError(lockout_refusal(self.request, username), code="locked")
        return super().clean()


class LockoutAuthenticationForm(_LockoutMixin, AuthenticationForm):
    pass


class LockoutAdminAuthenticationForm(_LockoutMixin, AdminAuthenticationForm):
    pass
