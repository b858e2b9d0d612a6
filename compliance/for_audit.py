"""What governance tells the audit trail (`audit.audited_models`, declared in
ComplianceConfig): which member a decision, a hold or an inspection concerns."""

from __future__ import annotations

from audit.registry import AuditedModel


def _member_of_row(row) -> tuple[int | None, None]:
    return (row.member_id, None)


def _candidate_of_row(row) -> tuple[int | None, None]:
    return (row.candidate_id, None)


AUDITED_MODELS = {
    "compliance.arrearspolicy": AuditedModel(),
    "compliance.standingchange": AuditedModel(member_of=_member_of_row),
    "compliance.standinghold": AuditedModel(member_of=_member_of_row),
    "compliance.eligibilitylist": AuditedModel(),
    "compliance.inspection": AuditedModel(member_of=_candidate_of_row),
    "compliance.affiliate": AuditedModel(),
    "compliance.percapitarate": AuditedModel(),
    "compliance.percapitareport": AuditedModel(),
    "compliance.fiscalyear": AuditedModel(),
}
