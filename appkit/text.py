"""Text any database keeps. PostgreSQL refuses NUL in text and `\\u0000` in jsonb, and no
database takes a lone surrogate (not UTF-8): an error from a parser, a file's name or a
row's cell may hold either. A job whose failure could not be written stayed "Running" for
ever, and a row error holding one crashed the page that showed it; so what a job's row is
given, and what a row error says, passes through here first.

And a count said with its noun (`counted`): "1 line", never "1 lines"."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from django.template.defaultfilters import pluralize

# NUL, and the surrogates a str may hold but UTF-8 may not (a file decoded with
# errors="surrogateescape"): each shown as the replacement character, so a reader sees
# that something was there.
_REFUSED = re.compile("[\x00\ud800-\udfff]")
# In a message, other control characters hide what they stand for: shown the same way.
_HIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]")
REPLACEMENT = "\N{REPLACEMENT CHARACTER}"


def refused_by_databases(text: str) -> bool:
    return _REFUSED.search(text) is not None


def storable_text(text: str) -> str:
    return _REFUSED.sub(REPLACEMENT, text)


def message_text(text: object, limit: int) -> str:
    """`text` as a message may quote it: nothing a database refuses or a reader cannot see,
    and at most `limit` characters."""
    text = _HIDDEN.sub(REPLACEMENT, str(text))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def counted(count: int, noun: str, plural: str = "") -> str:
    """A count and its noun, singular for exactly one: "1 line", "0 lines", "1,200 lines".
    The rule of the templates' `pluralize` filter, for what Python writes (a job's outcome,
    a flash message, a command's output); `plural` for a noun that is not made plural by an
    "s" ("1 policy", "2 policies")."""
    words = f"{noun},{plural or noun + 's'}"
    return f"{count:,} {pluralize(count, words)}"


def storable_json(value: Any) -> Any:
    """The value as JSON any database stores: strings (keys too) made storable, what JSON
    has no word for (NaN, infinity) as null, and any other object (a Decimal, a date) as
    its text."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        return storable_text(value)
    if isinstance(value, dict):
        return {storable_text(str(key)): storable_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [storable_json(item) for item in value]
    return storable_text(str(value))


@dataclass(frozen=True)
class RowError:
    """What is wrong in an uploaded file, where: `row` counts as a spreadsheet does (the
    header is row 1). Its text is what a database can keep and a page can show, whatever
    the file held."""

    row: int
    column: str
    message: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "column", message_text(self.column, 80))
        object.__setattr__(self, "message", message_text(self.message, 1000))

    def __str__(self) -> str:
        return f"Row {self.row}, {self.column}: {self.message}"
