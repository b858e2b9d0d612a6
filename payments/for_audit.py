"""What the payments app tells the audit trail (`audit.audited_models`)."""

from __future__ import annotations

from audit.registry import AuditedModel, member_in

AUDITED_MODELS = {
    "payments.checkoutsession": AuditedModel(member_of=member_in()),
    "payments.autopay": AuditedModel(member_of=member_in()),
    "payments.autopaycollection": AuditedModel(member_of=member_in()),
}
