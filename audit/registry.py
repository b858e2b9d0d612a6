"""What the apps tell the audit trail about their models (from their AppConfig.ready()).

The audit app knows no other app. Each app registers, per model label ("members.member"):
- `sensitive`: fields shown as [redacted] to readers without `audit.view_sensitive`;
- `member_of`: given a history row, the (member id, member number) it concerns; the number
  may be None, and is then looked up, for many rows at once, with `member_numbers`.
- `private` and `readable_versions`: fields shown only to readers who may read the version
  of the object they belong to (a note's text, as visible as the note was then):
  `readable_versions(user, history_ids)` answers which of these history rows the user may
  read, for many at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

MemberRef = tuple[int | None, str | None]


@dataclass(frozen=True)
class AuditedModel:
    sensitive: frozenset[str] = frozenset()
    member_of: Callable[[Any], MemberRef] | None = None
    private: frozenset[str] = frozenset()
    readable_versions: Callable[[Any, set[int]], set[int]] | None = None


@dataclass
class _Registry:
    models: dict[str, AuditedModel] = field(default_factory=dict)
    member_numbers: Callable[[Iterable[int]], dict[int, str]] | None = None


_registry = _Registry()


def register(
    model_label: str,
    *,
    sensitive: Iterable[str] = (),
    member_of: Callable[[Any], MemberRef] | None = None,
    private: Iterable[str] = (),
    readable_versions: Callable[[Any, set[int]], set[int]] | None = None,
) -> None:
    _registry.models[model_label.lower()] = AuditedModel(
        frozenset(sensitive), member_of, frozenset(private), readable_versions
    )


def register_member_numbers(lookup: Callable[[Iterable[int]], dict[int, str]]) -> None:
    _registry.member_numbers = lookup


def audited_model(model_label: str) -> AuditedModel:
    return _registry.models.get(model_label.lower(), AuditedModel())


def member_numbers(member_ids: Iterable[int]) -> dict[int, str]:
    ids = {member_id for member_id in member_ids if member_id is not None}
    if not ids or _registry.member_numbers is None:
        return {}
    return _registry.member_numbers(ids)
