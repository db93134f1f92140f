"""Numbers inside messages read as the tables show them: no ``1.72328e-15``, ``5e+06`` or
``0.015`` for a percentage, in solve, check, bottleneck, sweep and probability."""

from __future__ import annotations

import re

import pytest

import kpitree
from kpitree.analysis.probability import solve_probability
from kpitree.analysis.sweep import sweep
from kpitree.errors import DataError

SCIENTIFIC = re.compile(r"\d[eE][+-]?\d")

SHOP = """
name: shop
kgi: revenue
nodes:
  visits: {value: 100_000, unit: visits, bounds: [0, 120_000]}
  cvr: {value: 0.012, unit: "%", bounds: [0, 0.02], alert: {below: 0.015},
        distribution: {dist: uniform, low: 0.01, high: 0.014}}
  price: {value: 5_000, unit: JPY, bounds: [0, 6_000]}
  revenue: {formula: visits * cvr * price, unit: JPY, target: 100_000_000,
            alert: {above: 5_000_000}}
"""


def test_solve_not_feasible_note_shows_a_rate_of_zero_not_float_noise() -> None:
    """saas_arr cannot reach 2 billion by churn alone: the closest point is churn 0, shown as
    0 (not 1.7e-15), and ARR with separators."""
    solution = kpitree.load("trees/saas_arr.yaml").solve(["churn_rate"], target=2e9)
    assert not solution.feasible
    assert "at churn_rate = 0" in solution.plan.note
    assert "brings arr to 2,000,000,000" in solution.plan.note
    assert not SCIENTIFIC.search(solution.plan.note)


def test_one_lever_note_shows_percent_bounds() -> None:
    """cvr's bounds [0, 0.02] in unit % read [0 %, 2.0 %] in the note."""
    solution = kpitree.loads(SHOP).solve(["cvr"])
    assert "within bounds [0.0 %, 2.0 %]" in solution.plan.note
    assert "the closest is 100,000,000" not in solution.plan.note


def test_several_levers_note_shows_the_common_change_in_percent() -> None:
    """Uniform on visits and price: each can rise 20 %, where revenue = 1.44 x 6,000,000 =
    8,640,000, short of 100,000,000; the change stops at +20.0 %."""
    solution = kpitree.loads(SHOP).solve(["visits", "price"])
    assert not solution.feasible
    assert "the change stops at +20.0 %" in solution.plan.note


def test_probability_note_shows_target_and_shares_as_the_table_does() -> None:
    """P(revenue >= 100,000,000) = 90.0 % is out of reach; shares as the probability table shows them."""
    result = solve_probability(kpitree.loads(SHOP), ["visits"], 0.9, samples=200, seed=1)
    note = result.solution.plan.note
    assert note.startswith("P(revenue >= 100,000,000) = 90.0 % is out of reach")
    assert "the best is 0.0 % (SE 0.0 %)" in note


def test_sweep_bound_error_shows_percent() -> None:
    """A swept cvr of 0.03 (unit %) outside [0, 0.02] reads 3.0 % and [0.0 %, 2.0 %]."""
    with pytest.raises(
        DataError, match=re.escape("swept value 3.0 % is outside bounds [0.0 %, 2.0 %]")
    ):
        sweep(kpitree.loads(SHOP), {"cvr": [0.01, 0.03]}, samples=10, seed=1)


def test_check_and_bottleneck_alert_lines_read_as_tables(cli, write_tree) -> None:
    """revenue 6,000,000 above 5,000,000 (not 6e+06 / 5e+06); cvr 1.2 % below 1.5 %."""
    path = write_tree(SHOP)
    _, out, _ = cli("bottleneck", path)
    assert "cvr: below 1.5 %, lowest 1.2 %" in out
    assert "revenue: above 5,000,000, highest 6,000,000" in out
    assert not SCIENTIFIC.search(out.split("Alerts at base values:")[1])
