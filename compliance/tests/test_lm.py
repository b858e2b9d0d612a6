"""The LM figures (docs/design.md §10, docs/domain.md §3): the form follows total receipts
(LM-4 under $10,000, LM-3 under $250,000, else LM-2) and trusteeship forces the LM-2; dues
receipts by the date received, to the cent."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from compliance.models import FiscalYear
from compliance.selectors import lm_figures, lm_form
from dues.models import PaymentMethod
from dues.services import payment_record, refund_record
from members.tests.factories import MemberFactory

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.mark.parametrize(
    ("receipts", "form"),
    [
        ("9999.99", "LM-4"),
        ("10000.00", "LM-3"),
        ("249999.99", "LM-3"),
        ("250000.00", "LM-2"),
    ],
)
def test_the_form_follows_total_receipts(receipts, form):
    assert lm_form(Decimal(receipts), in_trusteeship=False) == form


def test_receipts_of_249_999_99_and_250_000_00_over_the_records(journeyman):
    member = MemberFactory(classification=journeyman)
    payment_record(
        member=member,
        amount=Decimal("45.00"),
        method=PaymentMethod.CASH,
        received_date=D(2025, 12, 31),
        actor="tests",
    )
    payment = payment_record(
        member=member,
        amount=Decimal("45.01"),
        method=PaymentMethod.CASH,
        received_date=D(2025, 3, 2),
        actor="tests",
    )
    refund_record(
        payment=payment,
        amount=Decimal("10.00"),
        reason="paid twice",
        refunded_date=D(2025, 3, 3),
        actor="tests",
    )
    payment_record(  # received in the next fiscal year: not this one's
        member=member,
        amount=Decimal("45.00"),
        method=PaymentMethod.CASH,
        received_date=D(2026, 1, 1),
        actor="tests",
    )
    FiscalYear.objects.create(year=2025, other_receipts=Decimal("249909.98"))
    figures = lm_figures(2025)
    assert figures.dues_receipts == Decimal("90.01")
    assert dict(figures.dues_by_month)[3] == Decimal("45.01")
    assert dict(figures.dues_by_month)[12] == Decimal("45.00")
    assert figures.refunds == Decimal("10.00")
    assert figures.total_receipts == Decimal("249999.99")
    assert figures.form == "LM-3"

    FiscalYear.objects.filter(year=2025).update(other_receipts=Decimal("249909.99"))
    figures = lm_figures(2025)
    assert figures.total_receipts == Decimal("250000.00")
    assert figures.form == "LM-2"


def test_trusteeship_forces_the_lm_2(journeyman):
    FiscalYear.objects.create(year=2025, other_receipts=Decimal("500.00"), in_trusteeship=True)
    figures = lm_figures(2025)
    assert figures.total_receipts == Decimal("500.00")
    assert figures.form == "LM-2"
    FiscalYear.objects.filter(year=2025).update(in_trusteeship=False)
    assert lm_figures(2025).form == "LM-4"


def test_member_counts_per_category_with_the_voting_flag(journeyman):
    from members.tests.factories import ClassificationFactory

    retired = ClassificationFactory(code="RT", name="Retired", may_vote=False, full_dues=False)
    MemberFactory.create_batch(2, classification=journeyman, join_date=D(2020, 1, 1))
    MemberFactory(classification=retired, join_date=D(2020, 1, 1), status="retired")
    MemberFactory(classification=journeyman, join_date=D(2020, 1, 1), status="suspended")
    MemberFactory(classification=journeyman, join_date=D(2026, 2, 1))  # after the year
    MemberFactory(classification=journeyman, join_date=D(2020, 1, 1), status="dropped")
    figures = lm_figures(2025)
    counts = {
        (c.classification.code, c.classification.may_vote): c.count for c in figures.categories
    }
    assert counts == {("JW", True): 2, ("RT", False): 1}
    assert figures.members == 3
