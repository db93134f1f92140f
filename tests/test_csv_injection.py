"""CSV output never hands a spreadsheet a formula: text cells starting with = + - @ (tab, CR)
are written as text, numbers (negative ones too) stay numbers."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest

from kpitree.present.export import inert_text, to_csv

HOSTILE = """
name: inj
kgi: revenue
nodes:
  visits:
    value: 1000
    bounds: [0, null]
    benchmark: [900, 1500]
    owner: '=HYPERLINK("http://x.example","click")'
    label: "@SUM(A1)"
  cvr: {value: 0.02, bounds: [0, 1], benchmark: [0.01, 0.05], owner: "-2+3", label: "+cvr"}
  price: {value: -50, owner: "\\tsales"}
  revenue: {formula: visits * cvr * price, target: -1500}
"""


def _cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def _formula_like(cell: str) -> bool:
    """What a spreadsheet would run: a cell starting with = + @ tab CR, or - then no number."""
    if cell[:1] in ("=", "+", "@", "\t", "\r"):
        return True
    if cell[:1] == "-":
        try:
            float(cell)
        except ValueError:
            return True
    return False


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("+1+2", "'+1+2"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tsales", "'\tsales"),
        ("\r=1", "'\r=1"),
        ("＝1+1", "'＝1+1"),
        ("-", "-"),
        ("-5", "-5"),
        ("+1.5e3", "+1.5e3"),
        ("field sales", "field sales"),
        (-5.0, -5.0),
        (None, None),
    ],
)
def test_inert_text(value: object, written: object) -> None:
    """Formula-like text gets an apostrophe; signed numbers in text, words and non-text pass."""
    assert inert_text(value) == written


def test_frame_text_cells_index_and_columns_are_inert_numbers_stay() -> None:
    """Every text cell and label of a frame is made inert; a float column keeps -5 as -5.0."""
    frame = pd.DataFrame(
        {"owner": ["=cmd|' /C calc'!A0", "sales"], "value": [-5.0, 2.0]},
        index=pd.Index(["@x", "y"], name="node"),
    )
    rows = _cells(to_csv(frame))
    assert rows == [
        ["node", "owner", "value"],
        ["'@x", "'=cmd|' /C calc'!A0", "-5.0"],
        ["y", "sales", "2.0"],
    ]


@pytest.mark.parametrize(
    "command",
    [
        ("solve", "--lever", "visits"),
        ("tornado",),
        ("bottleneck",),
        ("sensitivity",),
        ("eval",),
    ],
)
def test_commands_write_no_formula_cells(cli, write_tree, command) -> None:
    """Owners and labels written as formulas come out of every CSV command as text, and the
    negative plan values (price -50, revenue -1000) stay numbers."""
    status, out, err = cli(command[0], write_tree(HOSTILE), *command[1:], "--format", "csv")
    assert status == 0, err
    cells = [cell for row in _cells(out) for cell in row]
    assert not [cell for cell in cells if _formula_like(cell)]
    if command[0] != "eval":
        assert any(cell.startswith("'=HYPERLINK") for cell in cells)
    assert "-50.0" in cells


def test_solve_cascade_keeps_the_owner_readable(cli, write_tree) -> None:
    """The cascade's owner cell reads back as the owner text behind one apostrophe."""
    _, out, _ = cli("solve", write_tree(HOSTILE), "--lever", "visits", "--format", "csv")
    rows = {row[0]: row for row in _cells(out)}
    header = rows["node"]
    visits = dict(zip(header, rows["visits"], strict=True))
    assert visits["owner"] == '\'=HYPERLINK("http://x.example","click")'
    assert visits["label"] == "'@SUM(A1)"
    assert float(visits["target"]) == pytest.approx(1500.0)
