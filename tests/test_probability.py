"""Probabilistic targets: ``solve --probability`` against the closed form of a lognormal goal,
against the forecast at the same seed, and its error paths."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy import stats

import kpitree
from kpitree.analysis.paths import ForecastPaths
from kpitree.analysis.probability import solve_probability
from kpitree.errors import SolveError

NOISE_MEAN, NOISE_SD = 1.0, 0.3
LOGNORMAL = f"""
name: lognormal_goal
kgi: revenue
nodes:
  deals: {{value: 100, bounds: [0, 400]}}
  noise: {{value: 1, bounds: [0, null],
          distribution: {{dist: lognormal, mean: {NOISE_MEAN}, sd: {NOISE_SD}}}}}
  revenue: {{formula: deals * noise, target: 150}}
"""
COST = LOGNORMAL.replace(
    "revenue: {formula: deals * noise, target: 150}",
    "cost: {formula: deals * noise, target: 80, direction: lower}",
)
COST = COST.replace("kgi: revenue", "kgi: cost")


def _sigma_mu() -> tuple[float, float]:
    """The lognormal's log-scale parameters from its mean and sd, by hand."""
    sigma2 = math.log(1 + (NOISE_SD / NOISE_MEAN) ** 2)
    return math.sqrt(sigma2), math.log(NOISE_MEAN) - sigma2 / 2


def _p_at_least(deals: float, target: float) -> float:
    """P(deals x noise >= target), closed form."""
    sigma, mu = _sigma_mu()
    return float(stats.norm.sf((math.log(target / deals) - mu) / sigma))


def test_lognormal_goal_matches_the_closed_form(write_tree) -> None:
    """P(deals x noise >= 150) = 0.8 is solved at the deals whose exact probability is within
    three standard errors of 0.8, and the exact answer lies in the reported interval."""
    tree = kpitree.load(write_tree(LOGNORMAL))
    samples = 20_000
    result = solve_probability(tree, ["deals"], 0.8, samples=samples, seed=7)
    deals = result.solution.values["deals"]
    se = math.sqrt(0.8 * 0.2 / samples)
    assert abs(_p_at_least(deals, 150) - 0.8) < 3 * se
    sigma, mu = _sigma_mu()
    exact = 150 / math.exp(mu + sigma * stats.norm.ppf(0.2))
    low, high = result.lever_interval["deals"]
    assert low <= exact <= high
    assert result.achieved == pytest.approx(0.8, abs=1 / samples)
    assert result.se == pytest.approx(math.sqrt(result.achieved * (1 - result.achieved) / samples))


def test_lower_is_better_goal_counts_paths_at_or_below_target(write_tree) -> None:
    """For a cost (direction lower), P(cost <= 80) = 0.9 lowers deals to the closed-form
    value within three standard errors."""
    tree = kpitree.load(write_tree(COST))
    result = solve_probability(tree, ["deals"], 0.9, samples=20_000, seed=3)
    deals = result.solution.values["deals"]
    assert deals < 100
    exact_p = 1 - _p_at_least(deals, 80)
    assert abs(exact_p - 0.9) < 3 * math.sqrt(0.9 * 0.1 / 20_000)


def test_achieved_equals_the_forecast_at_the_same_seed() -> None:
    """The probability reached equals forecast's p_target with the levers set to the solved
    values and the same seed and samples (same paths: common random numbers)."""
    tree = kpitree.load("trees/saas_arr.yaml")
    result = solve_probability(tree, ["win_rate", "sql_rate"], 0.7, samples=8192, seed=11)
    forecast = tree.forecast(samples=8192, seed=11, overrides=result.solution.values)
    assert result.achieved == forecast.p_target
    assert abs(result.achieved - 0.7) <= 1 / 8192 + 1e-12


def test_paths_move_monotonically_with_the_lever(write_tree) -> None:
    """With common random numbers the share of paths reaching the target never falls as the
    lever rises."""
    tree = kpitree.load(write_tree(LOGNORMAL))
    paths = ForecastPaths(tree, 5000, seed=1, varied=["deals"])
    shares = [float(np.mean(paths({"deals": d}) >= 150)) for d in np.linspace(50, 400, 40)]
    assert shares == sorted(shares)
    assert shares[0] < shares[-1]


def test_out_of_reach_returns_the_best_probability(write_tree, cli) -> None:
    """When P cannot be reached within the bounds the solve is not feasible, reports the best
    probability at the bound, and the command exits 1."""
    path = write_tree(LOGNORMAL.replace("[0, 400]", "[0, 120]"))
    tree = kpitree.load(path)
    result = solve_probability(tree, ["deals"], 0.8, samples=10_000, seed=1)
    assert not result.feasible
    assert result.solution.values["deals"] == 120
    assert abs(result.best - _p_at_least(120, 150)) < 4 * math.sqrt(0.25 / 10_000)
    status, out, _ = cli("solve", path, "--lever", "deals", "--probability", "0.8",
                         "--seed", "1", "--format", "json")  # fmt: skip
    assert status == 1
    data = json.loads(out)
    assert data["feasible"] is False
    assert data["probability"]["achieved"] == result.best


def test_json_carries_the_probability_block(write_tree, cli) -> None:
    """JSON is solve's object plus probability {target, achieved, se, lever_interval}."""
    status, out, err = cli("solve", write_tree(LOGNORMAL), "--lever", "deals", "--probability",
                           "80%", "--samples", "4096", "--seed", "2", "--format", "json")  # fmt: skip
    assert (status, err) == (0, "")
    data = json.loads(out)
    block = data["probability"]
    assert block["target"] == 0.8
    low, high = block["lever_interval"]["deals"]
    assert low <= data["levers"]["deals"] <= high
    assert {"kgi", "target", "feasible", "levers", "changes", "warnings"} <= set(data)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--probability", "1.5"], "between 0 and 1"),
        (["--probability", "0.5", "--mode", "min-effort"], "uniform or weighted"),
        (["--probability", "0.5", "--node", "noise"], "--node"),
        (["--probability", "abc"], "is not a number"),
    ],
)
def test_bad_probability_options_exit_2(write_tree, cli, options, message) -> None:
    """Each bad --probability option is one line on stderr and exit status 2."""
    status, out, err = cli("solve", write_tree(LOGNORMAL), "--lever", "deals", *options)
    assert status == 2
    assert out == ""
    assert message in err
    assert "Traceback" not in err


def test_probability_outside_the_unit_interval_is_a_solve_error(write_tree) -> None:
    """The Python API refuses P = 1 with a SolveError."""
    tree = kpitree.load(write_tree(LOGNORMAL))
    with pytest.raises(SolveError, match="between 0 and 1"):
        solve_probability(tree, ["deals"], 1.0)
