"""Frames follow pandas conventions: a PeriodIndex on period frames, status as an ordered
categorical."""

from __future__ import annotations

import pandas as pd
import pytest

import kpitree
from kpitree.analysis.compare import compare
from kpitree.present.evaluation import evaluation_csv
from tests.conftest import TREES

FLOW = """
name: f
kgi: y
time: {{periods: 6, unit: {unit}, start: {start}}}
nodes:
  x: {{value: [1, 2, 3, 4, 5, 6]}}
  y: {{formula: x * 10}}
"""


def test_monthly_evaluation_resamples_by_quarter(write_tree) -> None:
    """resample("Q").sum() on a monthly evaluation adds each quarter's three months, and so
    does resample("QE") on its timestamps (pandas takes "QE" for timestamps, "Q" for periods)."""
    tree = kpitree.load(write_tree(FLOW.format(unit="month", start="2027-01")))
    frame = tree.evaluate().to_frame()
    assert isinstance(frame.index, pd.PeriodIndex)
    assert frame.index.freqstr == "M"
    assert frame.index.name == "period"
    quarters = frame.resample("Q").sum()
    assert quarters["x"].tolist() == [1 + 2 + 3, 4 + 5 + 6]
    assert [str(p) for p in quarters.index] == ["2027Q1", "2027Q2"]
    ends = frame.to_timestamp().resample("QE").sum()
    assert ends["y"].tolist() == [60, 150]
    assert [d.date().isoformat() for d in ends.index] == ["2027-03-31", "2027-06-30"]


@pytest.mark.parametrize(
    ("unit", "start", "freq", "first_end"),
    [
        ("quarter", "2027-Q2", "Q-DEC", "2027-06-30"),
        ("week", "2027-01-06", "W-TUE", "2027-01-12"),
        ("day", "2027-01-30", "D", "2027-01-30"),
        ("year", "2027", "Y-DEC", "2027-12-31"),
    ],
)
def test_period_index_follows_the_axis(write_tree, unit, start, freq, first_end) -> None:
    """Each unit gets its pandas frequency; a week ends six days after its first day."""
    tree = kpitree.load(write_tree(FLOW.format(unit=unit, start=start)))
    index = tree.evaluate().to_frame().index
    assert index.freqstr == freq
    assert index[0].end_time.date().isoformat() == first_end


@pytest.mark.parametrize(("unit", "start"), [("quarter", "2027-Q2"), ("week", "2027-01-06")])
def test_csv_keeps_the_trees_labels(write_tree, unit, start) -> None:
    """eval --format csv writes the tree's own period labels, which --actuals reads back."""
    tree = kpitree.load(write_tree(FLOW.format(unit=unit, start=start)))
    evaluation = tree.evaluate()
    rows = evaluation_csv(evaluation).splitlines()
    assert [row.split(",")[0] for row in rows[1:]] == list(tree.time.labels)


def test_static_tree_keeps_one_value_row(write_tree) -> None:
    """A static tree's frame has one row labelled value."""
    tree = kpitree.load(write_tree("name: s\nkgi: y\nnodes:\n  x: {value: 2}\n  y: {formula: x}\n"))
    frame = tree.evaluate().to_frame()
    assert list(frame.index) == ["value"]


def test_comparison_status_is_an_ordered_categorical() -> None:
    """Status sorts from no verdict through off track to ahead, and JSON keeps the text."""
    tree = kpitree.load(TREES / "saas_arr.yaml")
    result = compare(tree, kpitree.read_actuals(TREES / "saas_arr_actuals.csv", tree))
    status = result.to_frame()["status"]
    assert status.cat.ordered
    assert list(status.cat.categories) == ["-", "partial", "off track", "on track", "ahead"]
    assert (status[status == "off track"] < "on track").all()
    assert {row["status"] for row in result.to_dict()["rows"]} <= {
        "-",
        "off track",
        "on track",
        "ahead",
    }
    assert "off track" in set(status)
