"""Actuals CSV files are read as a person means them; anything else fails with FILE:LINE."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import TREES

import kpitree
from kpitree.actuals import parse_cell, read_actuals
from kpitree.errors import DataError

SHOP = """
name: shop
kgi: revenue
time: {periods: 4, unit: month, start: 2027-01}
nodes:
  visits: {value: 1000, owner: marketing, bounds: [0, null]}
  cvr: {value: 0.02, bounds: [0, 1], owner: marketing, alert: {below: 0.015}}
  orders: {formula: visits * cvr}
  price: {value: 50, owner: sales}
  revenue: {formula: orders * price}
"""


@pytest.fixture
def shop(write_tree):
    """The timed shop tree, loaded."""
    return kpitree.load(write_tree(SHOP))


def write_csv(tmp_path: Path, text: str, name: str = "actuals.csv") -> Path:
    """Write CSV text (UTF-8) to a file and return its path."""
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return path


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("1200", 1200.0),
        ("1,200", 1200.0),
        (" 1,234,567.5 ", 1234567.5),
        ("-1,200", -1200.0),
        ("12%", 0.12),
        ("12.5 %", 0.125),
        ("1,250%", 12.5),
        ("2.5e3", 2500.0),
        (".5", 0.5),
        ("+3", 3.0),
    ],
)
def test_cells_read_as_people_write_them(text: str, number: float) -> None:
    """Thousands separators, percent signs, spaces and exponents give the intended number."""
    assert parse_cell(text) == pytest.approx(number, rel=1e-15)


def test_blank_cell_is_none() -> None:
    """A blank or all-space cell means 'no actual'."""
    assert parse_cell("") is None
    assert parse_cell("   ") is None


@pytest.mark.parametrize("text", ["1,5", "12,00", "abc", "nan", "inf", "1.2.3", "%", "1,2345"])
def test_ambiguous_or_non_numbers_are_refused(text: str) -> None:
    """A comma not grouping three digits, words, NaN and infinity are not numbers."""
    with pytest.raises(ValueError, match=text.replace(".", r"\.")):
        parse_cell(text)


def test_messy_export_reads_bom_quotes_dates_and_blanks(shop, tmp_path: Path) -> None:
    """BOM, CRLF, quoted thousands, percent, spaces, dates and a blank cell all read as meant."""
    path = tmp_path / "export.csv"
    path.write_bytes(
        b'\xef\xbb\xbf"Period" , visits ,cvr\r\n'
        b'2027-01,"1,100",1.8%\r\n'
        b'2027/02/28, "1,050" , \r\n'
        b"2027-03-31,900,2%\r\n"
        b"\r\n"
    )
    actuals = read_actuals(path, shop)
    assert actuals.periods == (0, 1, 2)
    assert actuals.period_labels == ["2027-01", "2027-02", "2027-03"]
    assert actuals.values == {
        "visits": {0: 1100.0, 1: 1050.0, 2: 900.0},
        "cvr": {0: pytest.approx(0.018), 2: pytest.approx(0.02)},
    }
    inputs = actuals.apply(shop.input_values())
    assert inputs["visits"] == (1100.0, 1050.0, 900.0, 1000.0)
    assert inputs["cvr"] == pytest.approx((0.018, 0.02, 0.02, 0.02))
    assert inputs["price"] == 50.0


def test_period_number_is_accepted(shop, tmp_path: Path) -> None:
    """A period may be given by its 1-based number."""
    actuals = read_actuals(write_csv(tmp_path, "period,visits\n4,700\n"), shop)
    assert actuals.values == {"visits": {3: 700.0}}


def test_static_tree_takes_one_row_without_period(write_tree, tmp_path: Path) -> None:
    """A static tree's actuals are one row; the period column is not needed."""
    tree = kpitree.load(write_tree("name: s\nkgi: c\nnodes:\n  a: {value: 1}\n  c: {formula: a}\n"))
    actuals = read_actuals(write_csv(tmp_path, 'a\n"2,500"\n'), tree)
    assert actuals.apply(tree.input_values()) == {"a": 2500.0}


def test_bundled_sample_reads(tmp_path: Path) -> None:
    """The sample export for saas_arr reads with its BOM, quotes, percents and blank cell."""
    tree = kpitree.load(TREES / "saas_arr.yaml")
    actuals = read_actuals(TREES / "saas_arr_actuals.csv", tree)
    assert actuals.period_labels == ["2027-01", "2027-02", "2027-03"]
    assert actuals.values["visits"] == {0: 18450.0, 1: 16200.0, 2: 22100.0}
    assert actuals.values["sql_rate"][2] == pytest.approx(0.115)
    assert 2 not in actuals.values["churn_rate"]  # blank in March: keeps the plan


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (
            "period,visits\n2027-01,1 200\n",
            2,
            "column 'visits': '1 200' is not a number (expected e.g. 1200, 1,200, 0.12 or 12%)",
        ),
        ("period,visits,cvr\n2027-01,1000,2%\n2027-02,900,two\n", 3, "column 'cvr': 'two'"),
        (
            "period,visit\n2027-01,1\n",
            1,
            "column 'visit' names no node of tree 'shop' (did you mean 'visits'?)",
        ),
        (
            "period,orders\n2027-01,1\n",
            1,
            "node 'orders' has an actual in 2027-01 and its formula reads 'visits' and 'cvr' without one",
        ),
        (
            "period,visits\n2027-06,1\n",
            2,
            "column 'period': '2027-06' is not a period of tree 'shop' (periods 2027-01 .. 2027-04)",
        ),
        ("period,visits\n2027-01,1\n2027/01/15,2\n", 3, "period given twice (first at line 2)"),
        ("period,cvr\n2027-01,120%\n", 2, "column 'cvr': actual 1.2 is outside bounds [0, 1]"),
        ("visits\n1000\n", 1, "no 'period' column: tree 'shop' is timed"),
        ("period,visits\n2027-01,1,2\n", 2, "expected 2 cells (as in the header), found 3"),
        ("period,visits\n,1\n", 2, "column 'period': the period is blank"),
        ("period,visits\n2027-02-30,1\n", 2, "column 'period': '2027-02-30' is not a valid date"),
        ("period,visits,visits\n2027-01,1,2\n", 1, "column 'visits' is given twice"),
        ("period,,visits\n", 1, "column 2 has no name"),
        ("period,visits\n", 1, "the actuals file has a header but no rows"),
        ("", 1, "the actuals file is empty: expected a header row"),
    ],
)
def test_bad_actuals_name_file_line_and_column(
    cli, write_tree, tmp_path, text, line, message
) -> None:
    """Each bad file gives exit 2 and one line FILE:LINE: message, no traceback, no output."""
    tree = write_tree(SHOP)
    path = write_csv(tmp_path, text)
    status, out, err = cli("compare", tree, "--actuals", path)
    assert (status, out) == (2, "")
    assert err.count("\n") == 1
    assert "Traceback" not in err
    assert err.startswith(f"{path}:{line}: {message}"), err


def test_static_tree_refuses_a_second_row(cli, write_tree, tmp_path) -> None:
    """A static tree has one state: a second row is an error at its line."""
    tree = write_tree("name: s\nkgi: c\nnodes:\n  a: {value: 1}\n  c: {formula: a}\n")
    path = write_csv(tmp_path, "a\n1\n2\n")
    status, _, err = cli("check", tree, "--actuals", path)
    assert status == 2
    assert err == f"{path}:3: the static tree takes one row (first at line 2)\n"


def test_date_needs_a_start(cli, write_tree, tmp_path) -> None:
    """A date cannot be placed on a time axis without a start."""
    tree = write_tree(
        "name: s\nkgi: c\ntime: {periods: 2}\nnodes:\n  a: {value: 1}\n  c: {formula: a}\n"
    )
    path = write_csv(tmp_path, "period,a\n2027-01-31,1\n")
    status, _, err = cli("compare", tree, "--actuals", path)
    assert status == 2
    assert "a date ('2027-01-31') needs a tree whose time has a start" in err


def test_weekly_dates_map_to_their_week(write_tree, tmp_path) -> None:
    """A date inside a week is read as that week's period."""
    tree = kpitree.load(
        write_tree(
            "name: w\nkgi: c\ntime: {periods: 3, unit: week, start: 2027-01-04}\n"
            "nodes:\n  a: {value: 1}\n  c: {formula: a}\n"
        )
    )
    actuals = read_actuals(write_csv(tmp_path, "period,a\n2027-01-13,5\n2027-01-04,4\n"), tree)
    assert actuals.values == {"a": {1: 5.0, 0: 4.0}}


def test_missing_and_non_utf8_files(cli, write_tree, tmp_path) -> None:
    """A missing file and a file that is not UTF-8 are clear one-line errors."""
    tree = write_tree(SHOP)
    status, _, err = cli("compare", tree, "--actuals", tmp_path / "nope.csv")
    assert (status, err) == (2, f"kpitree: actuals file '{tmp_path / 'nope.csv'}' does not exist\n")
    latin = tmp_path / "latin.csv"
    latin.write_bytes("period,visits\n2027-01,1\xa0000\n".encode("latin-1"))
    status, _, err = cli("compare", tree, "--actuals", latin)
    assert status == 2
    assert err.startswith(f"kpitree: actuals file '{latin}' is not UTF-8 text")


def test_actuals_for_another_tree_are_refused(shop, write_tree, tmp_path) -> None:
    """Actuals read against one tree cannot be compared with another."""
    other = kpitree.load(write_tree(SHOP.replace("name: shop", "name: other"), "other.yaml"))
    actuals = read_actuals(write_csv(tmp_path, "period,visits\n2027-01,1\n"), other)
    with pytest.raises(DataError, match="read for tree 'other', not 'shop'"):
        shop.compare(actuals)
