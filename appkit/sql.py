""" "One of these ids" that stays cheap at thousands of ids.

`IN (%s, %s, ...)` with five thousand placeholders costs more to build, send and parse
than the query costs to run; on PostgreSQL one array parameter (`= ANY(%s)`) does the
same at any length. Elsewhere (SQLite) the list it is.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection
from django.db.models.lookups import In


class Among(In):
    """`filter(Among(F("id"), ids))`: `id__in` for long lists of plain values."""

    lookup_name = "among"

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s)", (*lhs_params, list(self.rhs))


def among(column: str, values: Iterable[object], name: str = "among") -> tuple[str, dict]:
    """For raw SQL: "`column` is one of `values`" and its named parameters."""
    values = list(values)
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%({name})s)", {name: values}
    names = {f"{name}{i}": value for i, value in enumerate(values)}
    return f"{column} IN ({', '.join(f'%({key})s' for key in names)})", names
