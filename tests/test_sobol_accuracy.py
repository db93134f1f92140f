"""Sobol accuracy at a given N against SALib, interval coverage and the memory guard."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import TREES

import kpitree
from kpitree.analysis import sobol as sobol_module
from kpitree.analysis.sobol import sobol
from kpitree.errors import DataError

# Saltelli's G-function: y = prod (|4 x_i - 2| + a_i) / (1 + a_i), x_i ~ U(0, 1).
G_A = (0, 1, 4.5, 9, 99, 99, 99, 99)


def g_exact() -> tuple[np.ndarray, np.ndarray]:
    """V_i = 1 / (3 (1 + a_i)^2), V = prod (1 + V_i) - 1, S1_i = V_i / V and
    ST_i = V_i prod_{j != i} (1 + V_j) / V."""
    a = np.array(G_A, dtype=float)
    part = 1 / (3 * (1 + a) ** 2)
    variance = np.prod(1 + part) - 1
    return part / variance, part * np.prod(1 + part) / (1 + part) / variance


def g_tree() -> kpitree.Tree:
    lines = ["name: g", "kgi: y", "nodes:"]
    lines += [
        f"  x{i}: {{value: 0.5, distribution: {{dist: uniform, low: 0, high: 1}}}}"
        for i in range(len(G_A))
    ]
    factors = [f"(abs(4 * x{i} - 2) + {a}) / {1 + a}" for i, a in enumerate(G_A)]
    lines.append(f'  y: {{formula: "{" * ".join(factors)}"}}')
    return kpitree.loads("\n".join(lines))


def g_function(x: np.ndarray) -> np.ndarray:
    a = np.array(G_A, dtype=float)
    return np.prod((np.abs(4 * x - 2) + a) / (1 + a), axis=1)


def test_g_tree_matches_the_function() -> None:
    """The tree's KGI is the G-function (checked at a few points)."""
    tree = g_tree()
    x = np.random.default_rng(0).random((5, len(G_A)))
    run = tree.engine.run({f"x{i}": x[:, [i]] for i in range(len(G_A))}, samples=5, nodes=("y",))
    np.testing.assert_allclose(run["y"][:, 0], g_function(x), rtol=1e-12)


def test_rms_error_on_the_g_function_is_salibs_at_the_same_n() -> None:
    """Over 10 seeds at N = 2^10 the RMS error of S1 and ST against the exact indices is at
    most 1.3 times SALib's (same estimators, one scrambled design each; 1.3 leaves room for the
    seeds: the two RMS are each from 10 runs). The former 8 independent scrambles of N / 8
    points gave 2.7 to 18 times SALib's."""
    from SALib.analyze import sobol as salib_sobol
    from SALib.sample import sobol as salib_sample

    first, total = g_exact()
    tree = g_tree()
    n, k = 2**10, len(G_A)
    problem = {"num_vars": k, "names": [f"x{i}" for i in range(k)], "bounds": [[0, 1]] * k}
    ours, theirs = [], []
    for seed in range(10):
        result = sobol(tree, n, seed=seed)
        ours.append(np.concatenate([result.S1 - first, result.ST - total]))
        x = salib_sample.sample(problem, n, calc_second_order=False, seed=seed + 100)
        y = g_function(x)
        analysed = salib_sobol.analyze(
            problem, y, calc_second_order=False, num_resamples=2, seed=seed
        )
        theirs.append(np.concatenate([analysed["S1"] - first, analysed["ST"] - total]))
    ratio = np.sqrt(np.mean(np.square(ours)) / np.mean(np.square(theirs)))
    assert ratio < 1.3


def test_block_intervals_cover_the_exact_indices_about_95_percent() -> None:
    """Over 40 seeds at N = 2^10 on the G-function, the 95 % intervals hold the exact S1 and
    ST in 89 % to 99 % of the 640 cases: 95 % +- 3 SE, SE about 0.02 (binomial 0.009 doubled
    because the 16 indices of one run are not independent). A bootstrap over the rows would
    cover them every time (its intervals ignore the quasi-random gain)."""
    first, total = g_exact()
    tree = g_tree()
    hits = []
    for seed in range(40):
        result = sobol(tree, 2**10, seed=1000 + seed)
        hits.append(np.abs(result.S1 - first) <= result.S1_conf)
        hits.append(np.abs(result.ST - total) <= result.ST_conf)
    coverage = np.mean(hits)
    assert 0.89 <= coverage <= 0.99


def test_refuses_samples_that_would_not_fit_in_memory(monkeypatch) -> None:
    """With 1 GiB available, N = 2^25 for 5 inputs (about 3.3 GiB) is refused before any
    work, naming the largest N that fits."""
    monkeypatch.setattr(sobol_module, "available_memory", lambda: 2**30)
    tree = kpitree.load(TREES / "saas_arr.yaml")
    with pytest.raises(DataError) as caught:
        sobol(tree, 2**25, seed=1)
    assert str(caught.value) == (
        "samples 33,554,432 with 5 uncertain inputs would need about 3.2 GiB of memory, more "
        "than half of the 1.0 GiB available; use at most 4,194,304 samples"
    )
    assert (
        sobol_module.memory_needed(4_194_304, 5) <= 2**29 < sobol_module.memory_needed(8_388_608, 5)
    )


def test_cli_refuses_too_many_samples_with_exit_2(cli, monkeypatch) -> None:
    """sobol --samples 33554432 on a machine short of memory, or beyond 2^30, exits 2 with one
    line and prints nothing."""
    monkeypatch.setattr(sobol_module, "available_memory", lambda: 2**30)
    status, out, err = cli("sobol", TREES / "saas_arr.yaml", "--samples", "33554432")
    assert (status, out) == (2, "")
    assert err.startswith("kpitree: samples 33,554,432 with 5 uncertain inputs would need")
    status, out, err = cli("sobol", TREES / "saas_arr.yaml", "--samples", str(2**31))
    assert (status, out) == (2, "")
    assert err == (
        "kpitree: samples must be at most 2^30 = 1,073,741,824 (the most Sobol' points there "
        "are), found 2,147,483,648\n"
    )


def test_chunked_design_gives_the_same_indices_as_one_chunk(monkeypatch) -> None:
    """The design is drawn chunk by chunk from one stream: the indices do not depend on the
    chunk size."""
    tree = kpitree.load(TREES / "saas_arr.yaml")
    whole = sobol(tree, 1024, seed=3)
    monkeypatch.setattr(sobol_module, "CHUNK", 100)
    pieces = sobol(tree, 1024, seed=3)
    np.testing.assert_allclose(pieces.S1, whole.S1, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(pieces.ST_conf, whole.ST_conf, rtol=1e-12, atol=1e-15)


def test_same_scramble_as_salib_gives_salibs_indices() -> None:
    """With seed s kpitree draws the scramble SALib draws from numpy.random.default_rng(s):
    the indices are SALib's to 1e-12, so at any N the error is SALib's, seed for seed (an RMS
    ratio over a few seeds only measures the luck of the seeds)."""
    from SALib.analyze import sobol as salib_sobol
    from SALib.sample import sobol as salib_sample

    tree = g_tree()
    n, k = 2**9, len(G_A)
    problem = {"num_vars": k, "names": [f"x{i}" for i in range(k)], "bounds": [[0, 1]] * k}
    for seed in (0, 7):
        result = sobol(tree, n, seed=seed)
        x = salib_sample.sample(
            problem, n, calc_second_order=False, seed=np.random.default_rng(seed)
        )
        analysed = salib_sobol.analyze(
            problem, g_function(x), calc_second_order=False, num_resamples=2, seed=seed
        )
        np.testing.assert_allclose(result.S1, analysed["S1"], rtol=0, atol=1e-12)
        np.testing.assert_allclose(result.ST, analysed["ST"], rtol=0, atol=1e-12)
