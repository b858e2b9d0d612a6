"""Who may read which values of the trail.

- Sensitive fields (registered by the apps: date of birth, address...) show as [redacted]
  to everyone without the `audit.view_sensitive` permission (only Admin has it).
- Private fields (a note's text) show as [redacted] to anyone who may not read the version
  they belong to, by the app's own rule (for notes: member_note_versions_readable()). Each
  version is judged by what it was: a note written staff_only and later widened keeps its
  staff_only text private, in every event and history page that shows it. In an event, the
  old values belong to the version before it, the new values to the event's own version.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.db.models import Model

from . import registry

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    from .models import AuditEvent

REDACTED = "[redacted]"
SENSITIVE_PERMISSION = "audit.view_sensitive"


def reader_sees_sensitive(user: AbstractBaseUser | AnonymousUser) -> bool:
    return user.has_perm(SENSITIVE_PERMISSION)


def history_model(model_label: str) -> type[Model]:
    model = apps.get_model(model_label)
    return getattr(model, model._meta.simple_history_manager_attribute).model


class Redactor:
    """What one reader may not see, for a batch of events (two queries per model that has
    a rule of its own, whatever the number of events)."""

    def __init__(self, user: AbstractBaseUser | AnonymousUser, events: Iterable[AuditEvent] = ()):
        self.user = user
        self.sees_sensitive = reader_sees_sensitive(user)
        self._checked: dict[str, set[int]] = defaultdict(set)
        self._readable: dict[str, set[int]] = defaultdict(set)
        self._previous: dict[str, dict[int, int | None]] = defaultdict(dict)
        wanted: dict[str, set[int]] = defaultdict(set)
        for event in events:
            if registry.audited_model(event.model_label).readable_versions and event.history_id:
                wanted[event.model_label].add(event.history_id)
        for label, ids in wanted.items():
            self.load_versions(label, ids)

    def load_versions(self, model_label: str, history_ids: Iterable[int]) -> None:
        """Decide, in two queries, these versions and the ones before them."""
        ids = set(history_ids) - set(self._previous[model_label])
        if not ids:
            return
        self._previous[model_label].update(_previous_versions(model_label, ids))
        versions = ids | {v for v in self._previous[model_label].values() if v is not None}
        rule = registry.audited_model(model_label).readable_versions
        self._readable[model_label] |= rule(self.user, versions)
        self._checked[model_label] |= versions

    def version_readable(self, model_label: str, history_id: int | None) -> bool:
        if registry.audited_model(model_label).readable_versions is None:
            return True
        if history_id is None:
            return False  # a value of no known version: never shown
        if history_id not in self._checked[model_label]:
            self.load_versions(model_label, {history_id})
        return history_id in self._readable[model_label]

    def object_readable(self, model_label: str, object_id: str) -> bool:
        """Whether any version of the object is readable (else it has no history page)."""
        if registry.audited_model(model_label).readable_versions is None:
            return True
        history = history_model(model_label)
        pk_name = history.instance_type._meta.pk.attname
        ids = list(
            history.objects.filter(**{pk_name: object_id}).values_list("history_id", flat=True)
        )
        self.load_versions(model_label, ids)
        return any(self.version_readable(model_label, i) for i in ids)

    def previous_version(self, model_label: str, history_id: int | None) -> int | None:
        if history_id is None or registry.audited_model(model_label).readable_versions is None:
            return None
        self.load_versions(model_label, {history_id})
        return self._previous[model_label].get(history_id)

    def hidden_fields(self, model_label: str, history_id: int | None = None) -> frozenset[str]:
        audited = registry.audited_model(model_label)
        hidden = set() if self.sees_sensitive else set(audited.sensitive)
        if audited.private and not self.version_readable(model_label, history_id):
            hidden |= audited.private
        return frozenset(hidden)

    def changes(self, event: AuditEvent) -> dict[str, list[Any]]:
        label, version = event.model_label, event.history_id
        return redact_changes(
            event.changes,
            old_hidden=self.hidden_fields(label, self.previous_version(label, version)),
            new_hidden=self.hidden_fields(label, version),
        )


def _previous_versions(model_label: str, history_ids: set[int]) -> dict[int, int | None]:
    """history id → the history id of the same object's version before it (None: the first)."""
    history = history_model(model_label)
    pk_name = history.instance_type._meta.pk.attname
    rows = list(history.objects.filter(history_id__in=history_ids).values("history_id", pk_name))
    objects = {row[pk_name] for row in rows}
    all_versions: dict[Any, list[int]] = defaultdict(list)
    if objects:
        newest = max(history_ids)
        for object_id, hid in (
            history.objects.filter(**{f"{pk_name}__in": objects}, history_id__lte=newest)
            .order_by("history_id")
            .values_list(pk_name, "history_id")
        ):
            all_versions[object_id].append(hid)
    previous: dict[int, int | None] = {}
    for row in rows:
        versions = all_versions[row[pk_name]]
        at = versions.index(row["history_id"])
        previous[row["history_id"]] = versions[at - 1] if at > 0 else None
    return previous


def redact_changes(
    changes: dict[str, list[Any]], *, old_hidden: frozenset[str], new_hidden: frozenset[str]
) -> dict[str, list[Any]]:
    def shown(value: Any, hidden: bool) -> Any:
        return REDACTED if hidden and value is not None else value

    return {
        name: [shown(values[0], name in old_hidden), shown(values[1], name in new_hidden)]
        for name, values in changes.items()
    }
