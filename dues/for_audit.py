"""What the dues app tells the audit trail (`audit.audited_models`, declared in DuesConfig):
which member each money record concerns."""

from __future__ import annotations

from audit.registry import AuditedModel

from .models import Payment


def _member_of_row(row) -> tuple[int, None]:
    return (row.member_id, None)


def _member_of_refund(row) -> tuple[int, None]:
    return (Payment.objects.values_list("member_id", flat=True).get(pk=row.payment_id), None)


AUDITED_MODELS = {
    "dues.duesrate": AuditedModel(),
    "dues.duesperiod": AuditedModel(),
    "dues.duescharge": AuditedModel(member_of=_member_of_row),
    "dues.payment": AuditedModel(member_of=_member_of_row),
    "dues.adjustment": AuditedModel(member_of=_member_of_row),
    "dues.refund": AuditedModel(member_of=_member_of_refund),
}
