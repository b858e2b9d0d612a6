"""Reading query parameters: a wrong value is a 400 that says what is allowed."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from rest_framework import exceptions


def choice_param(params: Mapping[str, str], name: str, choices: Iterable[str]) -> str | None:
    value = params.get(name)
    if not value:
        return None
    allowed = list(choices)
    if value not in allowed:
        raise exceptions.ValidationError({name: f"One of: {', '.join(allowed)}."})
    return value


def id_param(params: Mapping[str, str], name: str) -> int | None:
    value = params.get(name)
    if not value:
        return None
    if not value.isdigit():
        raise exceptions.ValidationError({name: "A whole number (an id)."})
    return int(value)
