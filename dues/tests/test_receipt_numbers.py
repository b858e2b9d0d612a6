"""Receipt numbers are sequential and gapless: a payment that is not kept gives its number
back, and payments recorded at the same moment by different clerks each get their own
number, one after another, none skipped."""

from __future__ import annotations

import itertools

import pytest
from django.db import transaction
from django.utils import timezone

from dues.models import Payment, PaymentMethod
from dues.services import payment_record
from members.tests.factories import MemberFactory


def _record(member) -> Payment:
    return payment_record(
        member=member,
        amount="45.00",
        method=PaymentMethod.CASH,
        received_date=timezone.localdate(),
        actor="tests",
    )


class _NotKept(Exception):
    pass


@pytest.mark.django_db
def test_a_payment_rolled_back_gives_its_receipt_number_back():
    member = MemberFactory()
    first = _record(member).receipt_number
    with pytest.raises(_NotKept), transaction.atomic():
        taken = _record(member).receipt_number
        assert taken == first + 1
        raise _NotKept("the clerk's request failed after the payment was written")
    assert not Payment.objects.filter(receipt_number=first + 1).exists()
    assert _record(member).receipt_number == first + 1
    assert sorted(Payment.objects.values_list("receipt_number", flat=True)) == [first, first + 1]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_payment_rolled_back_gives_its_number_back_to_the_next_clerk(race):
    """The same on PostgreSQL, with the next payment made on another connection after
    the first one's transaction rolled back."""
    member = MemberFactory()
    first = _record(member).receipt_number
    with pytest.raises(_NotKept), transaction.atomic():
        _record(member)
        raise _NotKept("the clerk's request failed after the payment was written")
    [number], errors = race(lambda: _record(member).receipt_number, times=1)
    assert errors == []
    assert number == first + 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_payments_recorded_at_once_get_consecutive_receipt_numbers(race):
    clerks, each = 4, 5
    members = MemberFactory.create_batch(clerks)
    turn = iter(members)

    def clerk() -> list[int]:
        member = next(turn)  # each clerk records their own member's payments
        return [_record(member).receipt_number for _ in range(each)]

    results, errors = race(clerk, times=clerks)
    assert errors == []
    numbers = sorted(n for numbers in results for n in numbers)
    assert numbers == list(range(numbers[0], numbers[0] + clerks * each))
    assert all(a < b for numbers in results for a, b in itertools.pairwise(numbers))
    stored = sorted(Payment.objects.values_list("receipt_number", flat=True))
    assert stored == numbers
