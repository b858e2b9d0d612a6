"""A period's charges and a remittance's payments are written to the trail by the database
(audit/in_sql.py): their events say what the Python path would have said of the same rows
(the row named as str() names it, its member, its values), and the chain verifies."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from accounts import roles
from appkit.sql import bulk_insert
from audit.chain import chain_verify
from audit.history import history_of_created
from audit.in_sql import writes_in_sql
from audit.models import AuditEvent
from audit.registry import audited_model, member_numbers
from audit.services import jsonable
from dues.models import Adjustment, DuesCharge, Payment, PaymentMethod, PaymentStatus
from dues.services import member_ledgers_refresh, payments_record_many
from members.tests.factories import MemberFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def expected_event(obj) -> dict:
    """What audit_events_of_created makes of the row as stored."""
    obj = type(obj).objects.get(pk=obj.pk)
    member_id, number = audited_model(obj._meta.label_lower).member_of(obj)
    fields = [f for f in type(obj).history.model.tracked_fields if f.editable]
    values = {f.name: jsonable(getattr(obj, f.attname)) for f in fields}
    return {
        "object_id": str(obj.pk),
        "object_repr": str(obj),
        "member_id": member_id,
        "member_number": number or member_numbers([member_id]).get(member_id, ""),
        "changes": {k: [None, v] for k, v in values.items() if v not in (None, "")},
    }


def written_event(obj) -> dict:
    event = AuditEvent.objects.get(
        model_label=obj._meta.label_lower, object_id=str(obj.pk), action="create"
    )
    return {key: getattr(event, key) for key in expected_event(obj)}


def test_the_money_records_take_the_set_based_path():
    """Else the tests below would compare the Python path with itself."""
    assert all(writes_in_sql(model) for model in (DuesCharge, Payment, Adjustment))


def test_charges_generated_are_in_the_trail_as_python_would_write_them(member):
    charges = list(DuesCharge.objects.filter(member=member))
    assert len(charges) == 6
    for charge in charges:
        assert written_event(charge) == expected_event(charge)
    assert chain_verify().ok


def test_payments_and_adjustments_of_every_shape_are_in_the_trail_as_python_would_write_them(
    member,
):
    officer = UserFactory(role=roles.OFFICER)
    other = MemberFactory(member_number='Ñ-77 "Ω"')
    payments = [
        Payment(
            member=member,
            amount=Decimal("45.00"),
            method=PaymentMethod.PAYROLL_DEDUCTION,
            received_date=datetime.date(2026, 2, 10),
            reference='Check-off "ACME" #1',
            note="Work month 2026-01 — José, café 🙂\nsecond line\ttab",
            idempotency_key="in-sql-1",
        ),
        Payment(
            member=other,
            amount=Decimal("1234.5"),
            method=PaymentMethod.CHECK,
            received_date=datetime.date(2026, 2, 11),
            idempotency_key="in-sql-2",
        ),
    ]
    adjustments = [
        Adjustment(member=member, amount=Decimal("-7.25"), reason="Waived: strike month"),
        Adjustment(member=other, amount=Decimal("12.00"), reason="Fee — reinstatement"),
    ]
    payments_record_many(payments=payments, adjustments=adjustments, actor=officer)
    # Receipt numbers past six digits and none; flagged at a fraction of a second and at a
    # whole one (the SQL writes microseconds only when there are some, as isoformat does).
    odd = [
        Payment(
            member=member,
            amount=Decimal("1.00"),
            method=PaymentMethod.CASH,
            status=PaymentStatus.SUCCEEDED,
            received_date=datetime.date(2026, 3, 1),
            receipt_number=1_234_567,
            flagged_at=datetime.datetime(2026, 3, 2, 8, 30, 15, 250, tzinfo=datetime.UTC),
            flag_reason="Amount differs",
        ),
        Payment(
            member=member,
            amount=Decimal("2.00"),
            method=PaymentMethod.CASH,
            status=PaymentStatus.PENDING,
            received_date=datetime.date(2026, 3, 1),
            flagged_at=datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC),  # a whole second
            flag_reason="Check",
        ),
    ]
    bulk_insert(odd)
    history_of_created(odd, actor="tests", reason="test")
    member_ledgers_refresh([member.pk])
    for obj in [*payments, *adjustments, *odd]:
        assert written_event(obj) == expected_event(obj), obj
    assert str(odd[0]) == "R-1234567: 1.00"
    event = AuditEvent.objects.get(
        model_label="dues.payment", object_id=str(payments[0].pk), action="create"
    )
    assert (event.actor_id, event.actor_label) == (officer.pk, officer.get_username())
    assert chain_verify().ok
