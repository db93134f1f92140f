"""Solve and period attribution on trees that defeat one substituted expression (a node read twice
per level doubles it; a 2,000-formula chain nests it 2,000 deep), against closed forms worked by
hand, each within a time limit so a regression fails instead of hanging."""

from __future__ import annotations

import itertools
import json
import math
import signal
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pytest

import kpitree
from kpitree.analysis.bracket import narrow
from kpitree.analysis.lever_shape import is_linear

# The old whole-expression code took 16 s at 14 levels and more than 60 s at 16.
LIMIT = 5.0


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise TimeoutError in the block after ``seconds`` (wall clock)."""

    def expire(signum: int, frame: object) -> None:
        raise TimeoutError(f"took more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def doubling(levels: int, *, timed: bool) -> str:
    """n_i = min(n_{i-1}, a + i) + max(n_{i-1}, b): each level reads the one below twice."""
    if timed:
        head = [
            "time: {periods: 3}",
            "nodes:",
            "  a: {value: [1, 2, 4], bounds: [0, null], owner: sales}",
            "  b: {value: [2, 3, 1], bounds: [0, null], owner: ops}",
            "  n0: {formula: a + b + prev(n0) / 2, initial: 1, owner: finance}",
        ]
    else:
        head = [
            "nodes:",
            "  a: {value: 1, bounds: [0, null]}",
            "  b: {value: 2, bounds: [0, null]}",
            "  n0: {formula: a + b}",
        ]
    levels_ = [
        f'  n{i}: {{formula: "min(n{i - 1}, a + {i}) + max(n{i - 1}, b)"}}'
        for i in range(1, levels + 1)
    ]
    return "\n".join(["name: doubling", f"kgi: n{levels}", *head, *levels_]) + "\n"


def _hand_doubling(levels: int, a: float, b: float, carried: float) -> float:
    """The top node by plain Python, from a, b and the prev(n0) read."""
    n = a + b + carried / 2
    for i in range(1, levels + 1):
        n = min(n, a + i) + max(n, b)
    return n


def _hand_shapley(worth, before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """Shapley values as the average marginal gain over every order of the players."""
    players = list(before)
    totals = dict.fromkeys(players, 0.0)
    orders = list(itertools.permutations(players))
    for order in orders:
        state = dict(before)
        for player in order:
            gained = worth(state)
            state[player] = after[player]
            totals[player] += (worth(state) - gained) / len(orders)
    return totals


@pytest.mark.parametrize(("levels", "target"), [(16, 200.0), (20, 300.0)])
def test_doubling_tree_solve_is_the_hand_root(levels, target) -> None:
    """Every n_{i-1} stays above a + i and b, so n_L = (L + 1) a + b + L (L + 1) / 2 and the one
    root is a = (target - 2 - L (L + 1) / 2) / (L + 1), found within the time limit."""
    tree = kpitree.loads(doubling(levels, timed=False))
    tree.evaluate()  # compiled outside the limit: what is timed is the solve
    with time_limit(LIMIT):
        solution = tree.solve(["a"], target=target)
    expected = (target - 2 - levels * (levels + 1) / 2) / (levels + 1)
    assert solution.feasible
    assert solution.plan.roots == pytest.approx((expected,), rel=1e-12)
    assert solution.values["a"] == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("levels", [16, 20])
def test_doubling_tree_previous_period_matches_hand_shapley(levels) -> None:
    """attribute --previous, period 3 vs 2, equals the Shapley values of the hand-written F over
    a (2 -> 4), b (3 -> 1) and prev(n0) (3.5 -> 6.75), within the time limit."""
    tree = kpitree.loads(doubling(levels, timed=True))
    tree.evaluate()
    with time_limit(LIMIT):
        result = tree.attribute(previous=True)
    # n0(1) = 1 + 2 + 1/2 = 3.5, n0(2) = 2 + 3 + 3.5/2 = 6.75: the prev(n0) reads at 2 and 3.
    before = {"a": 2.0, "b": 3.0, "prev(n0)": 3.5}
    after = {"a": 4.0, "b": 1.0, "prev(n0)": 6.75}

    def worth(state: dict[str, float]) -> float:
        return _hand_doubling(levels, state["a"], state["b"], state["prev(n0)"])

    expected = _hand_shapley(worth, before, after)
    assert result.contributions == pytest.approx(expected, rel=1e-12)
    assert (result.base, result.new) == pytest.approx((worth(before), worth(after)), rel=1e-14)
    assert result.by_owner == pytest.approx(
        {"sales": expected["a"], "ops": expected["b"], "finance": expected["prev(n0)"]}
    )
    # Every level reads a, b and prev(n0) (through n0), small expression or not.
    assert result.by_node == pytest.approx(
        {f"n{i}": sum(expected.values()) for i in range(levels + 1)}, rel=1e-12
    )


def test_doubling_tree_previous_period_on_the_command_line(cli, write_tree) -> None:
    """kpitree attribute --previous on 20 levels answers (tree read and compiled included)
    within a few seconds, and its contributions add up to the change."""
    path = write_tree(doubling(20, timed=True))
    with time_limit(3 * LIMIT):
        status, out, _ = cli("attribute", path, "--previous", "--format", "json")
    assert status == 0
    data = json.loads(out)
    assert sum(data["contributions"].values()) == pytest.approx(data["delta"], rel=1e-12)
    assert data["delta"] == pytest.approx(
        _hand_doubling(20, 4, 1, 6.75) - _hand_doubling(20, 2, 3, 3.5), rel=1e-12
    )


@pytest.fixture(scope="module")
def log_chain() -> kpitree.Tree:
    """c_0 = x, c_i = log(1 + c_{i-1}) for i = 1 .. 2,000, compiled."""
    lines = [
        "name: chain",
        "kgi: c2000",
        "nodes:",
        "  x: {value: 1.0e-5, bounds: [0, null]}",
        "  c0: {formula: x}",
    ]
    lines += [f"  c{i}: {{formula: log(1 + c{i - 1})}}" for i in range(1, 2001)]
    tree = kpitree.loads("\n".join(lines) + "\n")
    tree.evaluate()
    return tree


def test_log_chain_of_2000_solves_to_the_inverse(log_chain) -> None:
    """The chain inverts step by step, c_{i-1} = exp(c_i) - 1: x = expm1 applied 2,000 times to
    the target. Rounding of 1 + c (c near 2e-5) is at most 1.1e-16 / 2e-5 = 6e-12 of c per
    level, 1.2e-8 over 2,000 levels, and x moves with c_2000 (elasticity about 1): rel 2e-8."""
    target = 1.9e-5
    expected = target
    for _ in range(2000):
        expected = math.expm1(expected)
    with time_limit(LIMIT):
        solution = log_chain.solve(["x"], target=target)
    assert solution.feasible
    assert solution.values["x"] == pytest.approx(expected, rel=2e-8)
    assert solution.reached == pytest.approx(target, rel=1e-9)


def test_linearity_is_read_formula_by_formula(write_tree) -> None:
    """A product of inputs is linear in each; min() is not, nor a product of two moved values;
    a prev() balance is linear in its inflow but not in its churn rate (prev(mrr) x churn)."""
    static = kpitree.loads(
        """
name: shapes
kgi: top
nodes:
  x: {value: 2}
  y: {value: 3}
  product: {formula: 4 * x * y}
  square: {formula: product * x}
  capped: {formula: "min(x, 5) + y"}
  top: {formula: square + capped}
"""
    )
    assert is_linear(static, "product", "x")
    assert not is_linear(static, "square", "x")
    assert not is_linear(static, "capped", "x")
    assert is_linear(static, "capped", "y")
    assert is_linear(static, "top", "y")
    timed = kpitree.loads(
        """
name: balance
kgi: mrr
time: {periods: 4}
nodes:
  new: {value: 10}
  churn: {value: 0.1}
  mrr: {formula: "prev(mrr) * (1 - churn) + new", initial: 100}
"""
    )
    assert is_linear(timed, "mrr", "new")
    assert not is_linear(timed, "mrr", "churn")


def test_linear_solve_uses_no_scan(write_tree) -> None:
    """A static node linear in the lever is solved from three evaluations, not a scan: the
    root of 4 x y + min(x, 5) + y = 60 in y with x = 2 is y = 58 / 9."""
    tree = kpitree.loads(
        """
name: shapes
kgi: top
nodes:
  x: {value: 2}
  y: {value: 3}
  top: {formula: "4 * x * y + min(x, 5) + y"}
"""
    )
    calls = []
    run = tree.engine.run

    def counted(*args, **options):
        calls.append(options.get("samples", 1))
        return run(*args, **options)

    tree.engine.run = counted  # type: ignore[method-assign]
    solution = tree.solve(["y"], target=60)
    assert solution.values["y"] == pytest.approx(58 / 9, rel=1e-14)
    assert solution.plan.method.startswith("exact: the node is linear")
    assert max(calls) <= 2  # no batch of scan points


def test_narrowing_a_smooth_bracket_takes_a_few_calls() -> None:
    """x^3 = 2 on [1, 2]: the cube root of 2 to the last bits in at most 5 batched calls."""
    calls = []

    def cube(points: np.ndarray) -> np.ndarray:
        calls.append(len(points))
        return points**3

    root, gap = narrow(cube, 2.0, (1.0, -1.0), (2.0, 6.0))
    assert root == pytest.approx(2 ** (1 / 3), rel=4e-16)
    assert abs(gap) <= 4 * np.finfo(float).eps
    assert len(calls) <= 5


def test_narrowing_a_jump_ends_on_it() -> None:
    """A step from -1 to 1 at 1.5 has no root: the bracket closes on the jump, whose gap (1)
    tells the caller it is not a solution."""

    def step(points: np.ndarray) -> np.ndarray:
        return np.where(points > 1.5, 1.0, -1.0)

    point, gap = narrow(step, 0.0, (1.0, -1.0), (2.0, 1.0))
    assert point == pytest.approx(1.5, rel=1e-15)
    assert abs(gap) == 1.0


def test_what_a_solve_learns_goes_with_the_tree() -> None:
    """The per-tree cache (linearity, the period function) is filled by a solve and an
    attribution, reused by the next, and emptied when the tree is gone (no leak per tree)."""
    import gc

    from kpitree.analysis import tree_cache

    tree = kpitree.loads(doubling(4, timed=True))
    tree.solve(["a"], target=100)
    tree.attribute(previous=True)
    store = tree_cache._STORE[tree]
    learnt = dict(store)
    tree.solve(["a"], target=120)
    tree.attribute(previous=True)
    assert all(store[key] is value for key, value in learnt.items())
    del tree, store
    gc.collect()
    assert not any(t.name == "doubling" and len(t.nodes) == 7 for t in tree_cache._STORE)


def test_period_function_compiles_its_own_formulas_when_the_engine_has_none(monkeypatch):
    """Without the engine's compiled formulas the period function compiles each one itself and
    gives the same attribution (the hand Shapley values of the 6-level doubling tree)."""
    from kpitree.analysis import period_function

    monkeypatch.setattr(period_function, "_engine_functions", lambda tree: {})
    tree = kpitree.loads(doubling(6, timed=True))
    result = tree.attribute(previous=True)
    before = {"a": 2.0, "b": 3.0, "prev(n0)": 3.5}
    after = {"a": 4.0, "b": 1.0, "prev(n0)": 6.75}
    expected = _hand_shapley(
        lambda state: _hand_doubling(6, state["a"], state["b"], state["prev(n0)"]), before, after
    )
    assert result.contributions == pytest.approx(expected, rel=1e-12)
