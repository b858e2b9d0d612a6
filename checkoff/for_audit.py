"""What check-off tells the audit trail (`audit.audited_models`, declared in CheckoffConfig):
which member an authorization, a line matched by hand or a suspense resolution concerns."""

from __future__ import annotations

from audit.registry import AuditedModel, member_in

AUDITED_MODELS = {
    "checkoff.employer": AuditedModel(),
    "checkoff.checkoffauthorization": AuditedModel(
        member_of=member_in(), sensitive=frozenset({"ssn_last4"})
    ),
    "checkoff.remittancebatch": AuditedModel(),
    # A line matched to a member by a person before posting (remittance_line_match).
    "checkoff.remittanceline": AuditedModel(member_of=member_in()),
    "checkoff.suspenseresolution": AuditedModel(member_of=member_in()),
}
