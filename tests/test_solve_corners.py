"""Goal seek where a naive method goes wrong: min-effort on sums (checked against a brute-force
grid), a node flat at exactly the target, a minimum that touches it, and what an out-of-reach
common change reports."""

from __future__ import annotations

import math

import numpy as np
import pytest

import kpitree

# (a, a's bounds, a's effort, b, b's bounds, b's effort, formula, target)
SUMS = [
    pytest.param(1, (0.5, 10), 1, 1, (0.5, 10), 1, "a + b", 3, id="equal-efforts"),
    pytest.param(1, (0.5, 10), 1, 2, (0.5, 10), 2, "a + b", 5, id="different-efforts"),
    pytest.param(1, (0.5, 1.5), 1, 1, (0.5, 10), 3, "a + b", 4, id="cheap-lever-capped"),
    pytest.param(2, (0.5, 10), 3, 1, (0.5, 10), 1, "a + 2 * b", 6, id="weighted-sum"),
    pytest.param(3, (1, 10), 2, 1, (0.2, 2), 1, "a - b", 3.5, id="b-moves-down"),
]


def _brute_force(a, a_bounds, a_effort, b, b_bounds, b_effort, formula, target) -> float:
    """Least effort on a grid of a's log move, b solved in closed form from the formula."""
    coefficient, sign = {"a + b": (1, 1), "a + 2 * b": (2, 1), "a - b": (1, -1)}[formula]
    # a only ever moves up here (it raises the node); b moves up in a sum, down in a - b.
    grid = np.linspace(0.0, math.log(a_bounds[1] / a), 200_001)
    new_a = a * np.exp(grid)
    with np.errstate(all="ignore"):
        new_b = sign * (target - new_a) / coefficient
        move_b = np.abs(np.log(new_b / b))
    ok = (new_b >= b_bounds[0]) & (new_b <= b_bounds[1]) & (np.sign(new_b - b) * sign >= 0)
    return float(np.min(np.where(ok, a_effort * grid + b_effort * move_b, np.inf)))


@pytest.mark.parametrize(("a", "ab", "ae", "b", "bb", "be", "formula", "target"), SUMS)
def test_min_effort_on_sums_matches_a_brute_force_grid(a, ab, ae, b, bb, be, formula, target):
    """On two-lever sums the least effort is a corner, not the uniform move SLSQP starts from:
    the solver's effort equals the grid's minimum, and the target is hit within bounds."""
    tree = kpitree.loads(
        f"""
        name: sums
        kgi: k
        nodes:
          a: {{value: {a}, bounds: [{ab[0]}, {ab[1]}], effort: {ae}}}
          b: {{value: {b}, bounds: [{bb[0]}, {bb[1]}], effort: {be}}}
          k: {{formula: "{formula}"}}
        """
    )
    solution = tree.solve(["a", "b"], mode="min-effort", target=target)
    best = _brute_force(a, ab, ae, b, bb, be, formula, target)
    assert "SLSQP" in solution.plan.method  # not the product (linear program) path
    assert solution.feasible
    # The grid steps by at most ln(20) / 200_000 in a's log move: at effort <= 3 its minimum
    # is within 5e-5 above the true one, and the solver is never above the true one.
    assert best - 5e-5 <= solution.plan.effort <= best + 1e-9
    assert solution.reached == pytest.approx(target, rel=1e-12)
    for name, (low, high) in (("a", ab), ("b", bb)):
        assert low <= solution.values[name] <= high


def test_min_effort_equal_sum_moves_one_lever_alone() -> None:
    """a + b from 2 to 3 at equal efforts: moving one lever to 2 costs ln 2, the even split
    (1.5, 1.5) costs 2 ln 1.5 = 0.811."""
    tree = kpitree.loads(
        """
        name: sum
        kgi: k
        nodes:
          a: {value: 1, bounds: [0.5, 10]}
          b: {value: 1, bounds: [0.5, 10]}
          k: {formula: a + b}
        """
    )
    solution = tree.solve(["a", "b"], mode="min-effort", target=3)
    assert solution.plan.effort == pytest.approx(math.log(2), rel=1e-12)
    assert sorted(solution.values.values()) == pytest.approx([1.0, 2.0], rel=1e-12)


FLAT = """
name: flat
kgi: k
nodes:
  x: {value: VALUE, bounds: [0, 10]}
  k: {formula: "FORMULA"}
"""


def _flat(formula: str, value: float) -> kpitree.Tree:
    return kpitree.loads(FLAT.replace("FORMULA", formula).replace("VALUE", str(value)))


def test_flat_at_the_target_returns_the_nearest_edge_of_the_interval() -> None:
    """min(x, 4) = 4 for every x in [4, 10]: from x = 1 the smallest move is to 4 exactly; one
    interval is reported, not every scan point, and the note says it is flat."""
    solution = _flat("min(x, 4)", 1).solve(["x"], target=4)
    assert solution.feasible
    assert solution.values["x"] == 4.0
    assert solution.plan.roots == (4.0,)
    assert solution.plan.intervals == ((4.0, 10.0),)
    assert "k is flat at the target 4 for x between 4 and 10" in solution.plan.note
    assert "monotone" not in solution.plan.note
    assert solution.to_dict()["flat"] == [[4.0, 10.0]]


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1, 3.0), (7, math.nextafter(4.0, 0.0)), (3.5, 3.5)],
    ids=["from-below", "from-above", "inside"],
)
def test_floor_plateau_edges_are_exact(value, expected) -> None:
    """floor(x) = 3 on [3, 4): the edge nearest the current value, to the last bit (the largest
    float below 4 from above), or no move at all from inside."""
    solution = _flat("floor(x)", value).solve(["x"], target=3)
    assert solution.values["x"] == expected
    assert solution.reached == 3.0
    ((low, high),) = solution.plan.intervals
    assert (low, high) == (3.0, math.nextafter(4.0, 0.0))


def test_a_minimum_touching_the_target_is_a_root() -> None:
    """min((x - c)^2, 10) = 0 only at x = c, with no sign change to bracket: feasible at c;
    (x - 3)^2 + 1 never reaches 0 and stays not feasible at its minimum 1."""
    c = 2.1234567
    touching = kpitree.loads(
        f"name: t\nkgi: k\nnodes:\n  x: {{value: 1, bounds: [-5, 5]}}\n"
        f"  k: {{formula: 'min((x - {c})**2, 10)'}}\n"
    )
    solution = touching.solve(["x"], target=0)
    assert solution.feasible
    assert solution.values["x"] == pytest.approx(c, rel=1e-9)
    assert len(solution.plan.roots) == 1
    above = kpitree.loads(
        "name: t\nkgi: k\nnodes:\n  x: {value: 1, bounds: [0, 100]}\n"
        "  k: {formula: 'min((x - 3)**2 + 1, 1e6)'}\n"
    )
    missed = above.solve(["x"], target=0)
    assert not missed.feasible
    assert missed.reached == pytest.approx(1.0, rel=1e-12)


def test_uniform_out_of_reach_reports_where_the_first_lever_stops() -> None:
    """a x b x (1 - c) with b capped at 1.5: the common +50 % stops there (1.5 x 1.5 x 0.9 =
    2.025), below what min-effort reaches with every lever at its bound (2 x 1.5 x 0.95 =
    2.85); the note says the value is where b stops, not the most reachable."""
    tree = kpitree.loads(
        """
        name: t
        kgi: k
        nodes:
          a: {value: 1, bounds: [0, 2]}
          b: {value: 1, bounds: [0, 1.5]}
          c: {value: 0.2, bounds: [0.05, 1]}
          k: {formula: "a * b * (1 - c)"}
        """
    )
    uniform = tree.solve(["a", "b", "c"], target=10, mode="uniform")
    most = tree.solve(["a", "b", "c"], target=10, mode="min-effort")
    assert not uniform.feasible
    assert not most.feasible
    assert uniform.reached == pytest.approx(1.5 * 1.5 * 0.9, rel=1e-12)
    assert most.reached == pytest.approx(2 * 1.5 * 0.95, rel=1e-12)
    assert "where b reaches a bound" in uniform.plan.note
    assert "not the most the levers can reach" in uniform.plan.note
