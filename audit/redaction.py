"""Who may read which values of the trail.

- Sensitive fields (registered by the apps: date of birth, address...) show as [redacted]
  to everyone without the `audit.view_sensitive` permission (only Admin has it).
- Private fields (a note's text) show as [redacted] to anyone who may not read the object
  itself, by the app's own rule (for notes: member_notes_visible_to()).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from . import registry

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    from .models import AuditEvent

REDACTED = "[redacted]"
SENSITIVE_PERMISSION = "audit.view_sensitive"


def reader_sees_sensitive(user: AbstractBaseUser | AnonymousUser) -> bool:
    return user.has_perm(SENSITIVE_PERMISSION)


class Redactor:
    """What one reader may not see, for a batch of events (one query per model that has a
    rule of its own, whatever the number of events)."""

    def __init__(self, user: AbstractBaseUser | AnonymousUser, events: Iterable[AuditEvent] = ()):
        self.user = user
        self.sees_sensitive = reader_sees_sensitive(user)
        self.checked: dict[str, set[str]] = defaultdict(set)
        self.readable: dict[str, set[str]] = defaultdict(set)
        wanted: dict[str, set[str]] = defaultdict(set)
        for event in events:
            if registry.audited_model(event.model_label).readable_ids and event.object_id:
                wanted[event.model_label].add(event.object_id)
        for label, ids in wanted.items():
            self._check(label, ids)

    def _check(self, label: str, ids: set[str]) -> None:
        self.readable[label] |= registry.audited_model(label).readable_ids(self.user, ids)
        self.checked[label] |= ids

    def may_read(self, model_label: str, object_id: str) -> bool:
        if registry.audited_model(model_label).readable_ids is None:
            return True
        if object_id not in self.checked[model_label]:
            self._check(model_label, {object_id})
        return object_id in self.readable[model_label]

    def hidden_fields(self, model_label: str, object_id: str = "") -> frozenset[str]:
        audited = registry.audited_model(model_label)
        hidden = set() if self.sees_sensitive else set(audited.sensitive)
        if audited.private and not self.may_read(model_label, str(object_id)):
            hidden |= audited.private
        return frozenset(hidden)

    def changes(self, event: AuditEvent) -> dict[str, list[Any]]:
        return redact_changes(event.changes, self.hidden_fields(event.model_label, event.object_id))


def redact_changes(changes: dict[str, list[Any]], hidden: frozenset[str]) -> dict[str, list[Any]]:
    return {
        name: ([REDACTED if v is not None else None for v in values] if name in hidden else values)
        for name, values in changes.items()
    }
