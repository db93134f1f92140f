"""Roll-ups by quarter, year and fiscal year: numbers worked by hand, inference, overrides,
the ``eval --by`` command line and its errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kpitree
from kpitree.errors import DataError, SpecError
from kpitree.node import Node
from kpitree.rollup import rules
from kpitree.timeaxis import TimeAxis, TimeAxisError
from tests.html_tables import tables

# Monthly, January to December 2027, fiscal year from April. By hand:
# sql = mql * sql_rate: Jan-Mar 10 each; Apr 300 * 0.1 = 30, May 200 * 0.2 = 40, Jun
# 100 * 0.3 = 30; Jul-Dec 10 each. FY2027-Q1 (Apr-Jun): mql 600, sql 100, rate 100 / 600 = 1/6
# (the mean of the monthly rates would be 0.2). mrr = prev(mrr) + sql from 0: 30 at March, 130
# at June, 160 at September, 190 at December; arr = 12 * mrr.
FISCAL = """
name: fiscal
kgi: arr
time: {periods: 12, unit: month, start: 2027-01, fiscal_year_start: 4}
nodes:
  mql: {value: [100, 100, 100, 300, 200, 100, 100, 100, 100, 100, 100, 100], unit: leads/month}
  sql_rate: {value: [0.1, 0.1, 0.1, 0.1, 0.2, 0.3, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1], unit: ratio}
  sql: {formula: mql * sql_rate, unit: leads/month}
  conversion: {formula: sql / mql}
  mrr: {formula: prev(mrr) + sql, initial: 0, unit: JPY/month}
  arr: {formula: mrr * 12, unit: JPY/year}
  nps: {value: [10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120]}
"""


@pytest.fixture
def fiscal(write_tree):
    return kpitree.load(write_tree(FISCAL))


def test_fiscal_quarters_sum_flows_recompute_rates_and_take_the_last_stock(fiscal) -> None:
    """By quarter from April: FY2027-Q1 has 600 MQLs, 100 SQLs, rate 1/6, MRR 130 at June."""
    rolled = fiscal.evaluate().rollup("quarter")
    assert rolled.periods == ["FY2026-Q4", "FY2027-Q1", "FY2027-Q2", "FY2027-Q3"]
    assert rolled.partial == []
    np.testing.assert_allclose(rolled.values["mql"], [300, 600, 300, 300])
    np.testing.assert_allclose(rolled.values["sql"], [30, 100, 30, 30])
    np.testing.assert_allclose(rolled.values["sql_rate"], [0.1, 1 / 6, 0.1, 0.1], rtol=1e-12)
    np.testing.assert_allclose(rolled.values["conversion"], [0.1, 1 / 6, 0.1, 0.1], rtol=1e-12)
    np.testing.assert_allclose(rolled.values["mrr"], [30, 130, 160, 190])
    np.testing.assert_allclose(rolled.values["arr"], [360, 1560, 1920, 2280])
    np.testing.assert_allclose(rolled.values["nps"], [20, 50, 80, 110])


def test_fiscal_years_are_named_by_their_first_year_and_flagged_partial(fiscal) -> None:
    """January-March 2027 is the end of FY2026 (3 months, partial); April-December is FY2027."""
    rolled = fiscal.evaluate().rollup("fiscal-year")
    assert rolled.periods == ["FY2026", "FY2027"]
    assert rolled.partial == ["FY2026", "FY2027"]
    assert [bucket.periods for bucket in rolled.buckets] == [(0, 1, 2), tuple(range(3, 12))]
    np.testing.assert_allclose(rolled.values["mql"], [300, 1200])
    np.testing.assert_allclose(rolled.values["sql_rate"], [0.1, 160 / 1200], rtol=1e-12)
    np.testing.assert_allclose(rolled.values["mrr"], [30, 190])


def test_calendar_year_and_quarters_ignore_the_fiscal_year(fiscal) -> None:
    """--by year is the calendar year 2027; with fiscal_year_start 1 quarters are 2027-Qn."""
    year = fiscal.evaluate().rollup("year")
    assert year.periods == ["2027"]
    assert year.partial == []
    np.testing.assert_allclose(year.values["sql_rate"], [190 / 1500], rtol=1e-12)
    axis = TimeAxis(12, "month", "2027-01")
    assert [bucket.label for bucket in axis.buckets("quarter")] == [
        "2027-Q1", "2027-Q2", "2027-Q3", "2027-Q4"
    ]  # fmt: skip


def test_to_frame_by_matches_the_rollup(fiscal) -> None:
    """Evaluation.to_frame(by=...) has one row per bucket, a fiscal PeriodIndex 'period' (FY2027
    is pandas' Period('2028', 'Y-MAR'): April 2027 to March 2028), one column per node."""
    import pandas as pd

    from kpitree.periods import label_of

    frame = fiscal.evaluate().to_frame(by="fiscal-year")
    assert isinstance(frame.index, pd.PeriodIndex)
    assert frame.index.freqstr == "Y-MAR"
    assert [label_of(p) for p in frame.index] == ["FY2026", "FY2027"]
    assert frame.index[1].start_time.date().isoformat() == "2027-04-01"
    assert frame.index[1].end_time.date().isoformat() == "2028-03-31"
    assert frame.index.name == "period"
    assert list(frame.columns) == list(fiscal.nodes)
    assert frame.loc[pd.Period("2028", "Y-MAR"), "sql"] == pytest.approx(160)


@pytest.mark.parametrize(
    ("unit", "periods", "labels", "partial"),
    [
        ("quarter", 6, ["FY2027", "FY2028"], ["FY2028"]),  # 2027-Q2 .. 2028-Q3
        ("week", 3, ["FY2026", "FY2027"], ["FY2026", "FY2027"]),  # weeks from 2027-03-22
        ("day", 2, ["FY2026", "FY2027"], ["FY2026", "FY2027"]),  # 2027-03-31, 2027-04-01
    ],
)
def test_other_units_bucket_by_their_first_day(unit, periods, labels, partial) -> None:
    """Quarters, weeks and days fall in the fiscal year holding their first day."""
    start = {"quarter": "2027-Q2", "week": "2027-03-22", "day": "2027-03-31"}[unit]
    buckets = TimeAxis(periods, unit, start, 4).buckets("fiscal-year")
    assert [bucket.label for bucket in buckets] == labels
    assert [bucket.label for bucket in buckets if bucket.partial] == partial


def test_a_period_longer_than_the_bucket_is_refused() -> None:
    """A year cannot be split into quarters, nor a quarter from January into an April year."""
    with pytest.raises(TimeAxisError, match="a year does not fit in one quarter"):
        TimeAxis(2, "year", "2027").buckets("quarter")
    with pytest.raises(TimeAxisError, match="a quarter does not fit in one fiscal year"):
        TimeAxis(4, "quarter", "2027-Q1", 5).buckets("fiscal-year")


INFERENCE = """
name: inference
kgi: mrr
time: {periods: 3, unit: month, start: 2027-01}
nodes:
  budget: {value: [100, 200, 300], unit: JPY/month}
  cpl: {value: [10, 20, 10], unit: JPY/lead}
  leads: {formula: budget / cpl, unit: leads/month}
  win_rate: {value: [0.5, 0.25, 0.5], unit: ratio}
  won: {formula: "delay(leads, 1, 4) * win_rate", unit: customers/month}
  churn: {value: 0.1, unit: ratio/month}
  arpu: {value: [2, 2, 5], unit: JPY/customer/month}
  customers: {formula: prev(customers) * (1 - churn) + won, initial: 10}
  mrr: {formula: customers * arpu}
  cost_per_win: {formula: 2 * budget / won}
"""


def test_inference_reads_units_self_reads_and_formulas(write_tree) -> None:
    """leads/month sums; ratio/month, JPY/customer/month are means; prev(self) is last; a
    divisor or factor of a flow is the flows' ratio; a node of stocks alone is last."""
    tree = kpitree.load(write_tree(INFERENCE))
    found = {name: rule.describe() for name, rule in rules(tree).items()}
    assert found == {
        "budget": "sum",
        "cpl": "ratio budget / leads",
        "leads": "sum",
        "win_rate": "ratio won / delay(leads,1,4.0)",
        "won": "sum",
        "churn": "mean",
        "arpu": "mean",
        "customers": "last",
        "mrr": "last",  # reads a stock and no flow: MRR at the quarter's end
        "cost_per_win": "ratio 2 * budget / won",
    }


def test_inferred_ratios_use_delayed_flows_and_divisors(write_tree) -> None:
    """Leads 10, 10, 30: CPL over the quarter 600 / 50 = 12; won 2, 2.5, 5 over delayed
    leads 4, 10, 10: win rate 9.5 / 24; cost per win 2 * 600 / 9.5."""
    rolled = kpitree.load(write_tree(INFERENCE)).evaluate().rollup("quarter")
    assert rolled.values["cpl"][0] == pytest.approx(12)
    assert rolled.values["win_rate"][0] == pytest.approx(9.5 / 24)
    assert rolled.values["cost_per_win"][0] == pytest.approx(1200 / 9.5)
    assert rolled.values["arpu"][0] == pytest.approx(3)


def test_overrides_replace_the_inferred_rule(write_tree) -> None:
    """aggregate: mean on a flow, last on a mean, sum on a rate and mean on a ratio win."""
    text = INFERENCE.replace("unit: leads/month}", "unit: leads/month, aggregate: mean}")
    text = text.replace("unit: JPY/customer/month}", "unit: JPY/customer/month, aggregate: last}")
    text = text.replace("unit: ratio/month}", "unit: ratio/month, aggregate: sum}")
    text = text.replace("2 * budget / won}", "2 * budget / won, aggregate: mean}")
    tree = kpitree.load(write_tree(text))
    found = rules(tree)
    assert all(found[name].given for name in ("leads", "arpu", "churn", "cost_per_win"))
    assert not found["budget"].given
    rolled = tree.evaluate().rollup("quarter")
    assert rolled.values["leads"][0] == pytest.approx(50 / 3)
    assert rolled.values["arpu"][0] == pytest.approx(5)
    assert rolled.values["churn"][0] == pytest.approx(0.3)
    assert rolled.values["won"][0] == pytest.approx(9.5)  # still a flow
    # leads is no longer a flow, so nothing divides it: cpl falls back to the mean
    assert found["cpl"].kind == "mean"


def test_aggregate_ratio_on_a_node_that_is_no_ratio_names_the_node(write_tree) -> None:
    """aggregate: ratio on churn (no flow times churn) is refused with the file and line."""
    path = write_tree(
        INFERENCE.replace("unit: ratio/month}", "unit: ratio/month, aggregate: ratio}")
    )
    tree = kpitree.load(path)
    with pytest.raises(SpecError, match=r"tree\.yaml:10: node 'churn': aggregate: ratio needs"):
        tree.evaluate().rollup("quarter")


def test_a_static_tree_cannot_be_rolled_up(write_tree) -> None:
    """A static tree has no periods to roll up: DataError naming the tree."""
    tree = kpitree.load(write_tree("name: s\nkgi: a\nnodes:\n  a: {value: 1}\n"))
    with pytest.raises(DataError, match="tree 's' is static"):
        tree.evaluate().rollup("year")


def test_cli_json_has_the_eval_shape_with_buckets_as_periods(cli, write_tree) -> None:
    """eval --by fiscal-year --format json: tree, kgi, periods (FY labels), values, partial."""
    status, out, err = cli("eval", write_tree(FISCAL), "--by", "fiscal-year", "--format", "json")
    assert (status, err) == (0, "")
    data = json.loads(out)
    assert {"tree", "kgi", "periods", "values"} <= set(data)
    assert data["periods"] == ["FY2026", "FY2027"]
    assert data["partial"] == ["FY2026", "FY2027"]
    assert data["by"] == "fiscal-year"
    assert data["aggregate"]["sql_rate"] == "ratio sql / mql"
    assert data["values"]["sql"] == pytest.approx([30, 160])


def test_cli_table_and_csv_mark_partial_buckets(cli, write_tree) -> None:
    """The table stars a partial bucket and says which months it has; CSV has a partial column."""
    path = write_tree(FISCAL)
    status, out, _ = cli("eval", path, "--by", "fiscal-year")
    assert status == 0
    assert out.startswith("fiscal: by fiscal-year, KGI arr = 2,280 in FY2027 (last)\n")
    assert "FY2026*" in out
    assert "* FY2026 is partial: the tree covers only 2027-01 to 2027-03 (3 months)" in out
    status, out, _ = cli("eval", path, "--by", "quarter", "--format", "csv")
    assert out.splitlines()[0].startswith("period,partial,mql,sql_rate")
    assert out.splitlines()[2].startswith("FY2027-Q1,False,600.0,0.1666")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("fiscal_year_start: 4}", "fiscal_year_start: 13}"),
        ("fiscal_year_start: 4}", "fiscal_year_start: April}"),
        ("fiscal_year_start: 4}", "fiscal_year_start: 0}"),
    ],
)
def test_bad_fiscal_year_start_is_a_file_line_error(cli, write_tree, change, message) -> None:
    """A fiscal_year_start that is not a month 1..12 is refused at its line, exit 2."""
    status, out, err = cli("eval", write_tree(FISCAL.replace(change, message)), "--by", "year")
    assert status == 2
    assert out == ""
    assert "tree.yaml:3: time: fiscal_year_start must be a month number 1..12" in err


def test_bad_aggregate_is_a_file_line_error(cli, write_tree) -> None:
    """aggregate: avg is refused with the node's line and the allowed values, exit 2."""
    text = FISCAL.replace("unit: ratio}", "unit: ratio, aggregate: avg}")
    status, out, err = cli("eval", write_tree(text))
    assert status == 2
    assert out == ""
    assert err.strip().endswith(
        "/tree.yaml:6: node 'sql_rate': aggregate must be one of sum, last, mean, ratio, found 'avg'"
    )


def test_cli_by_on_a_static_tree_or_without_start_exits_2(cli, write_tree) -> None:
    """--by needs a timed tree with a start: otherwise FILE: message and exit 2."""
    static = write_tree("name: s\nkgi: a\nnodes:\n  a: {value: 1}\n", "static.yaml")
    status, out, err = cli("eval", static, "--by", "quarter")
    assert status == 2
    assert out == ""
    assert err.startswith(f"{static}: cannot roll up by quarter: tree 's' is static")
    nostart = write_tree(FISCAL.replace(", start: 2027-01", ""), "nostart.yaml")
    status, out, err = cli("eval", nostart, "--by", "year")
    assert status == 2
    assert out == ""
    assert "needs the dates of the periods: give the time axis a 'start'" in err


def test_saas_arr_quarters_recompute_the_opportunity_rate() -> None:
    """On the bundled tree, Q2's SQL rate is Q2 SQLs / Q2 MQLs and Q4's ARR is December's."""
    evaluation = kpitree.load("trees/saas_arr.yaml").evaluate(
        overrides={"sql_rate": [0.1] * 3 + [0.1, 0.1, 0.4] + [0.1] * 6}
    )
    rolled = evaluation.rollup("quarter")
    sql, mql = evaluation["sql"][3:6].sum(), evaluation["mql"][3:6].sum()
    assert rolled.values["sql_rate"][1] == pytest.approx(sql / mql, rel=1e-12)
    assert rolled.values["sql_rate"][1] != pytest.approx(0.2, rel=1e-3)
    assert rolled.values["arr"][3] == pytest.approx(evaluation["arr"][-1])


def _funnel(mql: list[float], rate: list[float], aggregate: str | None = None) -> kpitree.Tree:
    """A 12-month funnel built in Python: sql = mql * sql_rate, a pipeline stock of SQLs."""

    nodes = [
        Node("mql", value=tuple(mql), unit="leads/month"),
        Node("sql_rate", value=tuple(rate), unit="ratio", aggregate=aggregate),
        Node("sql", formula="mql * sql_rate", unit="leads/month"),
        Node("pipeline", formula="prev(pipeline) + sql", initial=0.0),
    ]
    return kpitree.Tree("funnel", "pipeline", nodes, time=TimeAxis(12, "month", "2027-01", 4))


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(1, 1e6), min_size=12, max_size=12),
    st.lists(st.floats(0, 1), min_size=12, max_size=12),
)
def test_a_rate_rolls_up_to_its_flow_weighted_mean(mql, rate) -> None:
    """The quarter's rate is sum(mql * rate) / sum(mql): within the months' range; the year's
    flows are the sum of its quarters' and its stock is the last quarter's."""
    evaluation = _funnel(mql, rate).evaluate()
    quarters, year = evaluation.rollup("quarter"), evaluation.rollup("year")
    for index, bucket in enumerate(quarters.buckets):
        months = list(bucket.periods)
        weighted = np.dot(np.array(mql)[months], np.array(rate)[months]) / np.sum(
            np.array(mql)[months]
        )
        assert quarters.values["sql_rate"][index] == pytest.approx(weighted, rel=1e-9, abs=1e-12)
        low, high = min(np.array(rate)[months]), max(np.array(rate)[months])
        assert low - 1e-12 <= quarters.values["sql_rate"][index] <= high + 1e-12
    assert year.values["sql"][0] == pytest.approx(quarters.values["sql"].sum(), rel=1e-9)
    assert year.values["pipeline"][0] == quarters.values["pipeline"][-1]


def test_a_node_built_in_python_checks_its_aggregate() -> None:
    """Node(aggregate='median') is refused by the node itself, without a file."""

    with pytest.raises(SpecError, match="node 'x': aggregate must be one of sum, last, mean"):
        Node("x", value=1.0, aggregate="median")
    rolled = _funnel([1.0] * 12, [0.5] * 11 + [1.0], aggregate="mean").evaluate().rollup("year")
    assert rolled.values["sql_rate"][0] == pytest.approx(6.5 / 12)


def test_report_rolls_its_periods_table_up(fiscal) -> None:
    """build_report(by="fiscal-year"): the roll-up's own table (a column per fiscal year), the
    rules and the note on the partial year; a static tree is refused before anything is
    drawn."""
    from kpitree.report import build_report
    from kpitree.report.sections import periods_section

    html = build_report(fiscal, by="fiscal-year", sections=[periods_section])
    assert "Every node by fiscal year" in html
    (table,) = tables(html)
    assert table.header[-2:] == ["FY2026*", "FY2027*"]  # both years partial: marked
    rows = {row["node"]: row for row in table.rows}
    assert rows["arr"]["roll-up"].startswith("last")  # ARR, MRR: stocks
    assert rows["sql"]["roll-up"].startswith("sum")  # SQL: a flow
    assert rows["arr"]["FY2027*"] == "2,280"  # ARR at the end of FY2027: 12 x 190
    assert rows["arr"][""] == "*"
    assert "FY2026 is partial: the tree covers only 2027-01 to 2027-03 (3 months)" in html
    static = kpitree.Tree("s", "a", [Node("a", value=1.0)])
    with pytest.raises(DataError, match="tree 's' is static"):
        build_report(static, by="year")


def test_cli_report_by_quarter_writes_the_page(cli, tmp_path) -> None:
    """kpitree report --by quarter writes a page whose KPI table is by quarter."""
    out = tmp_path / "r.html"
    status, _, err = cli("report", "trees/saas_arr.yaml", "--by", "quarter", "--samples", "64",
                         "-o", out)  # fmt: skip
    assert (status, err) == (0, "")
    html = out.read_text(encoding="utf-8")
    assert "Every node by quarter" in html
    assert "2027-Q4" in html
