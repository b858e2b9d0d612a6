"""A CSV cell a spreadsheet would read as a formula is defused; a plain number is not."""

from __future__ import annotations

from decimal import Decimal

import pytest

from appkit.files import cell_for_export


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        (Decimal("-5.00"), "-5.00"),  # money owed back stays a number
        (-3, "-3"),
        ("-12", "-12"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("-", "'-"),
        ("-5.00 ", "'-5.00 "),
        ("=SUM(A1:A2)", "'=SUM(A1:A2)"),
        ("+1 312 555 0100", "'+1 312 555 0100"),
        ("@cmd", "'@cmd"),
        ("Acme", "Acme"),
        (None, ""),
    ],
)
def test_a_cell_is_defused_only_when_a_spreadsheet_would_run_it(value, cell):
    assert cell_for_export(value) == cell
