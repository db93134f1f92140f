"""Every result's period frame has a PeriodIndex with the axis' frequency, so pandas'
``resample("Q")`` works on it; fiscal roll-ups use pandas' fiscal frequencies and text output
keeps kpitree's labels."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest

import kpitree
from kpitree.analysis.backtest import backtest
from kpitree.analysis.landing import landing
from kpitree.periods import label_of
from kpitree.render import render
from tests.conftest import TREES
from tests.html_tables import tables


def _tree() -> Any:
    return kpitree.load(TREES / "saas_arr.yaml")


def _actuals(tree: Any) -> Any:
    return kpitree.read_actuals(TREES / "saas_arr_actuals.csv", tree)


def _evaluation() -> pd.DataFrame:
    return _tree().evaluate().to_frame()


def _forecast() -> pd.DataFrame:
    return _tree().forecast(samples=200, seed=1).to_frame()


def _landing() -> pd.DataFrame:
    tree = _tree()
    return tree.forecast(samples=200, seed=1, landing=landing(tree, _actuals(tree))).to_frame()


def _measurement() -> pd.DataFrame:
    tree = kpitree.load(TREES / "saas_arr_measured.yaml")
    return kpitree.measure(tree, as_of="2027-06-20").to_frame()


def _comparison() -> pd.DataFrame:
    tree = _tree()
    frame = tree.compare(_actuals(tree)).to_frame()
    return frame[frame["node"] == tree.kgi].set_index("period")


def _backtest() -> pd.DataFrame:
    tree = _tree()
    frame = backtest(tree, _actuals(tree), 1, samples=200, seed=1).to_frame()
    return frame[(frame["node"] == tree.kgi) & (frame["cutoff"] == frame["cutoff"].iloc[0])]


MONTHLY: dict[str, Callable[[], pd.DataFrame]] = {
    "evaluation": _evaluation,
    "forecast": _forecast,
    "landing": _landing,
    "measurement": _measurement,
    "comparison": _comparison,
    "backtest": _backtest,
}


@pytest.mark.parametrize("name", list(MONTHLY))
def test_monthly_period_frames_resample_by_quarter(name: str) -> None:
    """The frame's periods form a monthly PeriodIndex named period (the long frames' period
    column gives one), and resample("Q").sum() adds each quarter's months."""
    frame = MONTHLY[name]()
    if frame.index.name != "period":
        frame = frame.set_index("period")
    assert isinstance(frame.index, pd.PeriodIndex)
    assert frame.index.freqstr == "M"
    column = frame.select_dtypes("number").columns[0]
    quarters = frame[[column]].resample("Q").sum()
    first = frame.index[0].start_time
    in_quarter = frame.index.start_time.quarter == first.quarter
    same_year = frame.index.start_time.year == first.year
    expected = frame.loc[in_quarter & same_year, column].sum()
    assert quarters.loc[pd.Period(first, "Q"), column] == pytest.approx(expected)


def test_resample_qe_is_for_timestamps() -> None:
    """pandas refuses "QE" on a PeriodIndex by design; to_timestamp() first takes it."""
    frame = _evaluation()
    with pytest.raises(ValueError, match="for Period, please use 'Q'"):
        frame.resample("QE").sum()
    assert len(frame.to_timestamp().resample("QE").sum()) == 4


@pytest.mark.parametrize(
    ("fiscal", "by", "freq", "labels", "first_start"),
    [
        (1, "quarter", "Q-DEC", ["2027-Q1", "2027-Q2", "2027-Q3", "2027-Q4"], "2027-01-01"),
        (1, "year", "Y-DEC", ["2027"], "2027-01-01"),
        (4, "quarter", "Q-MAR", ["FY2026-Q4", "FY2027-Q1", "FY2027-Q2", "FY2027-Q3"],
         "2027-01-01"),
        (4, "fiscal-year", "Y-MAR", ["FY2026", "FY2027"], "2026-04-01"),
    ],
)  # fmt: skip
def test_rollup_frames_are_quarterly_or_yearly(
    write_tree, fiscal: int, by: str, freq: str, labels: list[str], first_start: str
) -> None:
    """A roll-up's index has the bucket's frequency; a fiscal year from April ends in March
    (FY2026 starts 2026-04-01); label_of gives kpitree's labels back."""
    path = write_tree(
        "name: f\nkgi: y\ntime: {periods: 12, unit: month, start: 2027-01, "
        f"fiscal_year_start: {fiscal}}}\nnodes:\n  x: {{value: 1}}\n  y: {{formula: x * 10}}\n"
    )
    frame = kpitree.load(path).evaluate().to_frame(by=by)
    assert isinstance(frame.index, pd.PeriodIndex)
    assert frame.index.freqstr == freq
    assert frame.index.name == "period"
    assert [label_of(p) for p in frame.index] == labels
    assert frame.index[0].start_time.date().isoformat() == first_start


def test_text_output_keeps_fiscal_labels(write_tree) -> None:
    """CSV, HTML and the comparison's JSON write FY2027, never pandas' 2028 for it."""
    path = write_tree(
        "name: f\nkgi: y\ntime: {periods: 12, unit: month, start: 2027-01, "
        "fiscal_year_start: 4}\nnodes:\n  x: {value: 1}\n  y: {formula: x * 10}\n"
    )
    rollup = kpitree.load(path).evaluate().rollup("fiscal-year")
    csv_text = render(rollup, "csv")
    assert isinstance(csv_text, str)
    assert [line.split(",")[0] for line in csv_text.splitlines()] == ["period", "FY2026", "FY2027"]
    html = render(rollup, "html")
    assert isinstance(html, str)
    # Both fiscal years are partial (January-March, April-December): marked as the terminal does.
    assert tables(html)[0].header[-2:] == ["FY2026*", "FY2027*"]
    assert "2028" not in html


def test_comparison_json_and_csv_keep_the_trees_labels() -> None:
    """The comparison's frame has Periods; its JSON and CSV have the labels the actuals use."""
    tree = _tree()
    comparison = tree.compare(_actuals(tree))
    assert comparison.to_dict()["rows"][0]["period"] == "2027-01"
    csv_text = render(comparison, "csv")
    assert isinstance(csv_text, str)
    assert csv_text.splitlines()[1].startswith("2027-01,")
    assert isinstance(comparison.to_frame()["period"].dtype, pd.PeriodDtype)


def test_calendar_fiscal_year_keeps_its_fy_labels(write_tree) -> None:
    """A fiscal-year roll-up of a tree whose year starts in January is Y-DEC in pandas (2027)
    but stays FY2027 in CSV, HTML and xlsx."""
    import io

    from openpyxl import load_workbook

    path = write_tree(
        "name: f\nkgi: y\ntime: {periods: 12, unit: month, start: 2027-01}\n"
        "nodes:\n  x: {value: 1}\n  y: {formula: x * 10}\n"
    )
    rollup = kpitree.load(path).evaluate().rollup("fiscal-year")
    assert rollup.to_frame().index.freqstr == "Y-DEC"
    csv_text = render(rollup, "csv")
    assert isinstance(csv_text, str)
    assert csv_text.splitlines()[1].startswith("FY2027,")
    html = render(rollup, "html")
    assert isinstance(html, str)
    assert tables(html)[0].header[-1] == "FY2027"
    workbook = render(rollup, "xlsx")
    assert isinstance(workbook, bytes)
    sheet = load_workbook(io.BytesIO(workbook)).active
    assert sheet.cell(row=2, column=1).value == "FY2027"


def test_bucket_comparison_keeps_fy_labels(write_tree, tmp_path) -> None:
    """compare --by fiscal-year on a calendar fiscal year: the frame's periods are Y-DEC, its
    JSON rows say FY2027 and the partial flag follows the bucket."""
    from kpitree.analysis.compare_by import compare_by

    path = write_tree(
        "name: f\nkgi: y\ntime: {periods: 12, unit: month, start: 2027-01}\n"
        "nodes:\n  x: {value: 1}\n  y: {formula: x * 10}\n"
    )
    tree = kpitree.load(path)
    actuals_file = tmp_path / "a.csv"
    actuals_file.write_text("period,x\n2027-01,2\n", encoding="utf-8")
    result = compare_by(tree, kpitree.read_actuals(actuals_file, tree), "fiscal-year")
    assert {row["period"] for row in result.to_dict()["rows"]} == {"FY2027"}
    frame = result.to_frame()
    assert frame["period"].iloc[0] == pd.Period("2027", "Y-DEC")
    assert frame["partial"].all()  # one month of the year
