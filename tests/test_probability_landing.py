"""A probabilistic solve from actuals to date: the chance as of the cut-off, on the same paths
a landing forecast draws (so its probability is that forecast's chance of the target)."""

from __future__ import annotations

import json

import pytest
from conftest import TREES

import kpitree
from kpitree.analysis.landing import landing
from kpitree.analysis.probability import solve_probability

TREE = TREES / "saas_arr.yaml"
ACTUALS = TREES / "saas_arr_actuals.csv"


@pytest.mark.parametrize("learned", [False, True])
def test_landing_solve_reaches_the_landing_forecasts_chance(learned: bool) -> None:
    """With the solved lever set, a landing forecast at the same seed and samples has exactly
    the probability the solve reports (common random numbers, actuals held, posteriors drawn
    from the same streams)."""
    tree = kpitree.load(TREE)
    start = landing(tree, kpitree.read_actuals(ACTUALS, tree), learned=learned)
    result = solve_probability(
        tree, ["win_rate"], 0.3, samples=4096, seed=5, target=1.32e9, landing=start
    )
    assert result.feasible
    forecast = tree.forecast(
        samples=4096, seed=5, target=1.32e9, overrides=result.solution.values, landing=start
    )
    assert result.achieved == forecast.p_target
    assert abs(result.achieved - 0.3) <= 1 / 4096 + 1e-12


def test_the_past_does_not_move_with_the_lever() -> None:
    """A lever moves the periods after the cut-off only: with every period an actual, no value
    of the lever changes any path, so a chance the actuals do not give is out of reach."""
    tree = kpitree.load(TREE)
    actuals = kpitree.read_actuals(ACTUALS, tree)
    start = landing(tree, actuals)
    low = solve_probability(tree, ["win_rate"], 0.5, samples=512, seed=1, landing=start)
    forecast = tree.forecast(samples=512, seed=1, landing=start)
    # The chance reached is at least the landing forecast's as the lever rises from today.
    assert low.achieved >= forecast.p_target


def test_cli_landing_solve_and_misplaced_options(cli) -> None:
    """`solve --probability --actuals` prints the probability block; --actuals without
    --probability is refused (exit 2)."""
    status, out, _ = cli(
        "solve", TREE, "--lever", "win_rate", "--probability", "0.3", "--target", "1.32e9",
        "--actuals", ACTUALS, "--samples", "2048", "--seed", "3", "--format", "json",
    )  # fmt: skip
    assert status == 0
    block = json.loads(out)["probability"]
    assert abs(block["achieved"] - 0.3) <= 1 / 2048 + 1e-12
    status, _, err = cli("solve", TREE, "--lever", "win_rate", "--actuals", ACTUALS)
    assert status == 2
    assert "--actuals goes with --probability" in err
    status, _, err = cli("solve", TREE, "--lever", "win_rate", "--probability", "0.5", "--learn")
    assert status == 2
    assert "--learn and --window need --actuals FILE or --measure" in err


def test_a_set_learned_rate_keeps_its_value_after_the_cut_off() -> None:
    """With --learn, a learned rate that is also set (--set, or a solve's lever) keeps the set
    value after the cut-off on every path, and the other inputs' draws do not move."""
    tree = kpitree.load(TREE)
    start = landing(tree, kpitree.read_actuals(ACTUALS, tree), learned=True)
    assert "win_rate" in {rate.name for rate in start.learning.rates}
    from kpitree.analysis.forecast import simulate

    paths = simulate(
        tree, 64, 9, nodes=("win_rate", "visits"), overrides={"win_rate": 0.31}, landing=start
    )
    after = paths["win_rate"][:, start.through + 1 :]
    assert (after == 0.31).all()
    free = simulate(tree, 64, 9, nodes=("visits",), landing=start)
    assert (paths["visits"] == free["visits"]).all()
