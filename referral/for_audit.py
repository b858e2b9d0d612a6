"""What the hiring hall tells the audit trail (`audit.audited_models`, declared in
ReferralConfig): which member a registration, its events and exemptions concern."""

from __future__ import annotations

from audit.registry import AuditedModel, RowSQL, member_in
from members.models import Member


def _member_of_exemption(row):
    return (row.registration.member_id, None)


AUDITED_MODELS = {
    "referral.region": AuditedModel(),
    "referral.holiday": AuditedModel(),
    "referral.book": AuditedModel(),
    "referral.ruleset": AuditedModel(),
    "referral.registration": AuditedModel(member_of=member_in()),
    # A night's drops make thousands at once: their events are written by the database
    # (audit/in_sql.py), each named as str() names it.
    "referral.registrationevent": AuditedModel(
        member_of=member_in(),
        in_sql=RowSQL(
            name="r.kind || ': registration #' || r.registration_id",
            member_id="r.member_id",
            member_number=f"(SELECT m.member_number FROM {Member._meta.db_table} m "
            "WHERE m.id = r.member_id)",
        ),
    ),
    "referral.exemption": AuditedModel(member_of=_member_of_exemption),
    "referral.employercontract": AuditedModel(),
}
