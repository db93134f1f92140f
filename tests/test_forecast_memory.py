"""Forecasts that do not keep every path: exact two-pass quantiles against np.percentile, sums
in a fixed order, node arrays freed, memory estimated and refused, seeds of any size."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from conftest import TREES
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import kpitree
from kpitree.analysis import forecast as forecast_module
from kpitree.analysis import memory
from kpitree.analysis.forecast import QUANTILES, forecast
from kpitree.analysis.sampling import BLOCK
from kpitree.analysis.streaming import OrderStatistics, block_sums, exact_total, interpolate
from kpitree.errors import DataError

SKEWED = """
name: skewed
kgi: y
time: {periods: 4}
nodes:
  a: {value: 1, distribution: {dist: lognormal, mean: 1, sd: 2}}
  n: {value: 3, distribution: {dist: poisson, mu: 3, vary: period}}
  y: {formula: "prev(y) + a * n", initial: 0}
"""


def _two_pass(values: np.ndarray, chunk: int) -> np.ndarray:
    """The streaming quantiles of ``values`` read in chunks of ``chunk`` rows."""
    order = OrderStatistics(values.shape[1])
    for start in range(0, len(values), chunk):
        order.count(values[start : start + chunk])

    def second_pass(ranks: np.ndarray) -> np.ndarray:
        order.want(ranks)
        for start in range(0, len(values), chunk):
            order.keep(values[start : start + chunk])
        return order.values(ranks)

    return interpolate(len(values), QUANTILES, second_pass)


@pytest.mark.parametrize("rows", [2, 3, 7, BLOCK - 1, BLOCK, BLOCK + 1, 3 * BLOCK + 17])
@pytest.mark.parametrize("kind", ["lognormal", "integers", "constant", "mixed", "both signs"])
@pytest.mark.parametrize("chunk", [BLOCK, 2 * BLOCK])
def test_two_pass_quantiles_equal_numpy(rows, kind, chunk) -> None:
    """The two-pass quantiles equal np.percentile (linear) bit for bit, with ties, atoms and
    chunk boundaries, and on every seed tried."""
    for seed in range(3):
        rng = np.random.default_rng(seed)
        if kind == "lognormal":
            values = rng.lognormal(0, 3, size=(rows, 3))
        elif kind == "integers":
            values = rng.integers(0, 4, size=(rows, 3)).astype(float)
        elif kind == "constant":
            values = np.full((rows, 3), 0.1)
        elif kind == "both signs":
            values = rng.normal(0, 1e9, size=(rows, 3))
            values[::5] = -0.0
        else:
            values = np.where(rng.random((rows, 3)) < 0.5, 7.0, rng.normal(7, 1e-9, (rows, 3)))
        expected = np.percentile(values, QUANTILES, axis=0)
        assert np.array_equal(_two_pass(values, chunk), expected)


@pytest.mark.parametrize(
    "draw",
    [
        lambda rng, shape: rng.lognormal(0, 3, shape),
        lambda rng, shape: rng.normal(0, 1e9, shape),
        lambda rng, shape: rng.normal(1e9, 1, shape),
    ],
    ids=["heavy tail", "both signs", "narrow"],
)
def test_second_pass_keeps_few_values(draw) -> None:
    """Over 200,000 values per column, the second pass keeps under 1 % of them (a heavy tail,
    both signs or a narrow spread alike), and the quantiles are still numpy's."""
    values = draw(np.random.default_rng(1), (200_000, 2))
    order = OrderStatistics(2)
    for start in range(0, len(values), 4 * BLOCK):
        order.count(values[start : start + 4 * BLOCK])

    def second_pass(ranks: np.ndarray) -> np.ndarray:
        order.want(ranks)
        for start in range(0, len(values), 4 * BLOCK):
            order.keep(values[start : start + 4 * BLOCK])
        return order.values(ranks)

    quantiles = interpolate(len(values), QUANTILES, second_pass)
    assert np.array_equal(quantiles, np.percentile(values, QUANTILES, axis=0))
    assert order.kept < 0.01 * values.size


def test_block_sums_do_not_depend_on_the_chunking() -> None:
    """Per-block sums are the same whether the blocks come one by one or together, and their
    exact total is within the rounding bound of a block's running sum (BLOCK ulps) of
    math.fsum over every value."""
    values = np.random.default_rng(5).lognormal(size=(5 * BLOCK + 3, 2))
    together = exact_total([block_sums(values)])
    apart = exact_total([block_sums(values[s : s + BLOCK]) for s in range(0, len(values), BLOCK)])
    assert np.array_equal(together, apart)
    reference = [math.fsum(values[:, j]) for j in range(2)]
    assert np.allclose(together, reference, rtol=BLOCK * np.finfo(float).eps, atol=0)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_streamed_forecast_equals_the_in_memory_one(monkeypatch, seed) -> None:
    """A forecast too large to keep (two passes) gives the same mean, sd, quantiles, last
    period and P(target) as the in-memory run, to the last digit, across chunk boundaries."""
    tree = kpitree.loads(SKEWED)
    samples = 3 * BLOCK + 5
    kept = forecast(tree, samples, seed=seed, target=10)
    monkeypatch.setattr(forecast_module, "IN_MEMORY_BYTES", 0)
    streamed = forecast(tree, samples, seed=seed, target=10)
    for q in QUANTILES:
        assert np.array_equal(streamed.quantiles[q], kept.quantiles[q])
    assert np.array_equal(streamed.mean, kept.mean)
    assert np.array_equal(streamed.sd, kept.sd)
    assert np.array_equal(streamed.final, kept.final)
    assert streamed.p_target == kept.p_target


def test_in_memory_quantiles_are_numpy_percentile_of_the_paths() -> None:
    """The kept-paths quantiles are np.percentile of the paths (the last period's paths are
    ``final``), and mean/sd agree with numpy's to rounding."""
    tree = kpitree.loads(SKEWED)
    result = forecast(tree, 5_000, seed=4)
    assert np.array_equal(result.quantiles[50][-1:], np.percentile(result.final, [50]))
    assert result.mean[-1] == pytest.approx(result.final.mean(), rel=1e-14)
    assert result.sd[-1] == pytest.approx(result.final.std(ddof=1), rel=1e-12)


def test_mean_is_the_same_whatever_the_chunk_size() -> None:
    """The mean and sd are identical (==) for chunks of 1, 2 and 3 blocks."""
    tree = kpitree.loads(SKEWED)
    runs = [forecast(tree, 3 * BLOCK + 11, seed=9, chunk=k * BLOCK) for k in (1, 2, 3)]
    for run in runs[1:]:
        assert np.array_equal(run.mean, runs[0].mean)
        assert np.array_equal(run.sd, runs[0].sd)


def test_api_and_cli_give_the_same_digits(cli) -> None:
    """In one process, the API and the command line print the same mean and sd (JSON)."""
    tree = kpitree.load(TREES / "saas_arr.yaml")
    api = tree.forecast(samples=3_000, seed=7).to_dict()
    _, out, _ = cli("forecast", TREES / "saas_arr.yaml", "--samples", "3000", "--seed", "7",
                    "--format", "json")  # fmt: skip
    data = json.loads(out)
    assert (data["mean"], data["sd"], data["quantiles"]) == (api["mean"], api["sd"],
                                                              api["quantiles"])  # fmt: skip


def test_engine_frees_arrays_nothing_reads_any_more() -> None:
    """run(nodes, free=True) returns only the nodes asked for, with the same values, and a
    chain's peak is a few arrays, not one per node."""
    lines = ["name: chain", "kgi: n40", "nodes:", "  n0: {value: 1}"]
    lines += [f"  n{i}: {{formula: n{i - 1} + 1}}" for i in range(1, 41)]
    tree = kpitree.loads("\n".join(lines))
    inputs = tree.input_values()
    full = tree.engine.run(inputs, samples=1)
    freed = tree.engine.run(inputs, samples=1, nodes=("n40",), free=True)
    assert list(freed) == ["n40"]
    assert np.array_equal(freed["n40"], full["n40"])
    assert tree.engine.peak_arrays(("n40",)) <= 3


def test_forecast_beyond_memory_is_refused(monkeypatch) -> None:
    """A forecast whose estimate exceeds the memory available is a DataError with both
    figures, before any path is drawn."""
    tree = kpitree.load(TREES / "saas_arr.yaml")
    with pytest.raises(
        DataError,
        match=r"needs about [\d.]+ TB of memory \(7\.28 TB for the last period.s values.* more than the",
    ):
        tree.forecast(samples=10**12, seed=1)
    monkeypatch.setattr(memory, "available_memory", lambda: 2**30)
    wide = kpitree.loads(
        "name: wide\nkgi: y\ntime: {periods: 10000}\nnodes:\n"
        "  a: {value: 1, distribution: {dist: normal, mean: 1, sd: 1}}\n"
        "  y: {formula: a * 2}\n"
    )
    with pytest.raises(DataError, match=r"10,000 periods needs about .*GB.*1 GB available"):
        wide.forecast(samples=100_000, seed=1)


@pytest.mark.parametrize("samples", ["1e13", "1e100", "1e300"])
def test_cli_huge_samples_exit_2(cli, samples) -> None:
    """--samples 1e13 .. 1e300 exit 2 with one line giving the memory needed, no traceback."""
    status, out, err = cli("forecast", TREES / "saas_arr.yaml", "--samples", samples, "--seed",
                           "1")  # fmt: skip
    assert status == 2
    assert out == ""
    assert err.startswith("kpitree: a forecast of ")
    assert "of memory" in err
    assert len(err.splitlines()) == 1


def test_large_seeds_are_exact_in_the_api() -> None:
    """Seeds 2^53 and 2^53 + 1 give different forecasts and are reported as given."""
    tree = kpitree.load(TREES / "saas_arr.yaml")
    low = tree.forecast(samples=200, seed=2**53)
    high = tree.forecast(samples=200, seed=2**53 + 1)
    assert (low.seed, high.seed) == (2**53, 2**53 + 1)
    assert not np.array_equal(low.final, high.final)


def test_large_seeds_are_exact_on_the_command_line(cli) -> None:
    """--seed 9007199254740993 is that integer (not rounded through a float), differs from
    2^53, and an unseeded run's reported seed reproduces it."""
    tree = TREES / "saas_arr.yaml"

    def run(*seed: str) -> dict:
        return json.loads(cli("forecast", tree, "--samples", "200", *seed, "--format", "json")[1])

    low, high = run("--seed", "9007199254740992"), run("--seed", "9007199254740993")
    assert (low["seed"], high["seed"]) == (2**53, 2**53 + 1)
    assert low["mean"] != high["mean"]
    fresh = run()
    again = run("--seed", str(fresh["seed"]))
    assert fresh["seed"] > 2**64
    assert again == fresh


@settings(max_examples=200, deadline=None)
@given(
    values=arrays(
        float,
        st.tuples(st.integers(2, 120), st.integers(1, 3)),
        elements=st.floats(-1e300, 1e300, allow_nan=False, allow_subnormal=True)
        | st.sampled_from([0.0, -0.0, 1.0, -1.0, 5e-324]),
    ),
    chunk=st.integers(1, 50),
    bins=st.sampled_from([2, 3, 64]),
)
def test_two_pass_quantiles_equal_numpy_on_any_values(values, chunk, bins) -> None:
    """For any finite values (ties, signed zeros, subnormals, both signs, a first chunk that
    does not span the rest), any chunk size and few bins, the two-pass quantiles equal
    np.percentile exactly."""
    order = OrderStatistics(values.shape[1], bins)
    for start in range(0, len(values), chunk):
        order.count(values[start : start + chunk])

    def second_pass(ranks: np.ndarray) -> np.ndarray:
        order.want(ranks)
        for start in range(0, len(values), chunk):
            order.keep(values[start : start + chunk])
        return order.values(ranks)

    with np.errstate(over="ignore", invalid="ignore"):  # numpy's own lerp of +-1e300
        expected = np.percentile(values, QUANTILES, axis=0)
        got = interpolate(len(values), QUANTILES, second_pass)
    assert np.array_equal(got, expected, equal_nan=True)
