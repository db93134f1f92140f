"""Shapley and Owen attribution: closed forms, brute-force definitions, and properties."""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest
from conftest import TREES
from hypothesis import given, settings
from hypothesis import strategies as st
from test_actuals import SHOP, write_csv

import kpitree
from kpitree.analysis.attribution import attribute
from kpitree.errors import DataError
from kpitree.node import Node
from kpitree.plots.waterfall import plot_waterfall
from kpitree.tree import Tree

PRODUCT = "name: p\nkgi: k\nnodes:\n  a: {value: 2, owner: x}\n  b: {value: 3, owner: y}\n  k: {formula: a * b}\n"


def brute_force(tree, base, new, blocks=None, period=None):
    """The Shapley value by its definition, the average marginal contribution over every order
    of the players (tree.evaluate per coalition); with ``blocks`` only orders that keep each
    block together, which is the Owen value."""
    players = [name for name in tree.inputs if base.get(name) != new.get(name)]
    index = -1 if period is None else period

    def worth(coalition):
        values = {name: (new if name in coalition else base)[name] for name in players}
        return float(np.atleast_1d(tree.evaluate(overrides={**base, **values})[tree.kgi])[index])

    orders = list(itertools.permutations(players))
    if blocks is not None:
        orders = [o for o in orders if all(_contiguous(o, block) for block in blocks)]
    totals = dict.fromkeys(players, 0.0)
    for order in orders:
        coalition: set[str] = set()
        for player in order:
            before = worth(coalition)
            coalition.add(player)
            totals[player] += worth(coalition) - before
    return {name: total / len(orders) for name, total in totals.items()}


def _contiguous(order, block):
    positions = sorted(order.index(name) for name in block if name in order)
    return not positions or positions[-1] - positions[0] == len(positions) - 1


def test_product_split_is_the_closed_form() -> None:
    """For k = a * b: a gets (da)(b0 + b1)/2 = 3 * 10 / 2 and b gets (db)(a0 + a1)/2 = 4 * 7 / 2."""
    tree = kpitree.loads(PRODUCT)
    result = attribute(tree, {"a": 2, "b": 3}, {"a": 5, "b": 7})
    assert result.contributions == {"a": 15.0, "b": 14.0}
    assert (result.base, result.new, result.delta) == (6.0, 35.0, 29.0)
    assert result.by_owner == {"x": 15.0, "y": 14.0}


def test_unchanged_input_gets_exactly_zero() -> None:
    """An input equal in both states contributes exactly 0.0, and is not a player."""
    tree = kpitree.loads(PRODUCT)
    result = attribute(tree, {"a": 2}, {"a": 5})
    assert result.contributions["b"] == 0.0
    assert result.contributions["a"] == 9.0
    assert result.changed == ["a"]
    assert result.evaluations == 2


def test_no_change_has_no_contribution() -> None:
    """Equal states: delta 0, every contribution 0, one evaluation."""
    result = attribute(kpitree.loads(PRODUCT))
    assert result.delta == 0.0
    assert set(result.contributions.values()) == {0.0}


def test_timed_series_match_the_definition(write_tree, tmp_path) -> None:
    """On a timed tree each input's whole series is one player; values equal the brute force."""
    tree = kpitree.load(write_tree(SHOP.replace("  revenue: {formula: orders * price}",
                                                "  revenue: {formula: prev(revenue) + orders * price, initial: 0}")))  # fmt: skip
    csv = write_csv(tmp_path, 'period,visits,cvr,price\n2027-01,"1,100",1.8%,55\n2027-02,900,,48\n')
    actuals = kpitree.read_actuals(csv, tree)
    result = tree.attribute(actuals)
    assert result.period == "2027-02"
    base = tree.input_values()
    new = actuals.apply(base)
    expected = brute_force(tree, base, new, period=1)
    for name, value in expected.items():
        assert result.contributions[name] == pytest.approx(value, rel=1e-12)
    assert result.new == pytest.approx(float(tree.evaluate(overrides=new)["revenue"][1]), rel=1e-14)


def test_scenarios_on_saas_arr_match_the_definition() -> None:
    """Plan -> optimistic on saas_arr (sql_rate, win_rate, churn_rate) equals the brute force."""
    tree = kpitree.load(TREES / "saas_arr.yaml")
    result = tree.attribute(to="optimistic")
    expected = brute_force(tree, tree.input_values(), tree.input_values(scenario="optimistic"))
    assert set(result.changed) == set(expected)
    for name, value in expected.items():
        assert result.contributions[name] == pytest.approx(value, rel=1e-10)
    assert sum(result.contributions.values()) == pytest.approx(result.delta, rel=1e-12)


OWEN_TEMPLATE = """
name: o
kgi: k
nodes:
  a: {{value: 1, owner: {}}}
  b: {{value: 2, owner: {}}}
  c: {{value: 3, owner: {}}}
  d: {{value: 1, owner: {}}}
  k: {{formula: "a * b * c + max(a, d) ** 2 - b * d"}}
"""
OWEN_TREE = OWEN_TEMPLATE.format("x", "x", "y", "y")


def test_owen_equals_the_definition_with_owner_blocks() -> None:
    """Owen values equal the average over orders that keep each owner's inputs together."""
    tree = kpitree.loads(OWEN_TREE)
    base = tree.input_values()
    new = {"a": 2.0, "b": 0.5, "c": 4.0, "d": 3.0}
    result = attribute(tree, base, new, method="owen")
    expected = brute_force(tree, base, new, blocks=[("a", "b"), ("c", "d")])
    for name, value in expected.items():
        assert result.contributions[name] == pytest.approx(value, rel=1e-12)
    assert result.method == "owen"
    assert sum(result.contributions.values()) == pytest.approx(result.delta, rel=1e-12)
    shapley = attribute(tree, base, new, method="shapley")
    assert shapley.contributions != pytest.approx(result.contributions)  # a different split


def test_owen_with_one_owner_or_distinct_owners_is_shapley() -> None:
    """With one group, or one group per input, the Owen value is the Shapley value."""
    for owners in (("x", "x", "x", "x"), ("p", "q", "r", "s")):
        text = OWEN_TEMPLATE.format(*owners)
        tree = kpitree.loads(text)
        new = {"a": 2.0, "b": 0.5, "c": 4.0, "d": 3.0}
        owen = attribute(tree, None, new, method="owen").contributions
        shapley = attribute(tree, None, new, method="shapley").contributions
        assert owen == pytest.approx(shapley, rel=1e-12)


def test_auto_switches_to_owen_beyond_the_limit() -> None:
    """More changed inputs than exact_limit: the Owen value; a group too big: a clear error."""
    tree = kpitree.loads(OWEN_TREE)
    new = {"a": 2.0, "b": 0.5, "c": 4.0, "d": 3.0}
    assert attribute(tree, None, new, exact_limit=3).method == "owen"
    assert attribute(tree, None, new).method == "shapley"
    with pytest.raises(
        DataError,
        match=r"4 inputs changed, in 2 owners \(up to 2 per owner\): an exact attribution would evaluate 2\^3 rows \(limit 2\^2\)",
    ):
        attribute(tree, None, new, exact_limit=2)
    with pytest.raises(DataError, match="method must be one of auto, shapley, owen, found 'lmdi'"):
        attribute(tree, None, new, method="lmdi")


def test_roll_ups_by_owner_and_node() -> None:
    """by_owner adds each owner's inputs; by_node adds the inputs under each derived node."""
    tree = kpitree.load(TREES / "saas_arr.yaml")
    result = tree.attribute(plan="pessimistic", to="optimistic")
    c = result.contributions
    assert result.by_owner == pytest.approx(
        {"marketing": c["visit_cvr"], "field sales": c["win_rate"],
         "inside sales": c["sql_rate"], "customer success": c["churn_rate"]}, rel=1e-15)  # fmt: skip
    assert result.by_node["web_leads"] == c["visit_cvr"]
    assert result.by_node["sql"] == pytest.approx(c["visit_cvr"] + c["sql_rate"], rel=1e-15)
    assert result.by_node["arr"] == pytest.approx(result.delta, rel=1e-12)
    assert "cac" not in result.by_node  # the KGI does not depend on it


# -- properties on random trees ----------------------------------------------------------------
OPERATIONS = ("{} + {}", "{} - {}", "{} * {}", "{} / (1 + {} ** 2)", "max({}, {})")


@st.composite
def random_trees(draw):
    """A static tree of 2-6 inputs and 1-5 derived nodes, two states, and random owners."""
    n = draw(st.integers(2, 6))
    value = st.floats(0.5, 5.0, allow_nan=False)
    names = [f"x{i}" for i in range(n)]
    owners = [draw(st.sampled_from(["ops", "sales", None])) for _ in names]
    base = {name: draw(value) for name in names}
    new = {name: draw(st.one_of(st.just(base[name]), value)) for name in names}
    nodes = [
        Node(name, value=base[name], owner=owner) for name, owner in zip(names, owners, strict=True)
    ]
    available = list(names)
    for j in range(draw(st.integers(1, 5))):
        first, second = draw(st.sampled_from(available)), draw(st.sampled_from(available))
        formula = draw(st.sampled_from(OPERATIONS)).format(first, second)
        nodes.append(Node(f"d{j}", formula=formula))
        available.append(f"d{j}")
    return nodes, base, new


def _scale(result):
    # Every worth v(S) carries a relative rounding error of a few ulps; the contributions add
    # up 2^n weighted differences whose weights sum to 1 per input, so the error of their sum
    # is a few ulps of the largest |v(S)| times n -- bounded here by the largest of |base|,
    # |new| and the contributions' magnitudes, far inside 1e-9 of it.
    return max(
        abs(result.base),
        abs(result.new),
        sum(abs(v) for v in result.contributions.values()),
        1e-300,
    )


@settings(max_examples=60, deadline=None)
@given(random_trees())
def test_contributions_add_up_flip_and_ignore_order(case) -> None:
    """On random trees: sum = delta (1e-9 relative), swapping states flips every sign,
    unchanged inputs get exactly 0, and reversing the inputs' order changes nothing."""
    nodes, base, new = case
    tree = Tree("r", nodes[-1].name, nodes)
    result = attribute(tree, base, new)
    delta = tree.evaluate(overrides=new).kgi_value - tree.evaluate(overrides=base).kgi_value
    scale = _scale(result)
    assert abs(sum(result.contributions.values()) - delta) <= 1e-9 * scale
    for name in tree.inputs:
        if base[name] == new[name]:
            assert result.contributions[name] == 0.0
    back = attribute(tree, new, base)
    for name, value in result.contributions.items():
        assert abs(back.contributions[name] + value) <= 1e-9 * scale
    inputs = [node for node in nodes if node.is_input]
    reordered = Tree("r", nodes[-1].name, [*reversed(inputs), *nodes[len(inputs) :]])
    again = attribute(reordered, base, new)
    for name, value in result.contributions.items():
        assert abs(again.contributions[name] - value) <= 1e-9 * scale


@settings(max_examples=40, deadline=None)
@given(random_trees())
def test_owen_adds_up_on_random_trees(case) -> None:
    """Owen values by owner also add up to the delta and flip sign with the states."""
    nodes, base, new = case
    tree = Tree("r", nodes[-1].name, nodes)
    result = attribute(tree, base, new, method="owen")
    scale = _scale(result)
    assert abs(sum(result.contributions.values()) - result.delta) <= 1e-9 * scale
    back = attribute(tree, new, base, method="owen")
    for name, value in result.contributions.items():
        assert abs(back.contributions[name] + value) <= 1e-9 * scale


# -- command line and chart ---------------------------------------------------------------------
def test_cli_json_has_the_documented_keys(cli) -> None:
    """attribute --format json has kgi, base, new, delta, contributions and by_owner."""
    status, out, _ = cli(
        "attribute",
        TREES / "saas_arr.yaml",
        "--actuals",
        TREES / "saas_arr_actuals.csv",
        "--format",
        "json",
    )
    assert status == 0
    data = json.loads(out)
    assert {"kgi", "base", "new", "delta", "contributions", "by_owner"} <= set(data)
    assert data["kgi"] == "arr"
    assert data["period"] == "2027-03"
    assert math.isclose(sum(data["contributions"].values()), data["delta"], rel_tol=1e-9)
    assert math.isclose(sum(data["by_owner"].values()), data["delta"], rel_tol=1e-9)
    assert data["contributions"]["mql_rate"] == 0.0


def test_cli_scenarios_and_table(cli) -> None:
    """--from/--to explains one scenario against another; the table ends with the total."""
    status, out, _ = cli(
        "attribute", TREES / "saas_arr.yaml", "--from", "pessimistic", "--to", "optimistic"
    )
    assert status == 0
    assert out.startswith("saas_arr: arr at 2027-12 pessimistic ")
    assert "shapley values over 4 inputs" in out
    assert "by owner" in out


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            (),
            "kpitree: give --actuals FILE, or --from SCENARIO and/or --to SCENARIO, or --previous",
        ),
        (
            ("--to", "optimistic", "--actuals", "x.csv"),
            "kpitree: give either --actuals or --from/--to, not both",
        ),
        (
            ("--to", "optimistic", "--plan", "pessimistic"),
            "kpitree: --plan goes with --actuals (use --from for a base scenario)",
        ),
        (
            ("--to", "optimistic", "--plot", "chart.gif"),
            "kpitree: --plot chart.gif: expected a .png, .svg or .pdf file, found '.gif'",
        ),
        (
            ("--to", "optimistic", "--plot", "no/such/dir/c.png"),
            "kpitree: --plot no/such/dir/c.png: directory 'no/such/dir' does not exist",
        ),
        (
            ("--to", "optimistic", "--node", "mrrr"),
            "kpitree: no node 'mrrr' in tree 'saas_arr' (did you mean 'mrr'?)",
        ),
    ],
)
def test_cli_usage_errors(cli, extra, message) -> None:
    """Each misuse of attribute is one line on standard error and exit 2."""
    status, out, err = cli("attribute", TREES / "saas_arr.yaml", *extra)
    assert (status, out, err) == (2, "", message + "\n")


def test_waterfall_bars_chain_from_base_to_new(tmp_path, cli) -> None:
    """Each bar starts where the previous ended; the last is the new value; the PNG is written."""
    tree = kpitree.load(TREES / "saas_arr.yaml")
    result = tree.attribute(kpitree.read_actuals(TREES / "saas_arr_actuals.csv", tree))
    ax = plot_waterfall(result, top=5)
    bars = ax.patches
    assert len(bars) == 2 + 5 + 1  # base, five inputs, "3 other inputs", new
    level = result.base
    for bar, name in zip(bars[1:6], result.changed[:5], strict=True):
        value = result.contributions[name]
        assert bar.get_y() == pytest.approx(min(level, level + value))
        assert bar.get_height() == pytest.approx(abs(value))
        level += value
    assert bars[-1].get_height() == pytest.approx(result.new)
    assert [t.get_text() for t in ax.get_xticklabels()][-2:] == ["3 other inputs", "actual"]
    png = tmp_path / "w.png"
    status, _, _ = cli(
        "attribute",
        TREES / "saas_arr.yaml",
        "--actuals",
        TREES / "saas_arr_actuals.csv",
        "--plot",
        png,
    )
    assert status == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
