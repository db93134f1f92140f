"""Attribution of the KGI's change from one period to the previous: closed forms worked by hand,
exact sympy, the engine's values, properties on random timed trees, command line and errors.

Swapping the two states (which flips every sign in a two-state attribution) has no counterpart
here: the two states are periods p - 1 and p, so there is nothing to swap."""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest
import sympy
from conftest import TREES
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import kpitree
from kpitree.analysis.period_change import attribute_previous
from kpitree.errors import DataError, EvaluationError
from kpitree.formula import TIME, node_symbol
from kpitree.node import Node
from kpitree.plots.waterfall import plot_waterfall
from kpitree.timeaxis import TimeAxis
from kpitree.tree import Tree

STOCK = """
name: stock
kgi: stock
time: {{periods: 3}}
nodes:
  c: {{value: {c}, owner: ops}}
  new: {{value: [30, 20, 15], owner: sales}}
  stock: {{formula: "prev(stock) * (1 - c) + new", initial: 100, owner: finance}}
"""


def test_stock_split_is_the_closed_form_worked_by_hand() -> None:
    """stock = prev(stock) * (1 - c) + new: the three-player split equals the hand calculation.

    stock(1) = 100 * 0.9 + 30 = 120, stock(2) = 120 * 0.8 + 20 = 116, stock(3) = 116 * 0.75 + 15
    = 102. F = L * u + new with L = prev(stock), u = 1 - c; new enters additively (its change),
    and the product L * u splits as dL (u0 + u1) / 2 and du (L0 + L1) / 2.
    Period 3 vs 2: L 120 -> 116, c 0.2 -> 0.25, new 20 -> 15, change 102 - 116 = -14:
      prev(stock) -4 * (0.8 + 0.75) / 2 = -3.1; c -0.05 * (120 + 116) / 2 = -5.9; new -5.
    Period 2 vs 1 (L at period 1 is the initial 100): L 100 -> 120, c 0.1 -> 0.2, new 30 -> 20:
      prev(stock) 20 * (0.9 + 0.8) / 2 = 17; c -0.1 * 220 / 2 = -11; new -10; sum -4.
    """
    tree = kpitree.loads(STOCK.format(c="[0.1, 0.2, 0.25]"))
    third = attribute_previous(tree, period=3)
    assert third.contributions == pytest.approx(
        {"c": -5.9, "new": -5.0, "prev(stock)": -3.1}, rel=1e-12
    )
    assert (third.base, third.new) == pytest.approx((116.0, 102.0), rel=1e-14)
    assert (third.previous, third.period) == ("2", "3")
    assert third.by_owner == pytest.approx({"ops": -5.9, "sales": -5.0, "finance": -3.1})
    driver = third.drivers["prev(stock)"]
    assert (driver.kind, driver.node, driver.owner, driver.label) == (
        "carried over", "stock", "finance", "carried over: prev(stock)")  # fmt: skip
    second = attribute_previous(tree, period="2")
    assert second.contributions == pytest.approx(
        {"c": -11.0, "new": -10.0, "prev(stock)": 17.0}, rel=1e-12
    )
    assert second.evaluations == 8


def test_unchanged_input_gets_exactly_zero_and_is_not_a_player() -> None:
    """With c the same in both periods, c gets exactly 0.0 and only 2^2 coalitions are run."""
    tree = kpitree.loads(STOCK.format(c=0.2))
    result = attribute_previous(tree, period=3)
    assert result.contributions["c"] == 0.0
    assert result.evaluations == 4
    # L 116 -> ... : stock(1) = 80 + 30 = 110, stock(2) = 88 + 20 = 108; F = 0.8 L + new.
    assert result.contributions["prev(stock)"] == pytest.approx(0.8 * (108 - 110), rel=1e-12)
    assert result.contributions["new"] == pytest.approx(-5.0, rel=1e-12)


def test_period_number_and_two_delays_are_named_drivers() -> None:
    """t is a player with (a0 + a1) / 2; two delay() reads of one node keep their defaults."""
    text = """
    name: d
    kgi: k
    time: {periods: 3}
    nodes:
      a: {value: [2, 3, 5]}
      x: {value: [4, 6, 7]}
      k: {formula: "a * t + delay(x, 1, 0) + 2 * delay(x, 1, 5)"}
    """
    tree = kpitree.loads(text)
    result = attribute_previous(tree, period=2)
    # a 2 -> 3 with t 1 -> 2: a gets 1 * (1 + 2) / 2, t gets 1 * (2 + 3) / 2; the delays read 0
    # and 5 in period 1, x(1) = 4 in period 2.
    assert result.contributions == pytest.approx(
        {"a": 1.5, "x": 0.0, "delay(x, 1, 0)": 4.0, "delay(x, 1, 5)": -2.0, "t": 2.5}, rel=1e-12
    )
    assert result.drivers["t"].kind == "period number"
    assert result.drivers["delay(x, 1, 5)"].label == "pipeline: delay(x, 1, 5)"
    assert result.by_owner == pytest.approx({"(no owner)": 6.0})


def _sympy_shapley(tree, expr, before, after):
    """The Shapley value by its definition (every order of the players), each worth computed
    exactly by sympy substitution of the symbols' values."""
    players = [s for s in before if before[s] != after[s]]
    worth = {}
    for size in range(len(players) + 1):
        for coalition in itertools.combinations(players, size):
            values = {s: (after if s in coalition else before)[s] for s in before}
            worth[frozenset(coalition)] = float(expr.xreplace(values))
    totals = dict.fromkeys(players, 0.0)
    orders = list(itertools.permutations(players))
    for order in orders:
        for position, player in enumerate(order):
            ahead = frozenset(order[:position])
            totals[player] += worth[ahead | {player}] - worth[ahead]
    return {s: total / len(orders) for s, total in totals.items()}


def test_saas_arr_on_actuals_matches_exact_sympy() -> None:
    """On saas_arr actuals, March vs February equals the Shapley definition over sympy worths."""
    tree = kpitree.load(TREES / "saas_arr.yaml")
    actuals = kpitree.read_actuals(TREES / "saas_arr_actuals.csv", tree)
    result = tree.attribute(actuals, previous=True)
    assert (result.previous, result.period) == ("2027-02", "2027-03")
    values = actuals.apply(tree.input_values())
    ev = tree.evaluate(overrides=values)
    mrr, sql = ev["mrr"], ev["sql"]
    state = {node_symbol(name): (np.atleast_1d(ev[name])[1], np.atleast_1d(ev[name])[2])
             for name in ("win_rate", "new_arpu", "churn_rate", "expansion_rate")}  # fmt: skip
    prev_mrr, delay_sql = (
        sympy.Symbol("prev(mrr)", real=True),
        sympy.Symbol("delay(sql,2,25.0)", real=True),
    )
    state[prev_mrr] = (mrr[0], mrr[1])
    state[delay_sql] = (25.0, sql[0])
    expr = tree.expression("arr")
    assert expr.free_symbols == set(state)
    before = {s: sympy.Float(v[0], 30) for s, v in state.items()}
    after = {s: sympy.Float(v[1], 30) for s, v in state.items()}
    expected = _sympy_shapley(tree, expr, before, after)
    names = {prev_mrr: "prev(mrr)", delay_sql: "delay(sql, 2)"}
    for symbol, value in expected.items():
        key = names.get(symbol, symbol.name)
        assert result.contributions[key] == pytest.approx(value, rel=1e-12)
    assert set(result.changed) == {names.get(s, s.name) for s in expected}


@pytest.mark.parametrize("scenario", [None, "optimistic", "pessimistic"])
def test_saas_arr_every_period_reproduces_the_engine_and_adds_up(scenario) -> None:
    """For every period 2..12: F at both states is the engine's ARR (1e-12), sum = change (1e-9)."""
    tree = kpitree.load(TREES / "saas_arr.yaml")
    arr = tree.evaluate(scenario=scenario)["arr"]
    for period in range(2, 13):
        result = attribute_previous(tree, scenario=scenario, period=period)
        assert result.base == pytest.approx(arr[period - 2], rel=1e-12)
        assert result.new == pytest.approx(arr[period - 1], rel=1e-12)
        total = sum(result.contributions.values())
        assert total == pytest.approx(arr[period - 1] - arr[period - 2], rel=1e-9)
        assert result.by_node["arr"] == pytest.approx(result.delta, rel=1e-12)
        assert sum(result.by_owner.values()) == pytest.approx(result.delta, rel=1e-9)


# -- properties on random timed trees ------------------------------------------------------------
PERIODS = 4
OPERATIONS = ("{} + {}", "{} - {}", "0.5 * {} * {}", "{} / (1 + {} ** 2)", "max({}, {})")


@st.composite
def timed_trees(draw):
    """A timed tree of 2-5 inputs (constant or one value per period) and 1-4 derived nodes whose
    operands are inputs, earlier derived nodes, prev() of any derived node, delay() of an input,
    or t."""
    value = st.floats(0.5, 3.0, allow_nan=False)
    n = draw(st.integers(2, 5))
    inputs = [f"x{i}" for i in range(n)]
    nodes = []
    for name in inputs:
        series = draw(st.one_of(value, st.lists(value, min_size=PERIODS, max_size=PERIODS)))
        owner = draw(st.sampled_from(["ops", "sales", None]))
        nodes.append(Node(name, value=tuple(series) if isinstance(series, list) else series,
                          owner=owner))  # fmt: skip
    m = draw(st.integers(1, 4))
    derived = [f"d{j}" for j in range(m)]
    for j, name in enumerate(derived):
        operand = st.one_of(
            st.sampled_from(inputs + derived[:j]),
            st.sampled_from(derived).map(lambda d: f"prev({d})"),
            st.tuples(st.sampled_from(inputs), st.integers(1, 3), value).map(
                lambda a: f"delay({a[0]}, {a[1]}, {a[2]!r})"
            ),
            st.just("t"),
        )
        formula = draw(st.sampled_from(OPERATIONS)).format(draw(operand), draw(operand))
        initial = draw(value)
        owner = draw(st.sampled_from(["ops", "finance", None]))
        nodes.append(Node(name, formula=formula, initial=initial, owner=owner))
    return nodes


def _build(nodes):
    return Tree("r", nodes[-1].name, nodes, time=TimeAxis(PERIODS))


def _scale(result):
    # Each worth carries a few ulps of relative rounding error of the largest intermediate
    # value; bounded here by the largest of |base|, |new| and the contributions' magnitudes
    # (the intermediates of these small formulas are of that order), far inside 1e-9 of it.
    return max(abs(result.base), abs(result.new),
               sum(abs(v) for v in result.contributions.values()), 1e-300)  # fmt: skip


@settings(max_examples=50, deadline=None)
@given(timed_trees())
def test_random_timed_trees_add_up_and_ignore_order(nodes) -> None:
    """On random timed trees, every period: F at both states is the engine's KGI, contributions
    add up to KGI(p) - KGI(p - 1), unchanged terms get 0, and reversing the nodes changes nothing."""
    tree = _build(nodes)
    try:
        kgi = np.atleast_1d(tree.evaluate()[tree.kgi])
    except EvaluationError:
        assume(False)
    assume(np.all(np.abs(kgi) < 1e100))
    reordered = Tree("r", nodes[-1].name, list(reversed(nodes)), time=TimeAxis(PERIODS))
    for period in range(2, PERIODS + 1):
        result = attribute_previous(tree, period=period)
        scale = _scale(result)
        assert abs(result.base - kgi[period - 2]) <= 1e-12 * scale
        assert abs(result.new - kgi[period - 1]) <= 1e-12 * scale
        assert abs(sum(result.contributions.values()) - (kgi[period - 1] - kgi[period - 2])) <= (
            1e-9 * scale
        )
        free = tree.expression(tree.kgi).free_symbols
        for name in tree.inputs:
            series = np.broadcast_to(np.asarray(tree.nodes[name].value, dtype=float), (PERIODS,))
            if node_symbol(name) not in free or series[period - 2] == series[period - 1]:
                assert result.contributions[name] == 0.0
        if TIME in free:
            assert "t" in result.changed or result.contributions["t"] == 0.0
        again = attribute_previous(reordered, period=period)
        assert set(again.contributions) == set(result.contributions)
        for name, value in result.contributions.items():
            assert abs(again.contributions[name] - value) <= 1e-9 * scale
        owen = attribute_previous(tree, period=period, method="owen")
        assert abs(sum(owen.contributions.values()) - result.delta) <= 1e-9 * scale


# -- command line, table, chart, errors ---------------------------------------------------------
def test_cli_json_shape_on_the_plan(cli) -> None:
    """attribute --previous --format json: the documented keys, drivers keyed like prev(mrr)."""
    status, out, _ = cli(
        "attribute",
        TREES / "saas_arr.yaml",
        "--previous",
        "--period",
        "2027-03",
        "--format",
        "json",
    )
    assert status == 0
    data = json.loads(out)
    assert {
        "kgi",
        "base",
        "new",
        "delta",
        "contributions",
        "by_owner",
        "by_node",
        "drivers",
    } <= set(data)
    assert (data["kgi"], data["period"], data["previous_period"]) == ("arr", "2027-03", "2027-02")
    assert (data["base_label"], data["new_label"]) == ("plan 2027-02", "plan 2027-03")
    arr = kpitree.load(TREES / "saas_arr.yaml").evaluate()["arr"]
    assert math.isclose(data["base"], arr[1], rel_tol=1e-12)
    assert math.isclose(data["new"], arr[2], rel_tol=1e-12)
    assert math.isclose(sum(data["contributions"].values()), data["delta"], rel_tol=1e-9)
    assert data["drivers"]["prev(mrr)"] == {
        "kind": "carried over", "node": "mrr", "owner": "finance",
        "label": "carried over: prev(mrr)"}  # fmt: skip
    assert data["drivers"]["delay(sql, 2)"]["kind"] == "pipeline"
    # The plan holds every rate constant, so only the carried-over terms move ARR.
    assert {k for k, v in data["contributions"].items() if v} == {"prev(mrr)", "delay(sql, 2)"}


def test_cli_table_on_actuals_and_scenario(cli) -> None:
    """The table on actuals names the two periods and labels the drivers; --scenario works."""
    status, out, _ = cli(
        "attribute", TREES / "saas_arr.yaml", "--previous",
        "--actuals", TREES / "saas_arr_actuals.csv")  # fmt: skip
    assert status == 0
    assert out.startswith("saas_arr: arr actual 2027-02 ")
    assert "-> actual 2027-03 " in out
    assert "carried over: prev(mrr)  finance" in out
    assert "shapley values over 5 inputs and drivers" in out
    status, out, _ = cli(
        "attribute", TREES / "saas_arr.yaml", "--previous", "--scenario", "optimistic"
    )
    assert status == 0
    assert out.startswith("saas_arr: arr optimistic 2027-11 ")


def test_waterfall_shows_driver_labels(tmp_path) -> None:
    """The waterfall's bars are labelled with the drivers' labels and chain to the new value."""
    tree = kpitree.load(TREES / "saas_arr.yaml")
    actuals = kpitree.read_actuals(TREES / "saas_arr_actuals.csv", tree)
    result = tree.attribute(actuals, previous=True)
    ax = plot_waterfall(result)
    labels = [t.get_text().replace("\n", " ") for t in ax.get_xticklabels()]  # names wrap
    assert labels[:3] == ["actual 2027-02", "carried over: prev(mrr)", "pipeline: delay(sql, 2)"]
    assert labels[-1] == "actual 2027-03"
    level = result.base
    for bar, name in zip(ax.patches[1:-1], result.changed, strict=True):
        level += result.contributions[name]
        assert bar.get_y() + (bar.get_height() if result.contributions[name] > 0 else 0) == (
            pytest.approx(level)
        )
    assert ax.patches[-1].get_height() == pytest.approx(result.new)
    assert "at 2027-03" not in ax.get_title()


@pytest.mark.parametrize(
    ("tree", "extra", "message"),
    [
        (
            "saas_arr.yaml",
            ("--period", "2027-01"),
            "kpitree: period 2027-01 is the first of tree 'saas_arr': there is no previous "
            "period to compare it with (the initial values are not a state of the inputs); "
            "explain 2027-02 or a later period",
        ),
        (
            "saas_arr.yaml",
            ("--from", "pessimistic"),
            "kpitree: --previous explains one state's change from the previous period: give "
            "--scenario NAME or --actuals FILE, not --from/--to",
        ),
        (
            "saas_arr.yaml",
            ("--scenario", "optimistic", "--actuals", TREES / "saas_arr_actuals.csv"),
            "kpitree: give either --actuals or --scenario, not both (--plan sets the plan)",
        ),
    ],
)
def test_cli_previous_errors(cli, tree, extra, message) -> None:
    """Each misuse of --previous is one line on standard error and exit 2."""
    status, out, err = cli("attribute", TREES / tree, "--previous", *extra)
    assert (status, out, err) == (2, "", message + "\n")


def test_cli_scenario_needs_previous(cli) -> None:
    """--scenario without --previous is refused (two scenarios are --from/--to)."""
    status, out, err = cli("attribute", TREES / "saas_arr.yaml", "--scenario", "optimistic")
    assert (status, out) == (2, "")
    assert (
        err == "kpitree: --scenario goes with --previous (use --from/--to to compare scenarios)\n"
    )


def test_static_tree_is_refused(cli, write_tree) -> None:
    """A static tree has no previous period: exit 2 with one line."""
    path = write_tree("name: p\nkgi: k\nnodes:\n  a: {value: 2}\n  k: {formula: a * 3}\n")
    status, out, err = cli("attribute", path, "--previous")
    assert (status, out) == (2, "")
    assert err == (
        "kpitree: tree 'p' is static: it has no previous period to compare with "
        "(give it a time axis, or compare two states)\n"
    )


def test_mixed_state_that_is_undefined_is_an_error(cli, write_tree) -> None:
    """When a mix of the two periods divides by zero, the error names the node and periods."""
    path = write_tree(
        """
        name: m
        kgi: k
        time: {periods: 2}
        nodes:
          b: {value: [2, 3]}
          c: {value: [1, 2]}
          k: {formula: 1 / (b - c)}
        """
    )
    status, out, err = cli("attribute", path, "--previous")
    assert (status, out) == (2, "")
    assert err == (
        f"{path}:7: node 'k': a mix of 1 and 2 values makes its formula undefined (inf), so the "
        "change cannot be split between them; formula: 1 / (b - c)\n"
    )


def test_api_refuses_a_second_state_with_previous() -> None:
    """tree.attribute(previous=True, to=...) is refused: the two states are the two periods."""
    tree = kpitree.load(TREES / "saas_arr.yaml")
    with pytest.raises(DataError, match="previous=True explains the change of one state from"):
        tree.attribute(previous=True, to="optimistic")
