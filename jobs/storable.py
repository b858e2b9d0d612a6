"""Text any database stores. A job writes what its work hands it (an error from a parser, a
file's name, a row's text): PostgreSQL refuses NUL in text and `\\u0000` in jsonb, and no
database takes a lone surrogate (not UTF-8). A job whose failure could not be written stayed
"Running" for ever; so every value a job's row is given passes through here first."""

from __future__ import annotations

import math
import re
from typing import Any

# NUL, and the surrogates a str may hold but UTF-8 may not (a file decoded with
# errors="surrogateescape"): each shown as the replacement character, so a reader sees
# that something was there.
_REFUSED = re.compile("[\x00\ud800-\udfff]")
REPLACEMENT = "\N{REPLACEMENT CHARACTER}"


def storable_text(text: str) -> str:
    return _REFUSED.sub(REPLACEMENT, text)


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
