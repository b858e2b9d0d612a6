"""The tier a registrant takes is chosen by the rule set's criteria for Book 1 (the book's
classification, years in the local), or by staff with a reason (docs/design.md §11)."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError

from members.tests.factories import ClassificationFactory, MemberFactory
from referral.rules import TierCriteria, tier_for, years_since
from referral.services import registration_register

from .factories import BookFactory, rules_in_force

D = datetime.date
TODAY = D(2026, 12, 7)
WIRE, OTHER = 1, 2


def _tier(criteria: TierCriteria, classification: int, joined: D, tiers: int = 3) -> int:
    return tier_for(
        criteria,
        member_classification_id=classification,
        joined_on=joined,
        book_classification_id=WIRE,
        tiers=tiers,
        today=TODAY,
    )


@pytest.mark.parametrize("tiers", [1, 2, 3, 4])
def test_by_default_book_one_is_the_books_classification_and_others_the_last_tier(tiers):
    default = TierCriteria()
    assert _tier(default, WIRE, TODAY, tiers) == 1  # joined today: no years asked
    assert _tier(default, OTHER, D(1990, 1, 1), tiers) == tiers
    assert _tier(default, None, D(1990, 1, 1), tiers) == tiers


def test_years_in_the_local_put_a_newer_member_of_the_classification_on_book_two():
    five = TierCriteria(years=5)
    assert _tier(five, WIRE, D(2021, 12, 7)) == 1  # five years today
    assert _tier(five, WIRE, D(2021, 12, 8)) == 2  # five years tomorrow
    assert _tier(five, OTHER, D(1990, 1, 1)) == 3  # not of the trade: the last tier
    assert _tier(five, WIRE, D(2025, 1, 1), tiers=1) == 1  # a book of one tier
    assert _tier(five, WIRE, D(2025, 1, 1), tiers=2) == 2
    assert _tier(five, WIRE, None) == 2  # no join date: the years are not shown


def test_without_the_classification_criterion_every_member_is_of_the_trade():
    anyone = TierCriteria(own_classification=False, years=2)
    assert _tier(anyone, OTHER, D(2020, 1, 1)) == 1
    assert _tier(anyone, OTHER, D(2026, 1, 1)) == 2


def test_a_year_in_the_local_is_complete_on_its_anniversary():
    assert years_since(D(2020, 2, 29), D(2021, 2, 28)) == 0
    assert years_since(D(2020, 2, 29), D(2021, 3, 1)) == 1
    assert years_since(D(2020, 2, 29), D(2024, 2, 29)) == 4
    assert years_since(D(2016, 12, 8), TODAY) == 9


def test_registering_takes_the_tier_of_the_rules_in_force_and_asks_a_reason_for_another(
    wireman, clock
):
    rules_in_force(book_one_years=5)
    book = BookFactory(code="WIRE-3", classification=wireman, tiers=3)
    clock.set(2026, 12, 7, 9, 0)

    veteran = MemberFactory(classification=wireman, join_date=D(2015, 3, 1))
    newer = MemberFactory(classification=wireman, join_date=D(2024, 6, 1))
    traveler = MemberFactory(classification=ClassificationFactory(code="TR"))
    tiers = [
        registration_register(member=m, book=book, actor="tests").tier
        for m in (veteran, newer, traveler)
    ]
    assert tiers == [1, 2, 3]

    with pytest.raises(ValidationError, match="Say why this member goes on tier 1, not tier 2"):
        registration_register(
            member=MemberFactory(classification=wireman, join_date=D(2024, 6, 1)),
            book=book,
            tier=1,
            actor="tests",
        )
    chosen = registration_register(
        member=MemberFactory(classification=wireman, join_date=D(2024, 6, 1)),
        book=book,
        tier=1,
        tier_reason="Years in a sister local",
        actor="tests",
    )
    assert (chosen.tier, chosen.rule_set.book_one_years) == (1, 5)
