"""One stock/flow/rate classification (the roll-up's rule) shared by roll-ups, status and
stocks; quarter targets judged on that rule's roll-up. Expected numbers worked by hand."""

from __future__ import annotations

import glob

import numpy as np
import pytest

import kpitree
from kpitree.analysis.status import Status, statuses
from kpitree.analysis.stocks import FLOW, RATE, STOCK, kind, rolled, stocks
from kpitree.rollup import rules

CHAINS = """
name: chains
kgi: mrr
time: {periods: 3, unit: month, start: 2027-01}
nodes:
  won: {value: [10, 20, 30], unit: customers/month}
  kept: {formula: "cohort(won, [1, 0.5])", unit: customers}
  late: {formula: "delay(won, 1)", unit: customers/month}
  spread: {formula: "lagged(won, [0.5, 0.5])", unit: customers/month}
  mrr_start: {formula: prev(mrr), unit: JPY/month}
  rate: {value: 0.1, unit: ratio/month}
  expansion: {formula: mrr_start * rate, unit: JPY/month}
  mrr: {formula: mrr_start + expansion + kept * 1000, initial: 100000, unit: JPY/month}
  total: {formula: mrr + kept, unit: JPY/month}
"""


def test_cohort_is_a_stock_and_delay_and_lagged_of_a_flow_are_flows() -> None:
    """cohort(won) is what is left at the period end (last); delay() and lagged() of a flow
    move amounts between periods (sum)."""
    found = rules(kpitree.loads(CHAINS))
    assert found["kept"].kind == "last"
    assert found["late"].kind == "sum"
    assert found["spread"].kind == "sum"


def test_a_stock_read_through_its_start_of_period_node_is_a_stock() -> None:
    """mrr = mrr_start + ... with mrr_start = prev(mrr): both levels (last); expansion =
    mrr_start x rate in JPY/month is a flow; a sum of stocks in JPY/month is a stock."""
    tree = kpitree.loads(CHAINS)
    found = rules(tree)
    assert found["mrr"].kind == found["mrr_start"].kind == found["total"].kind == "last"
    assert found["expansion"].kind == "sum"
    assert stocks(tree) == {"kept", "mrr_start", "mrr", "total"}
    assert kind(tree, "expansion") == FLOW
    assert kind(tree, "rate") == RATE


@pytest.mark.parametrize("path", sorted(glob.glob("trees/*.yaml")))
def test_stocks_and_rollup_agree_on_every_bundled_tree(path: str) -> None:
    """Every node's stock/flow/rate kind is its roll-up rule's (last, sum, other); a static
    tree has rates only."""
    tree = kpitree.load(path)
    expected = {"last": STOCK, "sum": FLOW}
    for name, rule in rules(tree).items():
        assert kind(tree, name) == expected.get(rule.kind, RATE), name


def test_saas_cohorts_infers_its_cohort_stocks_without_aggregate() -> None:
    """The bundled cohort tree's cohort nodes roll up to their last month by inference."""
    found = rules(kpitree.load("trees/saas_cohorts.yaml"))
    for name in ("cohort_customers", "cohort_mrr"):
        assert found[name].kind == "last"
        assert not found[name].given


QUARTER = """
name: q
kgi: sql
time: {periods: 3, unit: month, start: 2027-01}
nodes:
  mql: {value: [100, 300, 100], unit: leads/month}
  sql_rate: {value: [0.3, 0.1, 0.3], unit: ratio, target: {2027-Q1: 0.25}}
  sql: {formula: mql * sql_rate, unit: leads/month, target: {2027-Q1: 100}}
  won: {value: [10, 20, 30], unit: customers/month}
  kept: {formula: "cohort(won, [1, 0.5])", unit: customers, target: {2027-Q1: 60}}
  kept_mrr: {formula: "cohort(won, [1, 0.5]) * 1000", unit: JPY/month}
"""


def test_a_quarter_target_on_a_rate_is_judged_on_the_recomputed_ratio() -> None:
    """sql = 30 each month: Q1's rate is 90 / 500 = 0.18 (not the mean 0.233), 0.07 short of
    0.25, beyond the 10 % margin (0.025): off track, where the mean would be at risk."""
    tree = kpitree.loads(QUARTER)
    evaluation = tree.evaluate()
    assert rolled(tree, "sql_rate", evaluation.values, 0, 2) == pytest.approx(0.18)
    assert statuses(evaluation, "2027-03")["sql_rate"] is Status.OFF_TRACK


def test_a_quarter_target_on_a_flow_sums_and_on_a_cohort_takes_the_last_month() -> None:
    """sql sums to 90 against 100: 10 % short, at risk; kept in March is 30 + 0.5 x 20 = 40
    (not the sum 10 + 25 + 40 = 75) against 60: its change from 0 is 40 of the 60 asked,
    off track."""
    tree = kpitree.loads(QUARTER)
    evaluation = tree.evaluate()
    np.testing.assert_allclose(evaluation.values["kept"], [10, 25, 40])
    assert rolled(tree, "kept", evaluation.values, 0, 2) == 40
    march = statuses(evaluation, "2027-03")
    assert march["sql"] is Status.AT_RISK
    assert march["kept"] is Status.OFF_TRACK


def test_the_cascade_total_follows_the_rule_for_a_cohort() -> None:
    """Solving sql to 100 over Q1 (mql x 1/0.9): the cascade totals won (a flow, 10 + 20 + 30
    = 60) but not kept_mrr (a cohort in JPY/month: a stock, no total over the year, where its
    unit alone once made it a flow)."""
    tree = kpitree.loads(QUARTER)
    rows = {row.node: row for row in tree.solve(["mql"], period="2027-Q1").cascade().rows}
    assert rows["won"].total == pytest.approx(60)
    assert rows["kept"].total is None
    assert rows["kept_mrr"].total is None
    assert rows["sql"].total == pytest.approx(100)


@pytest.mark.parametrize("path", sorted(glob.glob("trees/*.yaml")))
def test_bundled_monthly_churn_benchmarks_are_monthly_figures(path: str) -> None:
    """A churn benchmark on a monthly tree is the field's monthly 0.5-1 %, never 5 % a month
    (about 46 % a year)."""
    tree = kpitree.load(path)
    for name, node in tree.nodes.items():
        if "churn" in name and node.benchmark is not None and (node.unit or "").endswith("month"):
            assert max(v for v in node.benchmark if v is not None) <= 0.01, name
