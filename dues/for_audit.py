"""What the dues app tells the audit trail (`audit.audited_models`, declared in DuesConfig):
which member each money record concerns."""

from __future__ import annotations

from audit.registry import AuditedModel, RowSQL, member_in
from members.models import Member

from .models import Payment


def _member_of_refund(row) -> tuple[int, None]:
    return (Payment.objects.values_list("member_id", flat=True).get(pk=row.payment_id), None)


# A period's charges and a remittance's payments are created by the hundred thousand: their
# events are written by the database (audit/in_sql.py), the rows named as str() names them.
_MEMBER_NUMBER = f"(SELECT m.member_number FROM {Member._meta.db_table} m WHERE m.id = r.member_id)"


def _in_sql(name: str) -> RowSQL:
    return RowSQL(name=name, member_id="r.member_id", member_number=_MEMBER_NUMBER)


AUDITED_MODELS = {
    "dues.duesrate": AuditedModel(),
    "dues.duesperiod": AuditedModel(),
    "dues.duescharge": AuditedModel(
        member_of=member_in(),
        in_sql=_in_sql("'Dues charge #' || r.id || ' (' || r.amount || ')'"),
    ),
    "dues.payment": AuditedModel(
        member_of=member_in(),
        in_sql=_in_sql(
            "CASE WHEN coalesce(r.receipt_number, 0) = 0 THEN 'Payment #' || r.id "
            "WHEN r.receipt_number < 1000000 THEN 'R-' || lpad(r.receipt_number::text, 6, '0') "
            "ELSE 'R-' || r.receipt_number END || ': ' || r.amount"
        ),
    ),
    "dues.adjustment": AuditedModel(
        member_of=member_in(), in_sql=_in_sql("'Adjustment #' || r.id || ': ' || r.amount")
    ),
    "dues.refund": AuditedModel(member_of=_member_of_refund),
}
