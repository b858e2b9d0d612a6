"""What the apps tell the audit trail about their models, collected from the
`audit.audited_models` and `audit.member_numbers` extension points (audit/extensions.py).

Per model label ("members.member"):
- `sensitive`: fields shown as [redacted] to readers without `audit.view_sensitive`;
- `member_of`: given a history row, the (member id, member number) it concerns; the number
  may be None, and is then looked up, for many rows at once, with `member_numbers`.
- `private` and `readable_versions`: fields shown only to readers who may read the version
  of the object they belong to (a note's text, as visible as the note was then):
  `readable_versions(user, history_ids)` answers which of these history rows the user may
  read, for many at once.
- `in_sql`: how a row is named and whose it is, in SQL (RowSQL), for models created by the
  hundred thousand: their events are then written by the database (audit/in_sql.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from .extensions import AUDITED_MODELS, MEMBER_NUMBERS

MemberRef = tuple[int | None, str | None]


@dataclass(frozen=True)
class RowSQL:
    """SQL expressions over a row of the model's table, aliased `r`: `name` is what str()
    of the row gives, `member_id` and `member_number` what `member_of` and the member
    numbers lookup give. A test holds each declaration equal to the Python it mirrors."""

    name: str
    member_id: str
    member_number: str


@dataclass(frozen=True)
class AuditedModel:
    sensitive: frozenset[str] = field(default_factory=frozenset)
    member_of: Callable[[Any], MemberRef] | None = None
    private: frozenset[str] = field(default_factory=frozenset)
    readable_versions: Callable[[Any, set[int]], set[int]] | None = None
    in_sql: RowSQL | None = None


def member_in(column: str = "member_id") -> Callable[[Any], MemberRef]:
    """`member_of` for a model whose rows name their member in one column (the number is
    looked up, for many rows at once)."""

    def member_of(row: Any) -> MemberRef:
        return (getattr(row, column), None)

    return member_of


@cache
def _audited_models() -> dict[str, AuditedModel]:
    models: dict[str, AuditedModel] = {}
    for declared in AUDITED_MODELS.declarations():
        models.update({label.lower(): audited for label, audited in declared.items()})
    return models


def audited_model(model_label: str) -> AuditedModel:
    return _audited_models().get(model_label.lower(), AuditedModel())


def audited_labels() -> list[str]:
    """The labels of every model the apps declared to the trail."""
    return sorted(_audited_models())


def member_numbers(member_ids: Iterable[int]) -> dict[int, str]:
    ids = {member_id for member_id in member_ids if member_id is not None}
    lookups = MEMBER_NUMBERS.declarations()
    if not ids or not lookups:
        return {}
    return lookups[0](ids)
