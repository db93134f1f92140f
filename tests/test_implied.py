"""Actuals of derived nodes: the inputs they imply, the round trip and the reconciliation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import kpitree
from kpitree.actuals import read_actuals
from kpitree.errors import DataError

FUNNEL = """\
name: funnel
kgi: won
time: {periods: 4, unit: month, start: 2027-01}
nodes:
  leads: {value: 100, unit: leads/month}
  mql_rate: {value: 0.5, bounds: [0, 1]}
  mql: {formula: leads * mql_rate, unit: leads/month}
  sql_rate: {value: 0.2, bounds: [0, 1]}
  sql: {formula: mql * sql_rate, label: 商談数, unit: opportunities/month}
  win_rate: {value: 0.25, bounds: [0, 1]}
  won: {formula: "delay(sql, 2) * win_rate", label: 受注数, unit: customers/month}
"""
# By hand: mql_rate = mql / leads; sql_rate = sql / mql; win_rate(m) = won(m) / sql(m - 2).
ACTUALS = """\
period,leads,mql,商談数,受注数
2027-01,100,50,10,
2027-02,200,80,20,
2027-03,300,90,30,5
2027-04,400,100,40,4
"""


def _funnel(tmp_path: Path, text: str = FUNNEL, actuals: str = ACTUALS):
    (tmp_path / "tree.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "actuals.csv").write_text(actuals, encoding="utf-8")
    tree = kpitree.load(tmp_path / "tree.yaml")
    return tree, read_actuals(tmp_path / "actuals.csv", tree)


def test_rates_implied_with_the_delay(tmp_path: Path) -> None:
    """Each rate is the measured ratio, the win rate from the SQLs two months earlier."""
    _, actuals = _funnel(tmp_path)
    implied = actuals.implied
    assert implied["mql_rate"] == pytest.approx({0: 0.5, 1: 0.4, 2: 0.3, 3: 0.25}, rel=1e-12)
    assert implied["sql_rate"] == pytest.approx({0: 0.2, 1: 0.25, 2: 1 / 3, 3: 0.4}, rel=1e-12)
    assert implied["win_rate"] == pytest.approx({2: 5 / 10, 3: 4 / 20}, rel=1e-12)
    assert set(actuals.derived) == {"mql", "sql", "won"}


def test_implied_inputs_reproduce_every_measured_node(tmp_path: Path) -> None:
    """The tree evaluated on the actual and implied inputs gives back every derived actual."""
    tree, actuals = _funnel(tmp_path)
    evaluation = tree.evaluate(overrides=actuals.apply(tree.input_values()))
    for name, by_period in actuals.derived.items():
        for period, value in by_period.items():
            assert evaluation[name][period] == pytest.approx(value, rel=1e-12, abs=1e-12)
    assert all(abs(row["difference"]) < 1e-9 for row in actuals.reconciliation)


def test_label_headers_name_the_nodes(tmp_path: Path) -> None:
    """A Japanese label (商談数) as header reads as the node it labels."""
    _, actuals = _funnel(tmp_path)
    assert actuals.derived["sql"] == {0: 10.0, 1: 20.0, 2: 30.0, 3: 40.0}
    assert actuals.derived["won"] == {2: 5.0, 3: 4.0}


def test_reconciliation_shows_a_node_the_tree_cannot_match(tmp_path: Path) -> None:
    """A sum measured apart from its parts is shown next to what the parts add up to."""
    text = """\
name: channels
kgi: leads
nodes:
  web: {value: 1}
  paid: {value: 1}
  leads: {formula: web + paid}
"""
    _, actuals = _funnel(tmp_path, text, "web,paid,leads\n40,50,100\n")
    assert actuals.implied == {}
    assert actuals.reconciliation == (
        {
            "node": "leads",
            "period": None,
            "measured": 100.0,
            "computed": 90.0,
            "difference": 10.0,
            "pins": None,
        },
    )


ORDERS = """\
name: shop
kgi: revenue
nodes:
  visits: {value: 1000}
  cvr: {value: 0.02, bounds: [0, 1]}
  orders: {formula: visits * cvr, calibrates: CALIBRATES}
  price: {value: 50}
  revenue: {formula: orders * price}
"""


def test_calibrates_names_the_input_pinned(tmp_path: Path) -> None:
    """With two inputs free, calibrates: cvr pins cvr and leaves visits at plan."""
    _, actuals = _funnel(tmp_path, ORDERS.replace("CALIBRATES", "cvr"), "orders\n30\n")
    assert actuals.implied == {"cvr": {0: pytest.approx(0.03, rel=1e-12)}}
    assert "visits" not in actuals.values


def test_two_candidates_message_names_both(tmp_path: Path) -> None:
    """Without calibrates the error names both inputs and the node at the file's header."""
    text = ORDERS.replace(", calibrates: CALIBRATES", "")
    with pytest.raises(DataError) as caught:
        _funnel(tmp_path, text, "orders\n30\n")
    message = str(caught.value)
    assert "'visits' and 'cvr'" in message
    assert "calibrates: NAME" in message
    assert message.startswith(f"{tmp_path / 'actuals.csv'}:1: node 'orders'")


def test_calibrates_must_be_an_input_the_formula_reads(tmp_path: Path) -> None:
    """calibrates naming an input the formula does not read is an error naming the node."""
    with pytest.raises(DataError, match=r"calibrates: 'price' is not an input its formula reads"):
        _funnel(tmp_path, ORDERS.replace("CALIBRATES", "price"), "orders\n30\n")


def test_a_measured_input_leaves_one_free(tmp_path: Path) -> None:
    """A measured visits count leaves cvr the only free input: calibrates is not needed."""
    text = ORDERS.replace(", calibrates: CALIBRATES", "")
    _, actuals = _funnel(tmp_path, text, "visits,orders\n1200,30\n")
    assert actuals.implied["cvr"][0] == pytest.approx(0.025, rel=1e-12)


def test_a_nonlinear_node_is_solved_too(tmp_path: Path) -> None:
    """A node not linear in its input (a square) is solved to the measured value."""
    text = "name: q\nkgi: y\nnodes:\n  x: {value: 1, bounds: [0, null]}\n  y: {formula: x ** 2}\n"
    tree, actuals = _funnel(tmp_path, text, "y\n9\n")
    assert actuals.implied["x"][0] == pytest.approx(3.0, rel=1e-10)
    assert tree.evaluate(overrides=actuals.apply(tree.input_values()))["y"] == pytest.approx(
        np.array([9.0])
    )
