"""History for the audit trail: django-simple-history, with an event for every row.

Every tracked model declares `history = AuditedHistoricalRecords()`. A saved or deleted
object's history row turns into an event through simple-history's
`post_create_historical_record` signal (audit/receivers.py); rows written in bulk
(`bulk_create_with_history` and friends) send no signal, so this manager turns them into
events itself, in one more INSERT. Either way the event is written in the transaction
that writes the history row.
"""

from __future__ import annotations

from django.db import models
from simple_history.manager import HistoryManager
from simple_history.models import HistoricalRecords

from .services import audit_events_from_history


class AuditedHistoryManager(HistoryManager):
    def bulk_history_create(self, objs, *args, **kwargs):
        rows = super().bulk_history_create(objs, *args, **kwargs)
        audit_events_from_history(rows or [])
        return rows


class AuditedHistoricalRecords(HistoricalRecords):
    def __init__(self, **kwargs):
        kwargs.setdefault("history_manager", AuditedHistoryManager)
        super().__init__(**kwargs)

    def get_meta_options(self, model):
        # An event's "from" values come from the object's previous history row: found by
        # (object id, history id), which a plain id index makes PostgreSQL scan for.
        meta = super().get_meta_options(model)
        meta["indexes"] = (
            *meta.get("indexes", ()),
            models.Index(fields=(model._meta.pk.attname, "history_id")),
        )
        return meta
