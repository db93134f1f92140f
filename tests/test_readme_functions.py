"""The README documents every formula function of the table with the table's own example, and
every example parses."""

from __future__ import annotations

from pathlib import Path

import pytest

from kpitree.formula import month_of_period, parse_formula
from kpitree.functions import FUNCTION_TABLE, WORDS, Function
from kpitree.timeaxis import TimeAxis

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("row", FUNCTION_TABLE, ids=lambda row: row.name)
def test_readme_has_a_row_and_the_example_of_each_function(row: Function) -> None:
    """The README's function table has a row for the function, with the example that
    `kpitree functions` prints."""
    assert f"\n| `{row.name}(" in README
    assert f"`{row.example}`" in README


@pytest.mark.parametrize("row", FUNCTION_TABLE, ids=lambda row: row.name)
def test_each_example_parses(row: Function) -> None:
    """Every example is a formula of the language (on a monthly axis, nodes with bounds)."""
    month = month_of_period(TimeAxis(12, "month", "2027-01"))
    parse_formula(row.example, month, lambda name: (1.0, 6.0), 12)


@pytest.mark.parametrize("word", sorted(WORDS))
def test_readme_names_each_word(word: str) -> None:
    """The words t, month and pi are explained where the formula language is."""
    assert f"`{word}`" in README
