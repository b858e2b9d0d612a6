"""What the payments app tells the audit trail (`audit.audited_models`)."""

from __future__ import annotations

from audit.registry import AuditedModel


def _member_of_row(row) -> tuple[int | None, None]:
    return (row.member_id, None)


AUDITED_MODELS = {
    "payments.checkoutsession": AuditedModel(member_of=_member_of_row),
    "payments.autopay": AuditedModel(member_of=_member_of_row),
    "payments.autopaycollection": AuditedModel(member_of=_member_of_row),
}
