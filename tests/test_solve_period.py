"""solve --period: the solver meets the target of one period, a quarter judged on the node's
roll-up, instead of the last period's; every expected number worked by hand."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import kpitree
from kpitree.errors import SolveError

TWO = """
name: two
kgi: customers
time: {periods: 2, unit: month, start: 2027-01}
nodes:
  leads: {value: 100, unit: leads/month, bounds: [0, null]}
  rate: {value: 0.1, unit: ratio, bounds: [0, 1]}
  won: {formula: leads * rate, unit: customers/month}
  customers: {formula: prev(customers) + won, initial: 50, unit: customers,
              target: {2027-01: 80, 2027-02: 100}}
"""

QUARTER = """
name: quarter
kgi: won
time: {periods: 3, unit: month, start: 2027-01}
nodes:
  leads: {value: 100, unit: leads/month, bounds: [0, null]}
  rate: {value: [0.1, 0.2, 0.3], unit: ratio}
  won: {formula: leads * rate, unit: customers/month, target: {2027-Q1: 120}}
"""


def test_the_first_period_target_is_met_at_the_first_period() -> None:
    """customers(Jan) = 50 + 0.1 L = 80 gives L = 300; the last period's 100 = 50 + 0.2 L
    gives L = 250 (also the default)."""
    tree = kpitree.loads(TWO)
    january = tree.solve(["leads"], period="2027-01")
    assert january.values["leads"] == pytest.approx(300)
    assert january.target == 80
    assert january.reached == pytest.approx(80)
    assert january.today == pytest.approx(60)
    assert january.to_dict()["period"] == "2027-01"
    assert tree.solve(["leads"], period=2).values["leads"] == pytest.approx(250)
    last = tree.solve(["leads"])
    assert last.values["leads"] == pytest.approx(250)
    assert last.to_dict()["period"] is None


def test_an_explicit_target_is_met_at_the_period() -> None:
    """customers(Jan) = 50 + 0.1 L = 70 gives L = 200."""
    solution = kpitree.loads(TWO).solve(["leads"], period=1, target=70)
    assert solution.values["leads"] == pytest.approx(200)


def test_a_quarter_target_on_a_flow_is_met_by_its_sum() -> None:
    """won sums to L x (0.1 + 0.2 + 0.3) = 120 over Q1: L = 200 (the last month alone would
    give 400)."""
    solution = kpitree.loads(QUARTER).solve(["leads"], period="2027-Q1")
    assert solution.values["leads"] == pytest.approx(200)
    assert solution.reached == pytest.approx(120)


def test_saas_arr_meets_a_quarterly_milestone_at_2027_q2() -> None:
    """ARR (a stock) at 2027-Q2 is June's level: solving for 1.1 billion there puts June's ARR
    on it, and needs a lower opportunity rate than the year-end 1.4 billion."""
    text = Path("trees/saas_arr.yaml").read_text(encoding="utf-8")
    text = text.replace(
        "    target: 1_400_000_000\n",
        "    target: {2027-Q2: 1_100_000_000, 2027-12: 1_400_000_000}\n",
    )
    tree = kpitree.loads(text)
    q2 = tree.solve(["sql_rate"], period="2027-Q2")
    assert q2.target == 1.1e9
    assert q2.feasible
    june = tree.evaluate(overrides={"sql_rate": q2.values["sql_rate"]}).values["arr"][5]
    assert june == pytest.approx(1.1e9, rel=1e-9)
    assert q2.reached == pytest.approx(1.1e9, rel=1e-9)
    year = tree.solve(["sql_rate"])
    assert np.mean(q2.values["sql_rate"]) < np.mean(year.values["sql_rate"])


def test_several_levers_meet_the_period_target() -> None:
    """Uniform mode on leads and rate: customers(Jan) = 50 + L r = 80 needs L r = 30, so
    each moves by sqrt(3) from 100 and 0.1."""
    solution = kpitree.loads(TWO).solve(["leads", "rate"], period="2027-01")
    assert solution.values["leads"] == pytest.approx(100 * 3**0.5, rel=1e-6)
    assert solution.values["rate"] == pytest.approx(0.1 * 3**0.5, rel=1e-6)


@pytest.mark.parametrize(
    ("period", "message"),
    [("2027-05", "period '2027-05' is not a period"), ("2026-Q1", "is not a period")],
)
def test_an_unknown_period_is_a_solve_error(period: str, message: str) -> None:
    """A period outside the axis names the axis."""
    with pytest.raises(SolveError, match=message):
        kpitree.loads(TWO).solve(["leads"], period=period)


def test_a_period_without_a_target_says_so() -> None:
    """leads has no target at 2027-01."""
    with pytest.raises(SolveError, match="no target at 2027-01"):
        kpitree.loads(TWO).solve(["rate"], node="won", period="2027-01")


def test_cli_period_prints_json_period_and_table_label(cli, write_tree) -> None:
    """--period 2027-01 reaches 80 with 300 leads; the table headline names the period."""
    path = write_tree(TWO)
    status, out, _ = cli(
        "solve", path, "--lever", "leads", "--period", "2027-01", "--format", "json"
    )
    data = json.loads(out)
    assert status == 0
    assert data["period"] == "2027-01"
    assert data["levers"]["leads"] == pytest.approx(300)
    status, out, _ = cli("solve", path, "--lever", "leads", "--period", "2027-01")
    assert "target 80 customers at 2027-01: feasible" in out
    assert "from 60 customers today" in out


def test_cli_period_with_probability_is_refused(cli, write_tree) -> None:
    """--period and --probability together exit 2 with the reason."""
    path = write_tree(TWO)
    status, _, err = cli(
        "solve", path, "--lever", "leads", "--period", "2027-01", "--probability", "0.8"
    )
    assert status == 2
    assert "--period cannot be combined with --probability" in err


def test_cli_static_tree_period_exits_2(cli, write_tree) -> None:
    """A static tree has no period to solve at."""
    path = write_tree(
        "name: s\nkgi: a\nnodes:\n  x: {value: 1}\n  a: {formula: x * 2, target: 4}\n"
    )
    status, _, err = cli("solve", path, "--lever", "x", "--period", "1")
    assert status == 2
    assert "is static" in err
