"""Slowing down password guessing: too many failed logins and further attempts are refused
for a while, on the login page, the admin's and the API's token endpoint alike.

Each attempt is counted before its password is checked, in one atomic step where every
server process counts (accounts/counting.py), under the name authentication resolves and
under the client's address; it is given back if the login succeeds. So however many
guesses arrive at once, exactly LOGIN_LOCKOUT_FAILURES of them are checked (reading a count
of past failures, then checking, let 6 of 30 concurrent guesses through for 5). A refused
attempt counts too and starts the window again: the lockout lasts while the guessing goes
on, then LOGIN_LOCKOUT_MINUTES. Every failure and refusal is an audit event, as before.

Names: " victim", "victim " and a full-width "victim" (U+FF56...) are the same locked-out
user (accounts.usernames.login_name), as they are the same login."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest

from audit.context import client_ip
from audit.models import AuditAction
from audit.services import audit_event_record

from .counting import attempt_count_add, attempt_count_give_back, attempt_count_prolong
from .usernames import login_name

# One address may try several usernames (an office behind one router): a wider limit.
ADDRESS_FACTOR = 5


@dataclass(frozen=True)
class LoginAttempt:
    keys: tuple[str, ...]
    locked_out: bool


def _key(kind: str, value: str) -> str:
    # Hashed: any text a client sends makes a short key, safe in every cache.
    return f"login-{kind}:{hashlib.sha256(value.encode()).hexdigest()}"


def login_attempt_count(username: str, ip: str | None) -> LoginAttempt:
    """Count this attempt under the resolved name and the address, before the password is
    checked: locked out when either count is over its limit (the attempt still counts,
    and that count's window starts again)."""
    seconds = settings.LOGIN_LOCKOUT_MINUTES * 60
    limit = settings.LOGIN_LOCKOUT_FAILURES
    limits = {_key("name", login_name(username)[:150]): limit}
    if ip:
        limits[_key("address", ip)] = limit * ADDRESS_FACTOR
    # Always the name first, then the address: every request takes the rows in one order.
    over = [key for key, most in limits.items() if attempt_count_add(key, seconds=seconds) > most]
    for key in over:
        attempt_count_prolong(key, seconds=seconds)
    return LoginAttempt(keys=tuple(limits), locked_out=bool(over))


def login_attempt_release(attempt: LoginAttempt) -> None:
    """The login succeeded: its attempt was no failure, and is given back."""
    for key in attempt.keys:
        attempt_count_give_back(key)


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
        attempt = login_attempt_count(username, client_ip(self.request))
        if attempt.locked_out:
            raise forms.ValidationError(lockout_refusal(self.request, username), code="locked")
        cleaned = super().clean()  # a wrong password raises: the attempt stays counted
        login_attempt_release(attempt)
        return cleaned


class LockoutAuthenticationForm(_LockoutMixin, AuthenticationForm):
    pass


class LockoutAdminAuthenticationForm(_LockoutMixin, AdminAuthenticationForm):
    pass
