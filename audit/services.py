"""Writing the audit trail. Nothing here ever changes an event once written."""

from __future__ import annotations

import datetime
import decimal
import json
import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction
from django.db.models import OuterRef, Subquery
from django.http import HttpRequest
from django.utils import timezone

from appkit.sql import COPY_FROM

from . import registry
from .chain import chain_append, chain_append_values
from .context import (
    acting_user,
    actor_label_for,
    client_ip,
    current_request,
    user_agent,
)
from .models import AuditAction, AuditEvent

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
    from django.db.models import Field
    from simple_history.models import HistoricalChanges

    from .actors import Actor

_HISTORY_ACTIONS = {"+": AuditAction.CREATE, "~": AuditAction.UPDATE, "-": AuditAction.DELETE}


def audit_event_record(
    *,
    action: str,
    actor: AbstractBaseUser | AnonymousUser | None = None,
    actor_label: str | None = None,
    model_label: str = "",
    object_id: object = "",
    object_repr: str = "",
    member_id: int | None = None,
    member_number: str = "",
    changes: dict[str, list[Any]] | None = None,
    detail: str = "",
    request: HttpRequest | None = None,
) -> AuditEvent:
    """Record one event that is not a model change: a login, an export, a view."""
    request = request or current_request()
    user = actor if actor is not None and actor.is_authenticated else None
    if user is None and actor_label is None:
        user = acting_user()
    event = AuditEvent(
        occurred_at=timezone.now(),
        actor=user,
        actor_label=(actor_label or actor_label_for(user))[:150],
        action=action,
        model_label=model_label,
        object_id=str(object_id)[:64],
        object_repr=object_repr[:200],
        member_id=member_id,
        member_number=member_number or "",
        changes=changes or {},
        detail=detail,
        ip_address=client_ip(request),
        user_agent=user_agent(request),
    )
    # The event and its place in the chain, together (no savepoint inside a transaction).
    with transaction.atomic(savepoint=False):
        chain_append([event])
        event.save()
    return event


def audit_events_from_history(records: Sequence[HistoricalChanges]) -> None:
    """One event per history row (all of one model), written together in one INSERT."""
    if not records:
        return
    history_model = type(records[0])
    fields = [f for f in history_model.tracked_fields if f.editable]
    pk_attname = history_model.instance_type._meta.pk.attname
    previous = _previous_records(history_model, pk_attname, records)
    events = _EventMaker(history_model.instance_type, records)
    for record in records:
        changes = _changes(record, previous.get(record.history_id), fields)
        action = _HISTORY_ACTIONS[record.history_type]
        if action == AuditAction.UPDATE and changes.get("is_deleted") == [False, True]:
            action = AuditAction.SOFT_DELETE
        events.add(
            record,
            action=action,
            user=record.history_user if record.history_user_id else None,
            occurred_at=record.history_date,
            object_id=getattr(record, pk_attname),
            object_repr=str(_as_recorded(record)),
            changes=changes,
            history_id=record.history_id,
        )
    _events_written(events.events)


def _as_recorded(record: HistoricalChanges) -> Any:
    """The object as its history row holds it. simple-history's `record.instance` reads the
    fields a model keeps out of its history back from the live row (a morning run's whole
    consulted JSON, a query and 200 KiB parsed per event), and str() needs none of them."""
    model = type(record).instance_type
    return model(**{f.attname: getattr(record, f.attname) for f in record.tracked_fields})


def audit_events_of_created(
    objs: Sequence[Any],
    history_ids: dict[Any, int],
    *,
    actor: Actor,
    occurred_at: datetime.datetime,
) -> None:
    """The events of objects just created in bulk, whose history rows (`history_ids`, by
    primary key) were written from their own rows: the same events as
    audit_events_from_history would make of those rows, made from the objects themselves
    (building each history row and its instance again costs more than the rest)."""
    if not objs:
        return
    model = type(objs[0])
    fields = [f for f in model.history.model.tracked_fields if f.editable]
    events = _EventMaker(model, objs)
    for obj in objs:
        values = {f.name: jsonable(getattr(obj, f.attname)) for f in fields}
        events.add(
            obj,
            action=AuditAction.CREATE,
            user=actor,
            occurred_at=occurred_at,
            object_id=obj.pk,
            object_repr=str(obj),
            changes={
                name: [None, value] for name, value in values.items() if value not in (None, "")
            },
            history_id=history_ids[obj.pk],
        )
    _events_written(events.events)


class _EventMaker:
    """Events (as field values) of one model's rows: what every event of a request or a
    batch shares is worked out once."""

    def __init__(self, model, rows: Sequence[Any]):
        self.model_label = model._meta.label_lower
        audited = registry.audited_model(self.model_label)
        refs = [audited.member_of(row) for row in rows] if audited.member_of else []
        self.refs = iter(refs or [(None, None)] * len(rows))
        self.numbers = registry.member_numbers(mid for mid, number in refs if number is None)
        request = current_request()
        self.ip, self.agent = client_ip(request), user_agent(request)
        self.now = timezone.now()
        self.labels: dict[Any, str] = {}
        self.events: list[dict[str, Any]] = []

    def add(self, row, *, action, user, occurred_at, object_id, object_repr, changes, history_id):
        member_id, member_number = next(self.refs)
        user = user or acting_user()  # a write that named nobody, inside a person's job
        person_id = getattr(user, "pk", None)
        key = user if isinstance(user, str) else person_id
        if key not in self.labels:
            self.labels[key] = actor_label_for(user)[:150]
        self.events.append(
            {
                "occurred_at": occurred_at or self.now,
                "actor_id": person_id,
                "actor_label": self.labels[key],
                "action": action,
                "model_label": self.model_label,
                "object_id": str(object_id)[:64],
                "object_repr": object_repr[:200],
                "member_id": member_id,
                "member_number": member_number or self.numbers.get(member_id, ""),
                "changes": changes,
                "detail": "",
                "ip_address": self.ip,
                "user_agent": self.agent,
                "history_id": history_id,
            }
        )


def _events_written(events: list[dict[str, Any]]) -> None:
    """The events (as field values) and their places in the chain, together."""
    with transaction.atomic(savepoint=False):
        chain_append_values(events)
        if connection.vendor == "postgresql" and len(events) >= COPY_FROM:
            _events_copied(events)
        else:
            AuditEvent.objects.bulk_create(AuditEvent(**values) for values in events)


def _events_copied(events: list[dict[str, Any]]) -> None:
    fields = [f for f in AuditEvent._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    names = [f.attname for f in fields]
    changes, encoder = names.index("changes"), AuditEvent._meta.get_field("changes").encoder
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {AuditEvent._meta.db_table} ({columns}) FROM STDIN") as copy,
    ):
        for values in events:
            row = [values[name] for name in names]
            row[changes] = json.dumps(row[changes], cls=encoder)
            copy.write_row(row)


def _previous_records(
    history_model, pk_attname: str, records: Sequence[HistoricalChanges]
) -> dict[int, HistoricalChanges]:
    """For each update row, the history row before it of the same object (one query)."""
    updates = [r for r in records if r.history_type == "~"]
    if not updates:
        return {}
    if len(updates) == 1:  # one save: the plain query is cheaper to plan
        record = updates[0]
        previous = (
            history_model.objects.filter(
                **{pk_attname: getattr(record, pk_attname)}, history_id__lt=record.history_id
            )
            .order_by("-history_id")
            .first()
        )
        return {record.history_id: previous} if previous else {}
    before = (
        history_model.objects.filter(
            **{pk_attname: OuterRef(pk_attname)}, history_id__lt=OuterRef("history_id")
        )
        .order_by("-history_id")
        .values("history_id")[:1]
    )
    previous_ids = (
        history_model.objects.filter(history_id__in=[r.history_id for r in updates])
        .annotate(previous_id=Subquery(before))
        .values("previous_id")
    )
    rows_by_object: dict[Any, list[HistoricalChanges]] = defaultdict(list)
    for row in history_model.objects.filter(history_id__in=previous_ids).order_by("history_id"):
        rows_by_object[getattr(row, pk_attname)].append(row)
    result = {}
    for record in updates:
        earlier = [
            r
            for r in rows_by_object[getattr(record, pk_attname)]
            if r.history_id < record.history_id
        ]
        if earlier:
            result[record.history_id] = earlier[-1]
    return result


def _changes(
    record: HistoricalChanges, previous: HistoricalChanges | None, fields: list[Field]
) -> dict[str, list[Any]]:
    values = {f.name: jsonable(getattr(record, f.attname)) for f in fields}
    if record.history_type == "-":
        return {name: [value, None] for name, value in values.items() if value not in (None, "")}
    if record.history_type == "+" or previous is None:
        return {name: [None, value] for name, value in values.items() if value not in (None, "")}
    changes = {}
    for f in fields:
        old = jsonable(getattr(previous, f.attname))
        if old != values[f.name]:
            changes[f.name] = [old, values[f.name]]
    return changes


def jsonable(value: Any) -> Any:
    """A value as JSON keeps it exactly: money and dates as strings, never floats."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return str(value)
