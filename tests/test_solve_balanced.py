"""``--mode balanced``: the least sum(effort x ln(new/old)^2), checked against its closed form
on products, a bound that binds, a sum solved by its optimality condition, and timed trees."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from conftest import TREES
from scipy.optimize import brentq

import kpitree
from kpitree.analysis.balanced import CLOSED, GENERAL

PRODUCT = """
name: product
kgi: won
nodes:
  leads: {value: 100, bounds: [0, null], effort: 1}
  sql_rate: {value: 0.1, bounds: [0, B_HIGH], effort: 2}
  win_rate: {value: 0.25, bounds: [0, 1], effort: 4}
  won: {formula: leads * sql_rate * win_rate, target: 5}
"""
"""won = 100 x 0.1 x 0.25 = 2.5 today; the target 5 doubles it."""

LEVERS = ["leads", "sql_rate", "win_rate"]


def _logs(solution, tree) -> np.ndarray:
    return np.array([math.log(solution.values[n] / tree.nodes[n].value) for n in LEVERS])


def test_product_log_changes_are_proportional_to_one_over_effort() -> None:
    """Doubling a product with efforts 1, 2, 4: y_i = lam / effort_i with lam (1 + 1/2 + 1/4)
    = ln 2, so y = (4, 2, 1) ln 2 / 7; the effort is sum(e y^2) = (ln 2)^2 / 1.75."""
    tree = kpitree.loads(PRODUCT.replace("B_HIGH", "1"))
    solution = tree.solve(LEVERS, mode="balanced")
    assert solution.feasible
    assert solution.plan.method == CLOSED
    assert _logs(solution, tree) == pytest.approx(np.array([4, 2, 1]) * math.log(2) / 7, rel=1e-12)
    assert solution.reached == pytest.approx(5, rel=1e-12)
    assert solution.plan.effort == pytest.approx(math.log(2) ** 2 / 1.75, rel=1e-12)


def test_a_bound_that_binds_passes_the_rest_to_the_others() -> None:
    """sql_rate capped at 0.11 (y at most ln 1.1, below its free 2 ln 2 / 7): it sits on the
    bound, and leads and win_rate share ln 2 - ln 1.1 as lam (1 + 1/4), so y_leads = 4 y_win."""
    tree = kpitree.loads(PRODUCT.replace("B_HIGH", "0.11"))
    solution = tree.solve(LEVERS, mode="balanced")
    lam = (math.log(2) - math.log(1.1)) / 1.25
    assert _logs(solution, tree) == pytest.approx([lam, math.log(1.1), lam / 4], rel=1e-12)
    assert solution.binding["sql_rate"] == "high"
    assert solution.reached == pytest.approx(5, rel=1e-12)


def test_exponents_weigh_the_share() -> None:
    """node = a^2 x b, equal efforts: y = lam (2, 1) with 2 (2 lam) + lam = ln 3, so
    y_a = 2 ln 3 / 5 and y_b = ln 3 / 5."""
    tree = kpitree.loads(
        """
        name: power
        kgi: k
        nodes:
          a: {value: 2, bounds: [0, null]}
          b: {value: 5, bounds: [0, null]}
          k: {formula: "a ** 2 * b"}
        """
    )
    solution = tree.solve(["a", "b"], mode="balanced", target=60)
    assert math.log(solution.values["a"] / 2) == pytest.approx(2 * math.log(3) / 5, rel=1e-12)
    assert math.log(solution.values["b"] / 5) == pytest.approx(math.log(3) / 5, rel=1e-12)


def test_balanced_shares_where_min_effort_does_not() -> None:
    """On the product, min-effort moves only leads (the cheapest, doubling it); balanced moves
    every lever and costs more linear effort but less squared effort."""
    tree = kpitree.loads(PRODUCT.replace("B_HIGH", "1"))
    cheapest = tree.solve(LEVERS, mode="min-effort")
    assert cheapest.values == pytest.approx({"leads": 200, "sql_rate": 0.1, "win_rate": 0.25})
    shared = tree.solve(LEVERS, mode="balanced")
    assert all(change > 0 for change in shared.changes.values())
    assert shared.plan.effort < math.log(2) ** 2  # min-effort's move, squared


def test_lower_is_better_product_moves_the_right_way() -> None:
    """CAC = cost / (leads x rate), efforts 1 and 3, target 3/4 of today: p = (-1, -1), so
    y = -lam (1, 1/3) with lam (1 + 1/3) = ln(3/4): both inputs rise, by 3/4 and 1/4 of
    ln(4/3)."""
    tree = kpitree.loads(
        """
        name: cac
        kgi: cac
        nodes:
          cost: {value: 1000, bounds: [0, null]}
          leads: {value: 50, bounds: [0, null], effort: 1}
          rate: {value: 0.2, bounds: [0, 1], effort: 3}
          cac: {formula: cost / (leads * rate), direction: lower}
        """
    )
    solution = tree.solve(["leads", "rate"], mode="balanced", target=75)
    assert math.log(solution.values["leads"] / 50) == pytest.approx(0.75 * math.log(4 / 3))
    assert math.log(solution.values["rate"] / 0.2) == pytest.approx(0.25 * math.log(4 / 3))
    assert solution.reached == pytest.approx(75, rel=1e-12)


def test_a_sum_meets_the_optimality_condition() -> None:
    """k = a + b (not a product), a = b = 1, efforts 1 and 4, target 4: at the optimum
    2 e_i y_i = mu e^(y_i), so y_a e^(-y_a) = 4 y_b e^(-y_b), with e^y_a + e^y_b = 4; solved
    here on one line by brentq."""
    tree = kpitree.loads(
        """
        name: sum
        kgi: k
        nodes:
          a: {value: 1, bounds: [0, null], effort: 1}
          b: {value: 1, bounds: [0, null], effort: 4}
          k: {formula: a + b}
        """
    )
    solution = tree.solve(["a", "b"], mode="balanced", target=4)
    assert solution.plan.method == GENERAL

    def condition(ya: float) -> float:
        yb = math.log(4 - math.exp(ya))
        return ya * math.exp(-ya) - 4 * yb * math.exp(-yb)

    ya = brentq(condition, math.log(2), math.log(3.5))
    assert math.log(solution.values["a"]) == pytest.approx(ya, rel=1e-5)
    assert solution.values["a"] + solution.values["b"] == pytest.approx(4, rel=1e-12)


def test_out_of_reach_leaves_every_lever_at_the_bound_that_helps() -> None:
    """With both rates capped at 1 and leads at 200, won can reach 200 at most: the target
    1000 is out of reach and each lever sits at its upper bound."""
    tree = kpitree.loads(
        PRODUCT.replace("B_HIGH", "1").replace("leads: {value: 100, bounds: [0, null]",
                                                  "leads: {value: 100, bounds: [0, 200]")
    )  # fmt: skip
    solution = tree.solve(LEVERS, mode="balanced", target=1000)
    assert not solution.feasible
    assert solution.values == pytest.approx({"leads": 200, "sql_rate": 1, "win_rate": 1})
    assert solution.reached == pytest.approx(200)


def test_bundled_timed_tree_reaches_the_target(cli) -> None:
    """On saas_arr (timed, so not the closed form) balanced reaches 1.4 bn, moves every lever
    up, and costs no more squared effort than the uniform move; the CLI prints the measure."""
    tree = kpitree.load(TREES / "saas_arr.yaml")
    levers = ["sql_rate", "win_rate", "visit_cvr"]
    shared = tree.solve(levers, mode="balanced")
    assert shared.feasible
    assert tree.evaluate(overrides=shared.values).kgi_value == pytest.approx(1.4e9, rel=1e-9)
    uniform = tree.solve(levers, mode="uniform")
    efforts = {name: tree.nodes[name].effort for name in levers}

    def squared(solution) -> float:
        return sum(efforts[n] * math.log(1 + c) ** 2 for n, c in solution.changes.items())

    assert squared(shared) <= squared(uniform) * (1 + 1e-9)
    assert all(change > 0 for change in shared.changes.values())
    status, out, _ = cli(
        "solve", TREES / "saas_arr.yaml", "--lever", "sql_rate", "--lever", "win_rate",
        "--mode", "balanced", "--format", "json",
    )  # fmt: skip
    assert (status, json.loads(out)["mode"]) == (0, "balanced")


def test_out_of_reach_on_a_timed_tree_stops_at_the_bounds() -> None:
    """On saas_arr, 1,000 bn ARR is out of reach of sql_rate and win_rate within bounds [0, 1]:
    not feasible, both at 1 (the bound that helps), the ARR reported is the tree's there."""
    tree = kpitree.load(TREES / "saas_arr.yaml")
    solution = tree.solve(["sql_rate", "win_rate"], mode="balanced", target=1e12)
    assert not solution.feasible
    assert solution.values == pytest.approx({"sql_rate": 1.0, "win_rate": 1.0})
    expected = tree.evaluate(overrides={"sql_rate": 1.0, "win_rate": 1.0}).kgi_value
    assert solution.reached == pytest.approx(expected, rel=1e-12)
    assert "out of reach" in solution.plan.note


@pytest.mark.parametrize("seed", range(6))
def test_random_products_match_a_general_qp_solver(seed: int) -> None:
    """On random products (exponents 1, 2, -1 or 0.5, random efforts and upper bounds, some
    binding) the balanced solve equals scipy's SLSQP on the same convex problem in log space,
    min sum(e y^2) with p . y = ln(target / current) and the bounds in logs; out of reach,
    every lever sits at the bound that helps."""
    from scipy.optimize import minimize

    rng = np.random.default_rng(seed)
    count = 4
    powers = rng.choice([1.0, 2.0, -1.0, 0.5], size=count)
    efforts = rng.uniform(0.5, 4, size=count)
    values = rng.uniform(1, 10, size=count)
    highs = values * rng.uniform(1.05, 1.5, size=count)
    lows = values * rng.uniform(0.67, 0.95, size=count)
    names = [f"x{i}" for i in range(count)]
    lines = [
        f"  {n}: {{value: {float(v)!r}, bounds: [{float(lo)!r}, {float(hi)!r}], "
        f"effort: {float(e)!r}}}"
        for n, v, lo, hi, e in zip(names, values, lows, highs, efforts, strict=True)
    ]
    formula = " * ".join(f"{n} ** {float(p)!r}" for n, p in zip(names, powers, strict=True))
    tree = kpitree.loads(
        "name: r\nkgi: k\nnodes:\n" + "\n".join(lines) + f'\n  k: {{formula: "{formula}"}}\n'
    )
    current = tree.evaluate().kgi_value
    gap = math.log(1.5)  # half as much again: some bounds bind, the sum still reachable
    lo, hi = np.log(lows / values), np.log(highs / values)
    reference = minimize(
        lambda y: float(efforts @ y**2),
        np.zeros(count),
        jac=lambda y: 2 * efforts * y,
        bounds=list(zip(lo, hi, strict=True)),
        constraints=[{"type": "eq", "fun": lambda y: powers @ y - gap, "jac": lambda y: powers}],
        method="SLSQP",
        options={"ftol": 1e-15, "maxiter": 500},
    )
    solution = tree.solve(names, mode="balanced", target=current * 1.5)
    ours = np.array([math.log(solution.values[n] / v) for n, v in zip(names, values, strict=True)])
    if powers @ np.where(powers > 0, hi, lo) < gap:  # out of reach: each at the bound that helps
        assert not solution.feasible
        assert ours == pytest.approx(np.where(powers > 0, hi, lo), abs=1e-12)
        return
    assert reference.success
    assert solution.feasible
    assert ours == pytest.approx(reference.x, abs=1e-6)
    assert efforts @ ours**2 <= efforts @ reference.x**2 + 1e-12
