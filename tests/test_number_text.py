"""Typed numbers: full-width forms read as meant, superscripts and circled digits refused, the
same rule in CSV cells, period labels and ``--set`` values."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import TREES

from kpitree.actuals import parse_cell
from kpitree.numbers import CharacterError, plain_text

SHOP = """
name: shop
kgi: revenue
time: {periods: 4, unit: month, start: 2027-01}
nodes:
  visits: {value: 1000, bounds: [0, null]}
  cvr: {value: 0.02, bounds: [0, 1]}
  revenue: {formula: visits * cvr}
"""


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("１２３", 123.0),
        ("１，２００", 1200.0),
        ("１２％", 0.12),
        ("－５", -5.0),
        ("￥１，２００", 1200.0),
        ("\u3000１２００\u3000", 1200.0),
        ("\u00a01200\u00a0", 1200.0),
        ("▲１，２００", -1200.0),
    ],
)
def test_full_width_forms_and_spaces_read_as_meant(text: str, number: float) -> None:
    """Full-width digits, signs, yen and ideographic or no-break spaces read as their ASCII twins."""
    assert parse_cell(text) == number


@pytest.mark.parametrize(
    ("text", "character"),
    [("10⁵", "⁵"), ("2²", "²"), ("①", "①"), ("1₂", "₂"), ("½", "½"), ("𝟓", "𝟓"), ("1.5ｅ3", None)],
)
def test_look_alike_digits_are_refused(text: str, character: str | None) -> None:
    """A superscript, subscript, circled, fraction or styled digit is refused, never read as a
    plain digit (10⁵ is not 105); full-width letters pass the character rule as ASCII."""
    if character is None:  # full-width e: a legal exponent once made ASCII
        assert parse_cell(text) == 1500.0
        return
    with pytest.raises(CharacterError, match=f"'{text}' has '{character}'"):
        parse_cell(text)


def test_plain_ascii_is_unchanged() -> None:
    """ASCII text passes through untouched (the rule only looks at other characters)."""
    assert plain_text(" -1,200.5e3% ") == " -1,200.5e3% "


def test_csv_cell_with_superscript_is_a_file_line_error(cli, write_tree, tmp_path: Path) -> None:
    """A CSV cell `10⁵` stops the command with FILE:LINE: column and the character, exit 2."""
    path = tmp_path / "actuals.csv"
    path.write_text("period,visits\n2027-01,1000\n2027-02,10⁵\n", encoding="utf-8")
    status, out, err = cli("compare", write_tree(SHOP), "--actuals", path)
    assert (status, out) == (2, "")
    assert err.startswith(f"{path}:3: column 'visits': '10⁵' has '⁵' (SUPERSCRIPT FIVE)"), err
    assert "Traceback" not in err


def test_csv_period_with_circled_digit_is_refused(cli, write_tree, tmp_path: Path) -> None:
    """A period `2027-0③` is refused rather than read as 2027-03."""
    path = tmp_path / "actuals.csv"
    path.write_text("period,visits\n2027-0③,1000\n", encoding="utf-8")
    status, _, err = cli("compare", write_tree(SHOP), "--actuals", path)
    assert status == 2
    assert err.startswith(f"{path}:2: column 'period': '2027-0③' has '③'"), err


def test_csv_full_width_cells_still_read(write_tree, tmp_path: Path) -> None:
    """Full-width digits in a cell and a period keep being read (as Excel on Japanese Windows
    may save them)."""
    from kpitree import load, read_actuals

    path = tmp_path / "actuals.csv"
    path.write_text("period,visits\n２０２７年２月,１，２００\n", encoding="utf-8")
    actuals = read_actuals(path, load(write_tree(SHOP)))
    assert actuals.values["visits"] == {1: 1200.0}


@pytest.mark.parametrize("value", ["10⁵", "2²", "①"])
def test_set_refuses_look_alike_digits(cli, value: str) -> None:
    """`--set visits=10⁵` is a usage error (exit 2) naming the option and the character."""
    status, out, err = cli("eval", TREES / "saas_arr.yaml", "--set", f"visits={value}")
    assert (status, out) == (2, "")
    assert f"--set visits: '{value}' has '{value[-1]}'" in err
    assert "Traceback" not in err


def test_set_reads_full_width_digits(cli) -> None:
    """`--set visits=２００００` keeps being read as 20000 (same result as ASCII digits)."""
    _, wide, _ = cli(
        "eval", TREES / "saas_arr.yaml", "--set", "visits=２００００", "--format", "csv"
    )
    _, ascii_, _ = cli("eval", TREES / "saas_arr.yaml", "--set", "visits=20000", "--format", "csv")
    assert wide == ascii_
