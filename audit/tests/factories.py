from __future__ import annotations

from audit.chain import chain_append
from audit.models import AuditEvent


def events_written(*events: AuditEvent) -> list[AuditEvent]:
    """Test events written as the trail writes them: numbered and hashed in the chain."""
    chain_append(events)
    return AuditEvent.objects.bulk_create(events)
