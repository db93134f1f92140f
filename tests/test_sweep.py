"""Sweeps: rows equal single forecasts at the same seed, JSON/CSV shapes, the heat map, and
every bad --grid option."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import TREES

import kpitree
from kpitree.analysis.sweep import grid_values, sweep
from kpitree.errors import DataError

GOAL = """
name: goal
kgi: revenue
nodes:
  deals: {value: 100, bounds: [0, 400]}
  price: {value: 1.0, bounds: [0, null]}
  noise: {value: 1, bounds: [0, null], distribution: {dist: lognormal, mean: 1, sd: 0.3}}
  revenue: {formula: deals * price * noise, target: 150}
"""


def test_rows_equal_single_forecasts_at_the_same_seed() -> None:
    """Every row's mean, quantiles and P(target) equal those of the forecast run alone with
    the swept inputs set to the point's values and the same seed."""
    tree = kpitree.load(TREES / "saas_arr.yaml")
    grid = {"win_rate": (0.22, 0.3), "sql_rate": (0.1, 0.14)}
    result = sweep(tree, grid, samples=4096, seed=5)
    assert len(result.rows) == 4
    for row in result.rows:
        point = {"win_rate": row["win_rate"], "sql_rate": row["sql_rate"]}
        alone = tree.forecast(samples=4096, seed=5, overrides=point)
        assert row["mean"] == alone.mean[-1]
        assert (row["p5"], row["p50"], row["p95"]) == (
            alone.quantiles[5][-1], alone.quantiles[50][-1], alone.quantiles[95][-1],
        )  # fmt: skip
        assert row["p_target"] == alone.p_target


def test_the_first_input_varies_slowest(write_tree) -> None:
    """Rows run over the grid with the first input varying slowest, and surface() reshapes
    them to (first, second)."""
    tree = kpitree.load(write_tree(GOAL))
    result = sweep(tree, {"deals": (100, 200), "price": (1, 2, 3)}, samples=64, seed=1)
    assert [(r["deals"], r["price"]) for r in result.rows] == [
        (100, 1), (100, 2), (100, 3), (200, 1), (200, 2), (200, 3),
    ]  # fmt: skip
    means = result.surface("mean")
    assert means.shape == (2, 3)
    # revenue = deals x price x noise with the same draws: the mean scales with the product.
    np.testing.assert_allclose(means / means[0, 0], [[1, 2, 3], [2, 4, 6]], rtol=1e-12)


def test_lower_is_better_counts_paths_at_or_below(write_tree) -> None:
    """For a lower-is-better KGI, p_target is the share of paths at or below the target."""
    text = GOAL.replace("target: 150}", "target: 150, direction: lower}")
    tree = kpitree.load(write_tree(text))
    row = sweep(tree, {"deals": (150,)}, samples=4096, seed=2).rows[0]
    alone = tree.forecast(samples=4096, seed=2, overrides={"deals": 150})
    assert row["p_target"] == np.count_nonzero(np.asarray(alone.final) <= 150) / 4096


def test_grid_values_include_both_ends() -> None:
    """grid_values gives STEPS evenly spaced values from LOW to HIGH, both included."""
    assert grid_values(0.1, 0.2, 3) == pytest.approx((0.1, 0.15, 0.2))
    assert grid_values(5, 9, 1) == (5.0,)


def test_json_and_csv_shapes(write_tree, cli) -> None:
    """JSON is {tree, kgi, scenario, target, samples, seed, rows: [{NAME, p_target, mean, p5, p50, p95}]};
    CSV has one line per point after the header."""
    path = write_tree(GOAL)
    status, out, err = cli("sweep", path, "--grid", "deals=100:200:3", "--samples", "1000",
                           "--seed", "3", "--format", "json")  # fmt: skip
    assert (status, err) == (0, "")
    data = json.loads(out)
    assert set(data) == {"tree", "kgi", "scenario", "target", "samples", "seed", "rows"}
    assert data["seed"] == 3
    assert list(data["rows"][0]) == ["deals", "p_target", "mean", "p5", "p50", "p95"]
    status, out, _ = cli("sweep", path, "--grid", "deals=100:200:3", "--samples", "1000",
                         "--seed", "3", "--format", "csv")  # fmt: skip
    assert status == 0
    assert out.splitlines()[0] == "deals,p_target,mean,p5,p50,p95"
    assert len(out.splitlines()) == 4


@pytest.mark.parametrize("grid", [["deals=100:300:5"], ["deals=100:300:4", "price=1:2:3"]])
def test_plot_writes_a_png(write_tree, cli, tmp_path, grid) -> None:
    """--plot writes a PNG for one input (curve) and for two (heat map with contours)."""
    out_file = tmp_path / "sweep.png"
    options = [part for item in grid for part in ("--grid", item)]
    status, _, err = cli("sweep", write_tree(GOAL), *options, "--samples", "500", "--seed",
                         "1", "--plot", out_file)  # fmt: skip
    assert (status, err) == (0, "")
    assert out_file.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--grid", "deals"], "NAME=LOW:HIGH:STEPS"),
        (["--grid", "deals=1:2"], "NAME=LOW:HIGH:STEPS"),
        (["--grid", "deals=1:2:0"], "at least 1"),
        (["--grid", "deals=1:2:x"], "is not a number"),
        (["--grid", "deals=1:2:2", "--grid", "deals=1:2:2"], "given twice"),
        (["--grid", "revenue=1:2:2"], "derived"),
        (["--grid", "nope=1:2:2"], "nope"),
        (["--grid", "deals=-5:2:2"], "outside bounds"),
        (["--grid", "deals=1:2:2", "--set", "deals=3"], "both swept and set"),
        (
            [
                "--grid",
                "deals=1:2:2",
                "--grid",
                "price=1:2:2",
                "--grid",
                "noise=1:2:2",
                "--plot",
                "x.png",
            ],
            "one or two",
        ),
        (["--grid", "deals=1:2:2", "--workers", "0"], "--workers"),
    ],
)
def test_bad_sweep_options_exit_2(write_tree, cli, options, message) -> None:
    """Each bad option is one line on stderr, no output and exit status 2."""
    status, out, err = cli("sweep", write_tree(GOAL), "--samples", "100", *options)
    assert status == 2
    assert out == ""
    assert message in err
    assert "Traceback" not in err


def test_too_many_points_are_refused(write_tree) -> None:
    """A grid of more than a million points is refused before anything runs."""
    tree = kpitree.load(write_tree(GOAL))
    grid = {"deals": tuple(range(1, 401)), "price": tuple(range(1, 2502))}
    with pytest.raises(DataError, match="points"):
        sweep(tree, grid, samples=10)
