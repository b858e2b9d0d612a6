"""Money in the API: exact, as strings."""

from __future__ import annotations

from decimal import Decimal

from rest_framework import serializers

CENT = Decimal("0.01")


class MoneyField(serializers.DecimalField):
    """An amount as a string with at most two decimals ("45.50").

    A JSON number is refused: DRF would turn 45.5 into a Decimal, but the client's own
    float may already have lost a cent, and money here is never a float. Answers are
    strings too, however large: a member's balance is a sum, wider than any one amount."""

    default_error_messages = {
        "not_a_string": 'Send money as a string, like "45.50": a JSON number is not exact.',
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 12)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_a_string")
        return super().to_internal_value(data)

    def to_representation(self, value) -> str:
        return str(Decimal(value).quantize(CENT))
