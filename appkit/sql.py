""" "One of these ids" that stays cheap at thousands of ids.

`IN (%s, %s, ...)` with five thousand placeholders costs more to build, send and parse
than the query costs to run; on PostgreSQL one array parameter (`= ANY(%s)`) does the
same at any length. Elsewhere (SQLite) the list it is.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import connection
from django.db.models import Model
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


# From this many rows up, PostgreSQL takes new rows by COPY: building the ORM's INSERT of
# thousands of rows costs more than running it.
COPY_FROM = 100


def bulk_insert(objs: Sequence[Model]) -> None:
    """Insert these new objects of one model, as `bulk_create` does (each gets its id): on
    PostgreSQL, many at once by COPY, their ids drawn from the table's sequence first."""
    if not objs:
        return
    model = type(objs[0])
    if connection.vendor != "postgresql" or len(objs) < COPY_FROM:
        model.objects.bulk_create(objs)
        return
    meta = model._meta
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, len(objs)],
        )
        for obj, (pk,) in zip(objs, cursor.fetchall(), strict=True):
            obj.pk = pk
        fields = meta.concrete_fields
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        with cursor.cursor.copy(f"COPY {meta.db_table} ({columns}) FROM STDIN") as copy:
            for obj in objs:
                copy.write_row(
                    [f.get_db_prep_save(f.pre_save(obj, add=True), connection) for f in fields]
                )
    for obj in objs:
        obj._state.adding, obj._state.db = False, connection.alias


def bulk_insert_rows(model: type[Model], fields: Sequence[str], rows: Sequence[tuple]) -> None:
    """Insert plain rows (values ready for the database: ids, strings, numbers) into these
    fields of a model, ids left to the table: on PostgreSQL by COPY, without building a
    model object per row (thousands of them cost more than the COPY); elsewhere
    `bulk_create`."""
    if not rows:
        return
    meta = model._meta
    if connection.vendor != "postgresql":
        names = [meta.get_field(f).attname for f in fields]
        model.objects.bulk_create(model(**dict(zip(names, row, strict=True))) for row in rows)
        return
    columns = ", ".join(connection.ops.quote_name(meta.get_field(f).column) for f in fields)
    copying = f"COPY {meta.db_table} ({columns}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(copying) as copy:
        for row in rows:
            copy.write_row(row)


def bulk_set(objs: Sequence[Model], fields: Sequence[str]) -> None:
    """Save these fields of many saved objects of one model, as `bulk_update` does: on
    PostgreSQL in one UPDATE from arrays of their values (bulk_update's CASE per row costs
    more to build than to run: 85 ms for a morning's hundred requests). The caller writes
    the history of what the trail keeps."""
    if not objs:
        return
    model = type(objs[0])
    if connection.vendor != "postgresql":
        model.objects.bulk_update(objs, fields)
        return
    meta = model._meta
    columns = [meta.pk, *(meta.get_field(name) for name in fields)]
    names = [connection.ops.quote_name(f.column) for f in columns]
    arrays = ", ".join(f"%s::{f.db_type(connection)}[]" for f in columns)
    sets = ", ".join(f"{name} = v.{name}" for name in names[1:])
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {meta.db_table} t SET {sets} FROM unnest({arrays}) AS v({', '.join(names)}) "
            f"WHERE t.{names[0]} = v.{names[0]}",
            [[getattr(obj, f.attname) for obj in objs] for f in columns],
        )
