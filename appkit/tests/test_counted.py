"""A count is said with its noun in the singular for exactly one (appkit.text.counted), as
the templates' `pluralize` says it: "1 line", never "1 lines"."""

from __future__ import annotations

import pytest

from appkit.text import counted


@pytest.mark.parametrize(
    ("count", "said"),
    [(0, "0 lines"), (1, "1 line"), (2, "2 lines"), (1200, "1,200 lines")],
)
def test_a_count_takes_the_singular_only_for_one(count, said):
    assert counted(count, "line") == said


def test_a_noun_not_made_plural_by_an_s_is_given_its_plural():
    assert counted(1, "policy", "policies") == "1 policy"
    assert counted(3, "policy", "policies") == "3 policies"
