"""The set-based trail: on PostgreSQL, the history rows of objects created by the hundred
thousand (a period's charges, a remittance's payments), or changed by the thousand in one
UPDATE (a night's drops), and their audit events are written by one statement, hashes and
all, instead of being built and hashed in Python a row at a time.

It writes what audit_events_of_created (or, for changes, audit_events_from_history) would:
the same fields, the same canonical JSON
(audit.chain.event_hash), the same chain, so `audit_verify` cannot tell the two apart.
Two PostgreSQL functions (made by audit's migration 0004) do what SQL has no word for:
`audit_json_string` quotes a string as Python's json.dumps(ensure_ascii=True) does, and
`audit_chain_hashes` hashes a run of events, each after the one before. Tests hold both,
and every model's RowSQL, equal to the Python they mirror.

A model takes this path when its app declares `in_sql` (audit.registry.RowSQL) and every
field it tracks is of a kind below; the rest keep the Python path.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from django.db import connection, models, transaction

from . import registry
from .actors import person
from .chain import HASHED_FIELDS, canonical_json, chain_reserve
from .context import actor_label_for, client_ip, current_request, user_agent
from .models import AuditAction, AuditEvent

if TYPE_CHECKING:
    import datetime

    from .actors import Actor

POSTGRES_FUNCTIONS = r"""
CREATE OR REPLACE FUNCTION audit_json_escaped(value text) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    quoted text := to_json(value)::text;
    result text := '';
    ch text;
    code int;
BEGIN
    -- to_json escapes quotes, backslashes and control characters as json.dumps does;
    -- json.dumps(ensure_ascii=True) also writes everything past '~' as \uXXXX (UTF-16).
    FOREACH ch IN ARRAY regexp_split_to_array(quoted, '') LOOP
        code := ascii(ch);
        IF code BETWEEN 32 AND 126 THEN
            result := result || ch;
        ELSIF code < 65536 THEN
            result := result || '\u' || lpad(to_hex(code), 4, '0');
        ELSE
            code := code - 65536;
            result := result || '\u' || to_hex(55296 + (code >> 10))
                || '\u' || to_hex(56320 + (code & 1023));
        END IF;
    END LOOP;
    RETURN result;
END
$$;
-- STABLE as to_json is, so that the planner inlines it (an IMMUTABLE wrapper would not be).
CREATE OR REPLACE FUNCTION audit_json_string(value text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN value ~ '^[ -~]*$' THEN to_json(value)::text
                ELSE audit_json_escaped(value) END
$$;
CREATE OR REPLACE FUNCTION audit_chain_hashes(prev text, canonical text[]) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    hashes text[] := '{}';
    item text;
BEGIN
    FOREACH item IN ARRAY canonical LOOP
        prev := encode(sha256(convert_to(prev || '|' || item, 'UTF8')), 'hex');
        hashes := hashes || prev;
    END LOOP;
    RETURN hashes;
END
$$;
"""
POSTGRES_FUNCTIONS_REVERSE = """
DROP FUNCTION IF EXISTS audit_chain_hashes(text, text[]);
DROP FUNCTION IF EXISTS audit_json_string(text);
DROP FUNCTION IF EXISTS audit_json_escaped(text);
"""

_INTEGERS = {
    "AutoField",
    "BigAutoField",
    "SmallAutoField",
    "IntegerField",
    "BigIntegerField",
    "SmallIntegerField",
    "PositiveIntegerField",
    "PositiveBigIntegerField",
    "PositiveSmallIntegerField",
}
_STRINGS = {"CharField", "TextField", "SlugField"}


def _json_of(field: models.Field, column: str) -> str | None:
    """SQL of the column's value as audit.services.jsonable writes it in JSON (money and
    dates as strings), or None for a kind of field this path does not write."""
    kind = field.get_internal_type()
    if field.is_relation:
        kind = field.target_field.get_internal_type()
    if kind in _INTEGERS:
        return f"{column}::text"
    if kind in ("DecimalField", "UUIDField"):
        return f"'\"' || {column}::text || '\"'"
    if kind == "DateField":
        return f"'\"' || to_char({column}, 'YYYY-MM-DD') || '\"'"
    if kind == "DateTimeField":  # datetime.isoformat() in UTC: microseconds only if any
        utc = f"({column} AT TIME ZONE 'UTC')"
        return (
            f"'\"' || to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN "
            f"to_char({utc}, 'US') = '000000' THEN '' ELSE '.' || to_char({utc}, 'US') END "
            "|| '+00:00\"'"
        )
    if kind == "TimeField":  # time.isoformat(): microseconds only if any
        return (
            f"'\"' || to_char({column}, 'HH24:MI:SS') || CASE WHEN to_char({column}, 'US') "
            f"= '000000' THEN '' ELSE '.' || to_char({column}, 'US') END || '\"'"
        )
    if kind == "BooleanField":
        return f"CASE WHEN {column} IS NULL THEN NULL WHEN {column} THEN 'true' ELSE 'false' END"
    if kind in _STRINGS:
        return f"audit_json_string({column})"
    return None


# A model's fields are fixed once loaded: its SQL is built once (a morning's confirmation asks
# for it a dozen times).
@cache
def _changes_sql(model: type[models.Model]) -> str | None:
    """SQL of a created row's `changes` as canonical JSON: {field: [null, value]} for each
    field with a value, keys in Python's sorted order; None if a field cannot be written."""
    fields = [f for f in model.history.model.tracked_fields if f.editable]
    entries = []
    for field in sorted(fields, key=lambda f: f.name):
        column = f"r.{connection.ops.quote_name(field.column)}"
        value = _json_of(field, column)
        if value is None:
            return None
        empty = f"{column} IS NULL"
        if field.get_internal_type() in _STRINGS:
            empty += f" OR {column} = ''"
        key = canonical_json("changes", field.name)
        entries.append(f"CASE WHEN {empty} THEN NULL ELSE '{key}:[null,' || {value} || ']' END")
    return f"'{{' || concat_ws(',', {', '.join(entries) or 'NULL'}) || '}}'"


@cache
def _update_changes_sql(model: type[models.Model]) -> str | None:
    """SQL of a changed row's `changes` as canonical JSON: {field: [before, after]} for each
    field whose value differs from the object's previous history row (aliased `p`), keys in
    Python's sorted order; as a created row's when there is no previous row."""
    created = _changes_sql(model)
    fields = [f for f in model.history.model.tracked_fields if f.editable]
    entries = []
    for field in sorted(fields, key=lambda f: f.name):
        column = connection.ops.quote_name(field.column)
        before, after = _json_of(field, f"p.{column}"), _json_of(field, f"r.{column}")
        if created is None or before is None or after is None:
            return None
        key = canonical_json("changes", field.name)
        entries.append(
            f"CASE WHEN p.{column} IS DISTINCT FROM r.{column} THEN '{key}:[' || "
            f"coalesce({before}, 'null') || ',' || coalesce({after}, 'null') || ']' END"
        )
    diff = f"'{{' || concat_ws(',', {', '.join(entries) or 'NULL'}) || '}}'"
    return f"CASE WHEN p.history_id IS NULL THEN {created} ELSE {diff} END"


def writes_in_sql(model: type[models.Model]) -> bool:
    return (
        connection.vendor == "postgresql"
        and registry.audited_model(model._meta.label_lower).in_sql is not None
        and model._meta.pk.get_internal_type() in _INTEGERS
        and _update_changes_sql(model) is not None
    )


def history_and_events_written(
    model: type[models.Model],
    history_copy: str,
    params: dict[str, Any],
    count: int,
    *,
    actor: Actor,
    occurred_at: datetime.datetime,
    action: str = AuditAction.CREATE,
) -> None:
    """Run `history_copy` (an INSERT of `count` history rows ... RETURNING history_id and
    the object's id) and write an event for each row it returns, numbered and hashed after
    the chain's head, in the same statement. For `action` UPDATE the rows' changes are
    read against each object's previous history row."""
    row_sql = registry.audited_model(model._meta.label_lower).in_sql
    if action == AuditAction.UPDATE:
        if "is_deleted" in {f.name for f in model._meta.fields}:
            # A soft delete is named by the Python path (audit_events_from_history), not here.
            raise ValueError(f"{model._meta.label}'s changes are written by the Python path.")
        history = model.history.model
        previous = (
            f"LEFT JOIN LATERAL (SELECT * FROM {history._meta.db_table} h "
            f"WHERE h.{connection.ops.quote_name(model._meta.pk.column)} = made.{{pk}} "
            "AND h.history_id < made.history_id ORDER BY h.history_id DESC LIMIT 1) p ON true"
        )
        changes = _update_changes_sql(model)
    else:
        previous, changes = "", _changes_sql(model)
    request = current_request()
    event = {
        "occurred_at": occurred_at,
        "actor_id": getattr(person(actor), "pk", None),
        "actor_label": actor_label_for(actor)[:150],
        "action": str(action),
        "model_label": model._meta.label_lower,
        "detail": "",
        "ip_address": client_ip(request),
        "user_agent": user_agent(request),
    }
    pk = connection.ops.quote_name(model._meta.pk.column)
    canonical = " || ',' || ".join(
        _CANONICAL.get(name) or f"%(json_{name})s" for name in HASHED_FIELDS
    )
    statement = f"""
        WITH made AS ({history_copy}),
        new_event AS (
            SELECT %(seq)s + row_number() OVER (ORDER BY made.history_id) AS seq,
                   made.history_id, r.{pk}::text AS object_id,
                   left({row_sql.name}, 200) AS object_repr,
                   {row_sql.member_id} AS member_id,
                   coalesce({row_sql.member_number}, '') AS member_number,
                   {changes} AS changes
            FROM made JOIN {model._meta.db_table} r ON r.{pk} = made.{pk}
            {previous.format(pk=pk)}
        ),
        canonical AS (SELECT new_event.*, '[' || {canonical} || ']' AS serialized
                      FROM new_event),
        chained AS (
            SELECT audit_chain_hashes(%(prev)s, array_agg(serialized ORDER BY seq)) AS hashes
            FROM canonical
        )
        INSERT INTO {AuditEvent._meta.db_table} (occurred_at, actor_id, actor_label, action,
            model_label, object_id, object_repr, member_id, member_number, changes, detail,
            ip_address, user_agent, history_id, seq, prev_hash, hash)
        SELECT %(occurred_at)s, %(actor_id)s, %(actor_label)s, %(action)s, %(model_label)s,
               object_id, object_repr, member_id, member_number, changes::jsonb, %(detail)s,
               %(ip_address)s, %(user_agent)s, history_id, seq,
               coalesce(hashes[seq - %(seq)s - 1], %(prev)s), hashes[seq - %(seq)s]
        FROM canonical, chained
    """
    jsons = {f"json_{name}": canonical_json(name, value) for name, value in event.items()}
    # The numbers and the events in one transaction: under the head's lock (the database
    # moves the head as the events go in), or in a block reserved for them (chain_reserve).
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        seq, prev = chain_reserve(count)
        # PostgreSQL would JIT-compile this statement (its estimates are large) anew for each
        # batch, at tens of milliseconds a time, to save less: not for this transaction.
        cursor.execute("SET LOCAL jit = off")
        cursor.execute(statement, {**params, **event, **jsons, "seq": seq, "prev": prev})
        if cursor.rowcount != count:  # the numbers reserved must all be used: no gaps
            raise RuntimeError(f"Wrote {cursor.rowcount} audit events of {count} reserved.")


# The parts of the canonical JSON that differ from row to row, as SQL over `new_event`.
_CANONICAL = {
    "seq": "new_event.seq::text",
    "object_id": "audit_json_string(new_event.object_id)",
    "object_repr": "audit_json_string(new_event.object_repr)",
    "member_id": "coalesce(new_event.member_id::text, 'null')",
    "member_number": "audit_json_string(new_event.member_number)",
    "changes": "new_event.changes",
    "history_id": "new_event.history_id::text",
}
