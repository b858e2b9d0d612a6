"""What governance tells the audit trail (`audit.audited_models`, declared in
ComplianceConfig): which member a decision, a hold or an inspection concerns."""

from __future__ import annotations

from audit.registry import AuditedModel, member_in

AUDITED_MODELS = {
    "compliance.arrearspolicy": AuditedModel(),
    "compliance.standingchange": AuditedModel(member_of=member_in()),
    "compliance.standinghold": AuditedModel(member_of=member_in()),
    "compliance.eligibilitylist": AuditedModel(),
    "compliance.inspection": AuditedModel(member_of=member_in("candidate_id")),
    "compliance.affiliate": AuditedModel(),
    "compliance.percapitarate": AuditedModel(),
    "compliance.percapitareport": AuditedModel(),
    "compliance.fiscalyear": AuditedModel(),
}
