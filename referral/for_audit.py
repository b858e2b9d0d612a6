"""What the hiring hall tells the audit trail (`audit.audited_models`, declared in
ReferralConfig): which member a registration, its events and exemptions concern."""

from __future__ import annotations

from audit.registry import AuditedModel, member_in


def _member_of_exemption(row):
    return (row.registration.member_id, None)


AUDITED_MODELS = {
    "referral.region": AuditedModel(),
    "referral.holiday": AuditedModel(),
    "referral.book": AuditedModel(),
    "referral.ruleset": AuditedModel(),
    "referral.registration": AuditedModel(member_of=member_in()),
    "referral.registrationevent": AuditedModel(member_of=member_in()),
    "referral.exemption": AuditedModel(member_of=_member_of_exemption),
    "referral.employercontract": AuditedModel(),
}
