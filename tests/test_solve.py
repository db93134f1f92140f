"""Goal seek: one lever exactly, several levers by mode, against closed forms worked by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import TREES
from hypothesis import given, settings
from hypothesis import strategies as st

import kpitree

# new customers = leads x mql_rate x sql_rate x win_rate = 1000 x 0.5 x 0.2 x 0.25 = 25.
FUNNEL = """
name: funnel
kgi: new_customers
nodes:
  leads: {value: 1000, bounds: [0, null], effort: 2, owner: marketing, unit: leads}
  mql_rate: {value: 0.5, bounds: [0, 1], effort: 1, owner: marketing, unit: ratio}
  sql_rate: {value: 0.2, bounds: [0, 1], effort: 3, owner: inside sales, unit: ratio}
  win_rate: {value: 0.25, bounds: [0, 1], owner: field sales, unit: ratio}
  mql: {formula: leads * mql_rate, owner: marketing}
  sql: {formula: mql * sql_rate, owner: inside sales}
  new_customers: {formula: sql * win_rate, target: 40, owner: field sales}
"""

# ARR at month 12 = 12 x (M0 + arpu x win_rate x sum of the leads of months 1..10): deals close
# two months after the lead arrives, so the leads of months 11 and 12 do not count yet.
TIMED = """
name: timed
kgi: arr
time: {periods: 12, unit: month}
nodes:
  leads: {value: 100, bounds: [0, null], unit: leads/month, owner: marketing}
  win_rate: {value: 0.1, bounds: [0, 1], unit: ratio, owner: field sales}
  arpu: {value: 1000, bounds: [0, null], unit: JPY/month, owner: field sales}
  won: {formula: "delay(leads, 2) * win_rate", unit: customers/month, owner: field sales}
  mrr: {formula: prev(mrr) + won * arpu, initial: 50_000, unit: JPY/month, owner: finance}
  arr: {formula: mrr * 12, target: 1_800_000, unit: JPY/year, owner: CRO}
"""


def _tree(write_tree, text: str, name: str = "tree.yaml") -> kpitree.Tree:
    return kpitree.load(write_tree(text, name))


def _round_trip(solution) -> float:
    """Relative error of the node, re-evaluated from scratch at the solved lever values."""
    value = solution.tree.evaluate(overrides=solution.values).final(solution.node)
    return abs(value / solution.target - 1)


def test_one_lever_scales_linearly_and_exactly(write_tree) -> None:
    """A funnel product is linear in each lever: leads = target / (r1 r2 r3), solved by sympy."""
    tree = _tree(write_tree, FUNNEL)
    solution = tree.solve(["leads"])
    assert solution.feasible
    assert solution.values["leads"] == pytest.approx(40 / (0.5 * 0.2 * 0.25), rel=1e-12)
    assert solution.changes["leads"] == pytest.approx(40 / 25 - 1, rel=1e-12)
    assert solution.plan.method.startswith("exact")
    assert _round_trip(solution) < 1e-9


def test_uniform_uplift_on_k_multiplicative_levers_is_the_kth_root(write_tree) -> None:
    """Uniform mode on k levers of a product gives (target/base)^(1/k) - 1 on each."""
    tree = _tree(write_tree, FUNNEL)
    levers = ["mql_rate", "sql_rate", "win_rate"]
    solution = tree.solve(levers, mode="uniform", target=40)
    expected = (40 / 25) ** (1 / 3) - 1
    for name in levers:
        assert solution.changes[name] == pytest.approx(expected, rel=1e-9)
    assert _round_trip(solution) < 1e-9


def test_weighted_changes_are_proportional_to_the_weights(write_tree) -> None:
    """Weighted mode: (1 + 2u)(1 + u) = 40/25 gives u = (-3 + sqrt(1 + 8 x 1.6)) / 4."""
    tree = _tree(write_tree, FUNNEL)
    solution = tree.solve(
        ["sql_rate", "win_rate"], mode="weighted", weights={"sql_rate": 2}, target=40
    )
    u = (-3 + math.sqrt(1 + 8 * 1.6)) / 4  # 2u^2 + 3u + 1 - 1.6 = 0, positive root
    assert solution.changes["sql_rate"] == pytest.approx(2 * u, rel=1e-9)
    assert solution.changes["win_rate"] == pytest.approx(u, rel=1e-9)


def test_infeasible_target_reports_the_best_within_bounds(write_tree) -> None:
    """A win rate above 1 would be needed: not feasible, lever at its bound, KGI there."""
    tree = _tree(write_tree, FUNNEL)
    solution = tree.solve(["win_rate"], target=200)  # would need win_rate 2.0
    assert not solution.feasible
    assert solution.values["win_rate"] == pytest.approx(1.0)
    assert solution.reached == pytest.approx(100.0)  # 1000 x 0.5 x 0.2 x 1
    assert solution.binding == {"win_rate": "high"}
    assert "no value of win_rate within bounds [0, 1]" in solution.plan.note


@pytest.mark.parametrize("mode", ["uniform", "weighted", "min-effort", "balanced"])
def test_every_mode_respects_bounds_when_the_target_is_out_of_reach(write_tree, mode) -> None:
    """Rates capped at 0.3: the target needs more, every lever stays within [0, 0.3]."""
    text = FUNNEL.replace("bounds: [0, 1]", "bounds: [0, 0.6]")
    tree = _tree(write_tree, text)
    levers = ["mql_rate", "sql_rate", "win_rate"]
    # Highest reachable: 1000 x 0.6 x 0.6 x 0.6 = 216; ask for 300.
    solution = tree.solve(levers, mode=mode, target=300)
    assert not solution.feasible
    for name in levers:
        assert 0 <= solution.values[name] <= 0.6
    if mode in ("min-effort", "balanced"):  # every lever pushed to the bound that helps
        assert solution.binding == dict.fromkeys(levers, "high")
        assert solution.reached == pytest.approx(216)
    else:  # the common change stops where the first lever (mql_rate, 0.5 -> 0.6) hits 0.6
        assert solution.binding["mql_rate"] == "high"
        assert "mql_rate" in solution.plan.note


@pytest.mark.parametrize("mode", ["uniform", "weighted", "min-effort"])
def test_every_mode_respects_bounds_when_feasible(write_tree, mode) -> None:
    """sql_rate capped at +10 %: weighted (sql_rate weight 0.1) and min-effort reach +60 % within
    bounds; uniform cannot (the common change stops at +10 %) and says sql_rate binds."""
    text = FUNNEL.replace(
        "sql_rate: {value: 0.2, bounds: [0, 1]", "sql_rate: {value: 0.2, bounds: [0, 0.22]"
    )
    tree = _tree(write_tree, text)
    levers = ["leads", "sql_rate"]
    weights = {"sql_rate": 0.1} if mode == "weighted" else None
    solution = tree.solve(levers, mode=mode, target=40, weights=weights)
    assert 0 <= solution.values["sql_rate"] <= 0.22
    if mode == "uniform":
        assert not solution.feasible
        assert solution.binding == {"leads": None, "sql_rate": "high"}
        assert solution.reached == pytest.approx(25 * 1.1**2)
        return
    assert solution.feasible
    assert solution.values["leads"] >= 0
    assert _round_trip(solution) < 1e-9


def test_min_effort_matches_a_hand_solved_linear_program(write_tree) -> None:
    """Efforts leads 2, mql_rate 1, sql_rate 3; mql_rate capped at 0.6: it moves first, to its
    bound, then leads (cheaper than sql_rate) closes the rest: 40 / (0.6 x 0.2 x 0.25)."""
    text = FUNNEL.replace(
        "mql_rate: {value: 0.5, bounds: [0, 1]", "mql_rate: {value: 0.5, bounds: [0, 0.6]"
    )
    tree = _tree(write_tree, text)
    solution = tree.solve(["leads", "mql_rate", "sql_rate"], mode="min-effort", target=40)
    assert "linear program" in solution.plan.method
    assert solution.values["mql_rate"] == pytest.approx(0.6, rel=1e-9)
    assert solution.values["leads"] == pytest.approx(40 / (0.6 * 0.2 * 0.25), rel=1e-9)
    assert solution.values["sql_rate"] == pytest.approx(0.2, rel=1e-9)
    assert solution.binding["mql_rate"] == "high"
    # effort = 1 x ln(0.6/0.5) + 2 x ln(leads / 1000)
    expected = math.log(1.2) + 2 * math.log(40 / (0.6 * 0.2 * 0.25) / 1000)
    assert solution.plan.effort == pytest.approx(expected, rel=1e-9)


def test_min_effort_by_slsqp_on_a_sum_matches_the_hand_solution(write_tree) -> None:
    """new = leads x r - 10 is not a product, so SLSQP runs; in log terms the constraint is
    still ln(leads) + ln(r) = ln(50 / 10), so the cheaper lever (r, effort 1, capped at 0.015)
    goes to its bound and leads does the rest: leads = 50 / 0.015."""
    tree = _tree(
        write_tree,
        """
        name: sum
        kgi: new
        nodes:
          leads: {value: 1000, bounds: [0, null], effort: 2}
          r: {value: 0.01, bounds: [0, 0.015], effort: 1}
          new: {formula: leads * r - 10}
        """,
    )
    solution = tree.solve(["leads", "r"], mode="min-effort", target=40)
    assert "SLSQP" in solution.plan.method
    assert solution.values["r"] == pytest.approx(0.015, rel=1e-6)
    assert solution.values["leads"] == pytest.approx(50 / 0.015, rel=1e-6)
    assert _round_trip(solution) < 1e-9


def test_min_effort_on_a_timed_product_matches_the_linear_program(write_tree) -> None:
    """With M0 = 0 the timed ARR is 12 x 10 x leads x win_rate x arpu, a product: SLSQP on the
    timed tree must give the LP answer (arpu effort 1 up to 1500, then leads effort 2)."""
    text = (
        TIMED.replace("initial: 50_000", "initial: 0")
        .replace(
            "arpu: {value: 1000, bounds: [0, null]",
            "arpu: {value: 1000, bounds: [0, 1500], effort: 1",
        )
        .replace(
            "leads: {value: 100, bounds: [0, null]",
            "leads: {value: 100, bounds: [0, null], effort: 2",
        )
        .replace(
            "win_rate: {value: 0.1, bounds: [0, 1]",
            "win_rate: {value: 0.1, bounds: [0, 1], effort: 5",
        )
    )
    tree = _tree(write_tree, text)
    solution = tree.solve(["leads", "win_rate", "arpu"], mode="min-effort", target=2_400_000)
    assert "SLSQP" in solution.plan.method
    assert solution.values["arpu"] == pytest.approx(1500, rel=1e-6)
    assert solution.values["win_rate"] == pytest.approx(0.1, rel=1e-6)
    assert solution.values["leads"] == pytest.approx(2_400_000 / (120 * 0.1 * 1500), rel=1e-6)


def test_timed_tree_monthly_leads_for_an_arr_goal(write_tree) -> None:
    """Leads L every month: ARR_12 = 12 (50,000 + 10 L x 0.1 x 1000), so L = (T/12 - 50,000) / 1000."""
    tree = _tree(write_tree, TIMED)
    solution = tree.solve(["leads"])
    assert solution.values["leads"] == pytest.approx((1_800_000 / 12 - 50_000) / 1000, rel=1e-9)
    assert "scan" in solution.plan.method
    assert _round_trip(solution) < 1e-9


def test_per_period_lever_is_scaled_by_a_common_factor(write_tree) -> None:
    """A seasonal leads list is scaled as a whole: factor s = (T/12 - 50,000) / (100 x sum of
    months 1..10)."""
    profile = [50, 60, 70, 80, 90, 100, 110, 120, 130, 140, 150, 160]
    text = TIMED.replace("leads: {value: 100", f"leads: {{value: {profile}")
    tree = _tree(write_tree, text)
    solution = tree.solve(["leads"])
    factor = (1_800_000 / 12 - 50_000) / (100 * sum(profile[:10]))
    assert solution.values["leads"] == pytest.approx(tuple(factor * v for v in profile), rel=1e-9)
    assert solution.changes["leads"] == pytest.approx(factor - 1, rel=1e-9)


RETENTION = """
name: retention
kgi: retained
nodes:
  churn: {value: 0.02, bounds: [0, 1]}
  retained: {formula: (1 - churn) ** 12, target: 0.5}
"""


def test_domain_root_outside_bounds_is_not_returned(write_tree) -> None:
    """(1 - churn)^12 = 0.5 also holds at churn = 2 - 0.5^(1/12) (about 1.94), outside [0, 1]."""
    tree = _tree(write_tree, RETENTION)
    solution = tree.solve(["churn"])
    assert solution.values["churn"] == pytest.approx(1 - 0.5 ** (1 / 12), rel=1e-12)
    assert solution.plan.roots == pytest.approx((1 - 0.5 ** (1 / 12),))
    assert solution.plan.method.startswith("exact")


def test_several_roots_within_bounds_are_all_reported(write_tree) -> None:
    """With bounds [0, 3] both roots are in: both reported, the one nearest 0.02 returned."""
    tree = _tree(write_tree, RETENTION.replace("bounds: [0, 1]", "bounds: [0, 3]"))
    solution = tree.solve(["churn"])
    low, high = 1 - 0.5 ** (1 / 12), 1 + 0.5 ** (1 / 12)
    assert solution.plan.roots == pytest.approx((low, high), rel=1e-12)
    assert solution.values["churn"] == pytest.approx(low, rel=1e-12)
    assert "2 values of churn within bounds" in solution.plan.note


def test_scan_finds_roots_sympy_is_not_asked_for(write_tree) -> None:
    """A max() keeps sympy out; the scan + brentq still finds both roots of a tent."""
    tree = _tree(
        write_tree,
        """
        name: tent
        kgi: y
        nodes:
          x: {value: 0.5, bounds: [0, 4]}
          y: {formula: "min(x, 4 - x)"}
        """,
    )
    solution = tree.solve(["x"], target=1)
    assert solution.plan.roots == pytest.approx((1.0, 3.0), rel=1e-12)
    assert solution.values["x"] == pytest.approx(1.0)
    assert "scan" in solution.plan.method


def test_decreasing_lever_moves_down_in_every_mode(write_tree) -> None:
    """Raising retained customers needs lower churn: uniform mode moves churn down by the same
    relative amount as it moves the base up; (1 + u)(1 - u) ... solved and round-tripped."""
    tree = _tree(
        write_tree,
        """
        name: base
        kgi: kept
        nodes:
          customers: {value: 1000, bounds: [0, null]}
          churn: {value: 0.1, bounds: [0, 1]}
          kept: {formula: customers * (1 - churn)}
        """,
    )
    for mode in ("uniform", "min-effort", "balanced"):
        solution = tree.solve(["customers", "churn"], mode=mode, target=1000)
        assert solution.values["churn"] <= 0.1
        assert solution.values["customers"] >= 1000
        assert _round_trip(solution) < 1e-9
    # Uniform: 1000 (1 + u) (1 - 0.1 (1 - u)) = 1000 -> 0.1 u^2 + u - 0.1 ... closed form:
    # (1 + u)(0.9 + 0.1 u) = 1  <=>  0.1 u^2 + u - 0.1 = 0  <=>  u = (-1 + sqrt(1.04)) / 0.2
    uniform = tree.solve(["customers", "churn"], mode="uniform", target=1000)
    u = (-1 + math.sqrt(1.04)) / 0.2
    assert uniform.changes["customers"] == pytest.approx(u, rel=1e-9)
    assert uniform.changes["churn"] == pytest.approx(-u, rel=1e-9)


@pytest.mark.parametrize(
    ("tree_file", "levers", "mode"),
    [
        ("saas_arr.yaml", ["win_rate"], "uniform"),
        ("saas_arr.yaml", ["churn_rate"], "uniform"),
        ("saas_arr.yaml", ["sql_rate", "win_rate"], "uniform"),
        ("saas_arr.yaml", ["sql_rate", "win_rate", "churn_rate"], "weighted"),
        ("saas_arr.yaml", ["sql_rate", "win_rate", "churn_rate"], "min-effort"),
        ("unit_economics.yaml", ["monthly_churn"], "uniform"),
        ("unit_economics.yaml", ["arpu", "new_customers"], "min-effort"),
        ("sales_velocity.yaml", ["win_rate", "avg_deal_size", "sales_cycle_months"], "min-effort"),
        ("sales_velocity.yaml", ["win_rate", "sales_cycle_months"], "uniform"),
        ("webinar_case.yaml", ["registrations"], "uniform"),
    ],
)
def test_round_trip_on_the_example_trees(tree_file, levers, mode) -> None:
    """Evaluating the tree at the solved inputs gives the target within 1e-9 relative."""
    tree = kpitree.load(TREES / tree_file)
    solution = tree.solve(levers, mode=mode)
    assert solution.feasible
    assert _round_trip(solution) < 1e-9
    for lever in solution.levers:
        node = tree.nodes[lever.name]
        assert all(node.within_bounds(v) for v in np.atleast_1d(solution.values[lever.name]))


@settings(max_examples=25, deadline=None)
@given(
    target=st.floats(min_value=1.0, max_value=600.0),  # uniform tops out at 625 (sql_rate 1)
    mode=st.sampled_from(["uniform", "weighted", "min-effort", "balanced"]),
)
def test_solve_then_evaluate_hits_the_target(tmp_path_factory, target, mode) -> None:
    """Any target the funnel can reach (up to 625 in uniform mode) is hit in every mode."""
    path = tmp_path_factory.mktemp("funnel") / "funnel.yaml"
    if not path.exists():
        import textwrap

        path.write_text(textwrap.dedent(FUNNEL).lstrip("\n"), encoding="utf-8")
    tree = kpitree.load(path)
    solution = tree.solve(["leads", "sql_rate"], mode=mode, target=target)
    assert solution.feasible
    assert _round_trip(solution) < 1e-9
