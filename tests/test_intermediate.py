"""A part of a formula that is not finite but hidden by the rest (min, max, if, 1 / inf) is an
error in an evaluation, naming the node and the period, and a count of paths in a forecast."""

from __future__ import annotations

import json

import numpy as np
import pytest

import kpitree
from kpitree.errors import EvaluationError

TIMED = """
name: hidden
kgi: y
time: {{periods: 3, unit: month, start: 2027-01}}
nodes:
  spend: {{value: 100}}
  won: {{value: [1, 0, 2]}}
  customers: {{value: [1, 0, 2]}}
  y: {{formula: "{formula}"}}
"""


@pytest.mark.parametrize(
    ("formula", "part"),
    [
        ("min(spend/customers, 5000)", "spend/customers = inf"),
        ("if(won/customers > 0.5, 100, 200)", "won/customers = nan"),
        ("1/(1 + spend/customers)", "1 + spend/customers = inf"),
        ("max(log(customers), 0)", "log(customers) = -inf"),
    ],
)
def test_evaluation_names_the_node_the_part_and_the_period(formula, part) -> None:
    """A hidden non-finite part is an EvaluationError naming node, part and period 2027-02."""
    tree = kpitree.loads(TIMED.format(formula=formula))
    with pytest.raises(EvaluationError) as caught:
        tree.evaluate()
    message = str(caught.value)
    assert message.startswith("<tree>:9: node 'y': ")
    assert part in message
    assert "at period 2027-02" in message


def test_a_branch_not_taken_is_not_reported() -> None:
    """if(customers > 0, spend/customers, 0) divides by zero only in a branch not taken."""
    tree = kpitree.loads(TIMED.format(formula="if(customers > 0, spend/customers, 0)"))
    assert list(tree.evaluate()["y"]) == [100.0, 0.0, 50.0]


def test_recurrent_node_reports_its_period() -> None:
    """In a node that reads its own past, the period named is the one that divided by zero."""
    tree = kpitree.loads(
        TIMED.format(formula="prev(y) + min(spend/customers, 5)").replace(
            'y: {formula: "prev', 'y: {initial: 0, formula: "prev'
        )
    )
    with pytest.raises(EvaluationError, match=r"spend/customers = inf inside its formula at "
                       r"period 2027-02"):  # fmt: skip
        tree.evaluate()


def test_cli_eval_exits_2_with_one_line(cli, write_tree) -> None:
    """kpitree eval on such a tree exits 2 with FILE:LINE: node ... and no traceback."""
    path = write_tree(TIMED.format(formula="min(spend/customers, 5000)"))
    status, out, err = cli("eval", path)
    assert status == 2
    assert out == ""
    assert err.startswith(f"{path}:8: node 'y': spend/customers = inf")
    assert len(err.splitlines()) == 1


FORECAST = """
name: noisy
kgi: y
nodes:
  won: {value: 1}
  leads: {value: 3, distribution: {dist: poisson, mu: 3}}
  y: {formula: 1/(1 + won/leads)}
"""


def test_forecast_counts_the_paths() -> None:
    """1/(1 + won/leads) with leads ~ Poisson(3) hides won/0 on the paths where leads = 0:
    about n e^-3 of them, within 4 binomial standard errors, reported in a note and a field."""
    samples = 40_000
    result = kpitree.loads(FORECAST).forecast(samples=samples, seed=3)
    p = np.exp(-3)
    count = result.nonfinite["y"]
    assert abs(count - samples * p) < 4 * np.sqrt(samples * p * (1 - p))
    assert result.to_dict()["nonfinite"] == {"y": count}
    assert f"node 'y': on {count:,} of {samples:,} paths" in result.notes[-1]


def test_two_pass_forecast_counts_once(monkeypatch) -> None:
    """A forecast too large to keep its paths (drawn twice) counts each path once."""
    from kpitree.analysis import forecast as forecast_module

    tree = kpitree.loads(FORECAST)
    kept = tree.forecast(samples=10_000, seed=5)
    monkeypatch.setattr(forecast_module, "IN_MEMORY_BYTES", 0)
    streamed = tree.forecast(samples=10_000, seed=5)
    assert streamed.nonfinite == kept.nonfinite
    assert streamed.notes == kept.notes


def test_forecast_without_hidden_parts_has_no_field() -> None:
    """A forecast where every part is finite has an empty nonfinite and no JSON key."""
    result = kpitree.loads(FORECAST.replace("mu: 3", "mu: 300")).forecast(samples=500, seed=1)
    assert result.nonfinite == {}
    assert "nonfinite" not in result.to_dict()


def test_cli_forecast_reports_the_count(cli, write_tree) -> None:
    """kpitree forecast --format json carries nonfinite and notes it on stderr."""
    path = write_tree(FORECAST)
    status, out, err = cli("forecast", path, "--samples", "5000", "--seed", "1", "--format",
                           "json")  # fmt: skip
    assert status == 0
    count = json.loads(out)["nonfinite"]["y"]
    assert count > 0
    assert f"kpitree: note: node 'y': on {count:,} of 5,000 paths" in err


def test_batch_of_rows_says_how_many() -> None:
    """Evaluating many rows at once (as sensitivity and solve do) names how many rows hit it,
    counting a row shared by every sample as all of them."""
    tree = kpitree.loads(TIMED.format(formula="min(spend/customers, 5000)"))
    inputs = tree.input_values()
    with pytest.raises(EvaluationError, match=r"at period 2027-02 in 5 of 5 samples"):
        tree.engine.run(inputs, samples=5)
    inputs["spend"] = np.array([[1.0], [2.0], [3.0]])
    with pytest.raises(EvaluationError, match=r"at period 2027-02 in 3 of 3 samples"):
        tree.engine.run(inputs, samples=3)
