"""What the payments app tells the audit trail (`audit.audited_models`)."""

from __future__ import annotations

from audit.registry import AuditedModel

AUDITED_MODELS = {
    "payments.checkoutsession": AuditedModel(member_of=lambda row: (row.member_id, None)),
}
