"""What the hiring hall tells the audit trail (`audit.audited_models`, declared in
ReferralConfig): which member a registration, its events, exemptions and check marks, and a
registration queued during the morning referral concern."""

from __future__ import annotations

from audit.registry import AuditedModel, RowSQL, member_in
from members.models import Member

from .models import Book


def _member_of_exemption(row):
    return (row.registration.member_id, None)


def _member_number(column: str) -> str:
    return f"(SELECT m.member_number FROM {Member._meta.db_table} m WHERE m.id = r.{column})"


_MEMBER_NUMBER = _member_number("member_id")
_BOOK_CODE = f"(SELECT b.code FROM {Book._meta.db_table} b WHERE b.id = r.book_id)"

AUDITED_MODELS = {
    "referral.region": AuditedModel(),
    "referral.holiday": AuditedModel(),
    "referral.book": AuditedModel(),
    "referral.ruleset": AuditedModel(),
    # A night's drops change thousands of registrations and make as many events at once:
    # their audit events are written by the database (audit/in_sql.py), each row named as
    # str() names it.
    "referral.registration": AuditedModel(
        member_of=member_in(),
        in_sql=RowSQL(
            name="'Registration #' || r.id || ': APN ' || r.apn || ', tier ' || r.tier",
            member_id="r.member_id",
            member_number=_MEMBER_NUMBER,
        ),
    ),
    "referral.registrationevent": AuditedModel(
        member_of=member_in(),
        in_sql=RowSQL(
            name="r.kind || ': registration #' || r.registration_id",
            member_id="r.member_id",
            member_number=_MEMBER_NUMBER,
        ),
    ),
    "referral.exemption": AuditedModel(member_of=_member_of_exemption),
    "referral.checkmark": AuditedModel(member_of=member_in()),
    "referral.registrationhold": AuditedModel(),
    "referral.queuedregistration": AuditedModel(member_of=member_in()),
    "referral.employercontract": AuditedModel(),
    "referral.requirement": AuditedModel(),
    # A morning's referral dispatches hundreds and fills as many requests at once.
    "referral.laborrequest": AuditedModel(
        member_of=member_in("named_member_id"),
        in_sql=RowSQL(
            name=f"'Request #' || r.id || ': ' || r.positions || ' on ' || {_BOOK_CODE}",
            member_id="r.named_member_id",
            member_number=_member_number("named_member_id"),
        ),
    ),
    "referral.blackout": AuditedModel(member_of=member_in()),
    "referral.qualification": AuditedModel(member_of=member_in()),
    "referral.dispatch": AuditedModel(
        member_of=member_in(),
        in_sql=RowSQL(
            name="'Dispatch #' || r.id || ': member #' || r.member_id || ' to request #' "
            "|| r.labor_request_id",
            member_id="r.member_id",
            member_number=_MEMBER_NUMBER,
        ),
    ),
    "referral.referralrun": AuditedModel(),
    "referral.bid": AuditedModel(member_of=member_in()),
    "referral.biddingsuspension": AuditedModel(member_of=member_in()),
}
