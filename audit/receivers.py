"""Signals from libraries, turned into audit events: simple-history's and Django auth's."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from simple_history.signals import post_create_historical_record

from .models import AuditAction
from .services import audit_event_record, audit_events_from_history


@receiver(post_create_historical_record, dispatch_uid="audit.history_row")
def history_row_to_event(sender, history_instance, **kwargs) -> None:
    audit_events_from_history([history_instance])


def _user_ref(user) -> dict:
    return {
        "model_label": user._meta.label_lower,
        "object_id": user.pk,
        "object_repr": user.get_username(),
    }


@receiver(user_logged_in, dispatch_uid="audit.login")
def login_to_event(sender, request, user, **kwargs) -> None:
    audit_event_record(action=AuditAction.LOGIN, actor=user, request=request, **_user_ref(user))


@receiver(user_logged_out, dispatch_uid="audit.logout")
def logout_to_event(sender, request, user, **kwargs) -> None:
    if user is None:  # logging out without being logged in
        return
    audit_event_record(action=AuditAction.LOGOUT, actor=user, request=request, **_user_ref(user))


@receiver(user_login_failed, dispatch_uid="audit.login_failed")
def login_failure_to_event(sender, credentials, request=None, **kwargs) -> None:
    # Only the username that was tried: Django has already masked the password, and we
    # would not store it anyway.
    tried = str(credentials.get("username", ""))
    audit_event_record(
        action=AuditAction.LOGIN_FAILED,
        actor_label=tried or "(no username)",
        detail=f"Failed login for username {tried!r}.",
        request=request,
    )
