"""The compiled engine against hand-worked values and against direct sympy substitution."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kpitree
from kpitree.formula import node_symbol
from kpitree.node import Node
from kpitree.timeaxis import TimeAxis
from kpitree.tree import Tree

TIMED = """
name: mini
kgi: arr
time: {periods: 4, unit: month, start: 2027-11}
nodes:
  leads: {value: [100, 110, 120, 130]}
  win_rate: {value: 0.25, bounds: [0, 1]}
  won: {formula: "delay(leads, 1) * win_rate"}
  won_late: {formula: "delay(leads, 2, 7) * win_rate"}
  arpu: {value: 1000}
  churn: {value: 0.02}
  customers: {formula: "prev(customers) * (1 - churn) + won", initial: 50}
  mrr: {formula: customers * arpu}
  arr: {formula: mrr * 12}
  growth: {formula: "if(t > 2, 1.1 ^ t, min(1, max(0, t - 1.5)))"}
  ping: {formula: "prev(pong) + 1", initial: 0}
  pong: {formula: "ping * 2", initial: 0}
"""


def test_timed_tree_matches_a_hand_worked_month_by_month_loop() -> None:
    """prev reads initial at period 1, delay reads its default before k, t counts periods."""
    ev = kpitree.loads(TIMED).evaluate()
    assert ev.periods == ["2027-11", "2027-12", "2028-01", "2028-02"]
    leads = [100, 110, 120, 130]
    customers, expected = 50.0, []
    for period in range(4):
        won = (leads[period - 1] if period >= 1 else 0) * 0.25
        customers = customers * (1 - 0.02) + won
        expected.append(customers * 1000 * 12)
    assert ev["arr"] == pytest.approx(expected, rel=1e-15)
    assert ev["won_late"] == pytest.approx([7 * 0.25, 7 * 0.25, 25, 27.5])
    assert ev["growth"] == pytest.approx([0, 0.5, 1.1**3, 1.1**4])
    # a two-node loop through prev: ping(t) = pong(t-1) + 1, pong = 2 ping
    assert ev["ping"] == pytest.approx([1, 3, 7, 15])
    assert ev["pong"] == pytest.approx([2, 6, 14, 30])
    assert ev.kgi_value == pytest.approx(expected[-1])


def test_evaluation_frame_and_dict_shapes() -> None:
    """to_frame has one row per period and one column per node; to_dict is JSON-shaped."""
    ev = kpitree.loads(TIMED).evaluate(overrides={"win_rate": 0.5})
    frame = ev.to_frame()
    assert list(frame.index.astype(str)) == ev.periods
    assert list(frame.columns) == list(ev.tree.nodes)
    data = ev.to_dict()
    assert data["kgi"] == "arr"
    assert data["values"]["win_rate"] == [0.5] * 4
    assert data["values"]["won"][1] == 50.0


def test_engine_vectorises_over_samples() -> None:
    """A column of per-path draws gives per-path results equal to one-at-a-time evaluation."""
    tree = kpitree.loads(TIMED)
    rates = np.array([[0.1], [0.2], [0.3]])
    inputs = dict(tree.input_values())
    inputs["win_rate"] = rates
    batch = tree.engine.run(inputs, samples=3)["arr"]
    assert batch.shape == (3, 4)
    for row, rate in enumerate(rates[:, 0]):
        single = tree.evaluate(overrides={"win_rate": float(rate)})["arr"]
        np.testing.assert_allclose(batch[row], single, rtol=1e-15)


def test_per_period_noise_draws_are_used_per_cell() -> None:
    """A full (samples, periods) array of an input is read cell by cell."""
    tree = kpitree.loads(TIMED)
    inputs = dict(tree.input_values())
    leads = np.arange(8, dtype=float).reshape(2, 4) * 10 + 100
    inputs["leads"] = leads
    won = tree.engine.run(inputs, samples=2)["won"]
    np.testing.assert_allclose(won[:, 1:], leads[:, :-1] * 0.25)
    np.testing.assert_allclose(won[:, 0], 0)


def test_static_tree_values_and_scenarios() -> None:
    """A static tree evaluates once; a scenario replaces inputs and overrides come last."""
    tree = kpitree.loads(
        """
        name: funnel
        kgi: won
        nodes:
          leads: {value: 1000}
          mql_rate: {value: 0.4}
          sql_rate: {value: 0.15}
          win_rate: {value: 0.25}
          won: {formula: leads * mql_rate * sql_rate * win_rate}
        scenarios:
          good: {win_rate: 0.3, leads: 1200}
        """
    )
    assert tree.evaluate()["won"] == pytest.approx(15.0)
    assert tree.evaluate(scenario="good")["won"] == pytest.approx(1200 * 0.4 * 0.15 * 0.3)
    assert tree.evaluate(scenario="good", overrides={"leads": 100})["won"] == pytest.approx(1.8)
    assert tree.evaluate().periods is None


def test_tree_expression_substitutes_down_to_inputs() -> None:
    """Tree.expression gives the KGI as one formula of the inputs."""
    tree = kpitree.loads(
        "name: x\nkgi: c\nnodes:\n  a: {value: 2}\n  b: {formula: a * 3}\n  c: {formula: b + a}\n"
    )
    a = node_symbol("a")
    assert sympy.simplify(tree.expression("c") - 4 * a) == 0
    assert tree.inputs_of("c") == ["a"]


# -- property: random well-formed trees against sympy substitution ------------------------------
OPERATIONS = ["+", "-", "*", "/", "min", "max"]


@st.composite
def random_tree(draw: st.DrawFn) -> tuple[Tree, dict[str, float]]:
    n_inputs = draw(st.integers(1, 5))
    n_derived = draw(st.integers(1, 8))
    values = {
        f"x{i}": draw(st.floats(0.1, 100, allow_nan=False, allow_infinity=False))
        for i in range(n_inputs)
    }
    nodes = [Node(name, value=value) for name, value in values.items()]
    names = list(values)
    for j in range(n_derived):
        left, right = draw(st.sampled_from(names)), draw(st.sampled_from(names))
        operation = draw(st.sampled_from(OPERATIONS))
        if operation in ("min", "max"):
            text = f"{operation}({left}, {right})"
        elif operation == "/":
            text = f"{left} / (1 + abs({right}))"
        else:
            text = f"{left} {operation} {right} * 0.5"
        name = f"d{j}"
        nodes.append(Node(name, formula=text))
        names.append(name)
    return Tree("random", names[-1], nodes), values


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_tree())
def test_compiled_evaluation_equals_sympy_substitution(case) -> None:
    """Every node of a random tree evaluates to its exact sympy value (Rational inputs)."""
    tree, values = case
    ev = tree.evaluate()
    exact = {node_symbol(name): sympy.Rational(value) for name, value in values.items()}
    for name in tree.derived:
        expected = float(tree.expression(name).xreplace(exact))
        assert ev[name] == pytest.approx(expected, rel=1e-12, abs=1e-12)


@settings(max_examples=30, deadline=None)
@given(
    st.floats(0.0, 0.5),
    st.floats(0, 50),
    st.lists(st.floats(0, 1000), min_size=6, max_size=6),
    st.integers(0, 7),
)
def test_timed_recurrence_equals_sympy_stepping(churn, initial, new, lag) -> None:
    """A stock with churn and delayed inflow equals period-by-period sympy substitution."""
    tree = Tree(
        "stock",
        "stock",
        [
            Node("churn", value=churn),
            Node("new", value=tuple(new)),
            Node(
                "stock",
                formula=f"prev(stock) * (1 - churn) + delay(new, {lag}) + t",
                initial=initial,
            ),
        ],
        time=TimeAxis(6),
    )
    got = tree.evaluate()["stock"]
    formula = tree.formulas["stock"]
    previous = sympy.Rational(initial)
    for period in range(6):
        earlier = period - lag
        substitutions = {
            node_symbol("churn"): sympy.Rational(churn),
            sympy.Symbol("t", integer=True, positive=True): period + 1,
        }
        for lag_ref in formula.lags:
            if lag_ref.default is None:
                substitutions[lag_ref.symbol] = previous
            else:
                substitutions[lag_ref.symbol] = sympy.Rational(new[earlier]) if earlier >= 0 else 0
        if lag == 0:
            substitutions[node_symbol("new")] = sympy.Rational(new[period])
        previous = formula.expr.xreplace(substitutions)
        assert got[period] == pytest.approx(float(previous), rel=1e-12, abs=1e-9)


def test_nonfinite_inside_a_masked_branch_is_not_an_error() -> None:
    """if(x > 0, 1 / x, 0) at x = 0 is 0: only the selected branch counts."""
    tree = kpitree.loads(
        "name: x\nkgi: y\nnodes:\n  x: {value: 0}\n  y: {formula: 'if(x > 0, 1 / x, 0)'}\n"
    )
    assert tree.evaluate()["y"] == 0
    assert math.isfinite(tree.evaluate(overrides={"x": 4})["y"])
