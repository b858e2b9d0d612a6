"""Who may read which values of the trail. Sensitive values show as [redacted] to
everyone without the `audit.view_sensitive` permission (only Admin has it)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import registry

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

REDACTED = "[redacted]"
SENSITIVE_PERMISSION = "audit.view_sensitive"


def reader_sees_sensitive(user: AbstractBaseUser | AnonymousUser) -> bool:
    return user.has_perm(SENSITIVE_PERMISSION)


def hidden_fields(user: AbstractBaseUser | AnonymousUser, model_label: str) -> frozenset[str]:
    """The fields of `model_label` whose values this reader must not see."""
    if reader_sees_sensitive(user):
        return frozenset()
    return registry.sensitive_fields(model_label)


def redact_changes(changes: dict[str, list[Any]], hidden: frozenset[str]) -> dict[str, list[Any]]:
    return {
        name: ([REDACTED if v is not None else None for v in values] if name in hidden else values)
        for name, values in changes.items()
    }
