"""History for the audit trail: django-simple-history, with an event for every row.

Every tracked model declares `history = AuditedHistoricalRecords()`. A saved or deleted
object's history row turns into an event through simple-history's
`post_create_historical_record` signal (audit/receivers.py); rows written in bulk
(`bulk_create_with_history` and friends) send no signal, so this manager turns them into
events itself, in one more INSERT. Either way the event is written in the transaction
that writes the history row. `history_of_created` writes both for objects created in bulk,
`history_of_updated` for rows changed by one UPDATE.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from django.db import connection, models
from django.utils import timezone
from simple_history.manager import HistoryManager
from simple_history.models import HistoricalRecords

from appkit.sql import among

from .actors import Actor, actor_checked, person
from .context import acting_as, acting_user
from .in_sql import history_and_events_written, writes_in_sql
from .models import AuditAction
from .services import audit_events_from_history, audit_events_of_created


class AuditedHistoryManager(HistoryManager):
    def bulk_history_create(self, objs, *args, **kwargs):
        rows = super().bulk_history_create(objs, *args, **kwargs)
        audit_events_from_history(rows or [])
        return rows


class AuditedHistoricalRecords(HistoricalRecords):
    def __init__(self, **kwargs):
        kwargs.setdefault("history_manager", AuditedHistoryManager)
        super().__init__(**kwargs)

    def get_history_user(self, instance):
        # A write that names nobody (no request, no `_history_user`), inside a job a person
        # started, is that person's.
        return super().get_history_user(instance) or acting_user()

    def get_meta_options(self, model):
        # An event's "from" values come from the object's previous history row: found by
        # (object id, history id), which a plain id index makes PostgreSQL scan for.
        meta = super().get_meta_options(model)
        meta["indexes"] = (
            *meta.get("indexes", ()),
            models.Index(fields=(model._meta.pk.attname, "history_id")),
        )
        return meta


def history_of_created(
    objs: Sequence[models.Model], *, actor: Actor, reason: str | None = None
) -> None:
    """The history rows ("+") of objects just created in bulk, and their audit events: what
    `bulk_create_with_history` writes, but the history rows are copied by the database from
    the objects' own rows (one INSERT ... SELECT), not built and sent a row at a time.

    `objs` hold their primary keys and the values they were saved with (the events are
    made from them, as simple-history would hand its rows over) — but on PostgreSQL, for
    models declared to the set-based trail, the database makes the events from the rows as
    stored (history_of_inserted): the same values, as the database returns them."""
    actor = actor_checked(actor)
    if not objs:
        return
    model = type(objs[0])
    if writes_in_sql(model):
        history_of_inserted(model, [obj.pk for obj in objs], actor=actor, reason=reason)
        return
    copy, params, now = _history_copy(model, [obj.pk for obj in objs], actor, reason)
    with connection.cursor() as cursor:
        cursor.execute(copy, params)
        history_ids = {object_id: history_id for history_id, object_id in cursor.fetchall()}
    audit_events_of_created(objs, history_ids, actor=actor, occurred_at=now)


def history_of_inserted(
    model: type[models.Model],
    ids: Sequence[object],
    *,
    actor: Actor,
    reason: str | None = None,
) -> None:
    """history_of_created for rows the caller inserted by SQL, given by their ids: on
    PostgreSQL, for models declared to the set-based trail (audit/in_sql.py), the history
    rows and events are written by the database without the rows ever becoming objects."""
    actor = actor_checked(actor)
    if not ids:
        return
    if not writes_in_sql(model):
        objs = list(model.objects.filter(pk__in=ids).order_by("pk"))
        history_of_created(objs, actor=actor, reason=reason)
        return
    copy, params, now = _history_copy(model, ids, actor, reason)
    history_and_events_written(model, copy, params, len(ids), actor=actor, occurred_at=now)


def history_of_updated(
    model: type[models.Model],
    ids: Sequence[object],
    *,
    actor: Actor,
    reason: str | None = None,
) -> None:
    """The history rows ("~") of rows the caller changed in bulk (an UPDATE of many rows,
    given by their ids), and their audit events: what saving each would have written. On
    PostgreSQL, for models declared to the set-based trail, the database writes both."""
    actor = actor_checked(actor)
    ids = sorted(set(ids))  # each changed row once: as many events as rows copied
    if not ids:
        return
    copy, params, now = _history_copy(model, ids, actor, reason, history_type="~")
    if writes_in_sql(model):
        history_and_events_written(
            model,
            copy,
            params,
            len(ids),
            actor=actor,
            occurred_at=now,
            action=AuditAction.UPDATE,
        )
        return
    with connection.cursor() as cursor:
        cursor.execute(copy, params)
        history_ids = [history_id for history_id, _ in cursor.fetchall()]
    history = model.history.model
    rows = history.objects.filter(history_id__in=history_ids).order_by("history_id")
    with acting_as(actor):  # a system actor is no history_user: its name comes from here
        audit_events_from_history(list(rows))


def _history_copy(
    model: type[models.Model],
    ids: Sequence[object],
    actor,
    reason: str | None,
    history_type: str = "+",
) -> tuple[str, dict, datetime.datetime]:
    """The INSERT ... SELECT that copies these rows into their history table, returning
    each history row's id and its object's; its parameters, and the time it writes."""
    history = model.history.model
    columns = ", ".join(connection.ops.quote_name(f.column) for f in history.tracked_fields)
    pk = connection.ops.quote_name(model._meta.pk.column)
    ids_sql, ids_params = among(pk, ids)
    copy = (
        f"INSERT INTO {history._meta.db_table} ({columns}, history_date, history_type, "
        f"history_user_id, history_change_reason) SELECT {columns}, %(now)s, %(type)s, %(user)s, "
        f"%(reason)s FROM {model._meta.db_table} WHERE {ids_sql} RETURNING history_id, {pk}"
    )
    now = timezone.now()
    params = {
        # As the ORM writes it (SQLite keeps text: a time in the local's zone would sort
        # apart from the rest).
        "now": connection.ops.adapt_datetimefield_value(now),
        "type": history_type,
        "user": getattr(person(actor), "pk", None),
        "reason": reason,
    }
    return copy, {**params, **ids_params}, now
