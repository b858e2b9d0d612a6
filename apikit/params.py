"""Reading query parameters: a wrong value is a 400 that says what is allowed."""

from __future__ import annotations

import datetime
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


# The largest id a database key (a signed 64-bit integer) holds.
MAX_ID = 2**63 - 1


def id_param(params: Mapping[str, str], name: str) -> int | None:
    value = params.get(name)
    if not value:
        return None
    # ASCII digits only: "²" and "٣" pass str.isdigit() but are no id.
    if not (value.isascii() and value.isdigit()) or int(value) > MAX_ID:
        raise exceptions.ValidationError({name: "A whole number (an id)."})
    return int(value)


def date_param(params: Mapping[str, str], name: str) -> datetime.date | None:
    value = params.get(name)
    if not value:
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise exceptions.ValidationError({name: "A date as YYYY-MM-DD."}) from None
