"""Reading a distribution checks it by closed forms, without scipy.stats: whatever the closed
forms accept, scipy's own law accepts too (finite quantiles and mean, the same support), and
extreme parameters still go to scipy and are refused as before."""

from __future__ import annotations

import itertools
import math
import subprocess
import sys

import numpy as np
import pytest
from conftest import TREES
from scipy import stats

from kpitree.distribution import (
    LARGE,
    POISSON_MU,
    SHAPES,
    Distribution,
    DistributionError,
    _plain_support,
    _tails,
)

QUANTILES = np.array([0.001, 0.5, 0.999])
POWERS = [10.0**k for k in range(-300, 301, 60)]
SIGNED = [-x for x in POWERS] + [0.0] + POWERS


def laws() -> list[dict[str, float | str]]:
    """Parameters of every kind, from ordinary to the edges of a float's range."""
    found: list[dict[str, float | str]] = []
    for mean, sd in itertools.product(SIGNED, POWERS):
        found.append({"dist": "normal", "mean": mean, "sd": sd})
        found.append({"dist": "lognormal", "mean": abs(mean) or 1.0, "sd": sd})
        found.append({"dist": "gamma", "mean": abs(mean) or 1.0, "sd": sd})
    for mean in [1e-300, 1e-9, 0.01, 0.25, 0.5, 0.9, 1 - 1e-9]:
        for sd in [1e-200, 1e-12, 1e-6, 1e-3, 0.05, 0.2]:
            found.append({"dist": "beta", "mean": mean, "sd": sd})
    for a, b in itertools.product([1e-9, 1e-6, 0.5, 3.0, 1e6, 1e12, 1e15], repeat=2):
        found.append({"dist": "beta", "a": a, "b": b})
    for low, width in itertools.product(SIGNED, POWERS):
        high = low + width
        if low < high:
            mode = low + width / 3
            found.append({"dist": "uniform", "low": low, "high": high})
            found.append({"dist": "triangular", "low": low, "mode": mode, "high": high})
            found.append({"dist": "pert", "low": low, "mode": mode, "high": high})
    for mu in [0.0, 1e-9, 1e-6, 0.3, 40.0, 1e6, 1e9, 3e10, 1e12, 1e300]:
        found.append({"dist": "poisson", "mu": mu})
    return found


def checked_by_scipy(raw: dict[str, float | str]) -> bool:
    """Whether the law passes the check as it was before closed forms: by scipy alone."""
    law = Distribution(str(raw["dist"]), {k: float(v) for k, v in raw.items() if k != "dist"})
    try:
        with np.errstate(all="ignore"):
            frozen = law.untruncated()
            values = np.append(frozen.ppf(QUANTILES), frozen.mean())
    except DistributionError:
        return False
    except (ArithmeticError, ValueError):
        return False
    return bool(np.isfinite(values).all())


def test_closed_forms_accept_only_what_scipy_accepts() -> None:
    """A law the closed forms call plain has finite scipy quantiles and mean and the same
    support as scipy's, and reading any law gives the same verdict as scipy alone."""
    plain_count = extreme_count = 0
    for raw in laws():
        law = Distribution(str(raw["dist"]), {k: float(v) for k, v in raw.items() if k != "dist"})
        try:
            name, arguments = law._law_arguments()
        except (DistributionError, ArithmeticError):
            continue  # refused before any check, by the same code as before
        plain = _plain_support(name, arguments)
        scipy_ok = checked_by_scipy(raw)
        if plain is not None:
            plain_count += 1
            assert scipy_ok, raw
            with np.errstate(all="ignore"):
                frozen = getattr(stats, name)(**arguments)
                assert plain == tuple(float(end) for end in frozen.support()), raw
        else:
            extreme_count += 1
        try:
            Distribution.from_mapping(raw)
            read_ok = True
        except DistributionError:
            read_ok = False
        assert read_ok == scipy_ok, raw
    assert plain_count > 100
    assert extreme_count > 50


@pytest.mark.parametrize(
    "raw",
    [
        {"dist": "normal", "mean": 0.9, "sd": 0.2},
        {"dist": "lognormal", "mean": 80_000, "sd": 15_000},
        {"dist": "gamma", "mean": 40, "sd": 12},
        {"dist": "beta", "mean": 0.025, "sd": 0.004},
        {"dist": "beta", "a": 2, "b": 6},
        {"dist": "triangular", "low": 1, "mode": 2, "high": 6},
        {"dist": "pert", "low": 1, "mode": 2, "high": 6},
        {"dist": "uniform", "low": 2, "high": 4},
        {"dist": "poisson", "mu": 40},
    ],
)
def test_ordinary_parameters_are_plain(raw: dict[str, float | str]) -> None:
    """Parameters as trees write them are checked by closed forms (scipy is not needed)."""
    law = Distribution.from_mapping(raw)
    assert _plain_support(*law._law_arguments()) is not None


def test_gamma_quantile_bound_holds() -> None:
    """The bound the gamma closed form relies on: the 99.9 % quantile is below 2 a + 50 for
    every shape in SHAPES (a fine grid)."""
    shapes = np.logspace(np.log10(SHAPES[0]), np.log10(SHAPES[1]), 2001)
    assert (stats.gamma(shapes).ppf(0.999) < 2 * shapes + 50).all()


def test_shape_range_has_finite_quantiles() -> None:
    """Beta and gamma shapes across SHAPES, and Poisson means up to POISSON_MU, have finite
    quantiles in scipy (a grid finer than the parametrised cases)."""
    shapes = np.logspace(np.log10(SHAPES[0]), np.log10(SHAPES[1]), 61)
    a, b = np.meshgrid(shapes, shapes)
    with np.errstate(all="ignore"):
        for q in QUANTILES:
            assert np.isfinite(stats.beta(a, b).ppf(q)).all()
            assert np.isfinite(stats.gamma(shapes).ppf(q)).all()
        mus = np.logspace(np.log10(SHAPES[0]), np.log10(POISSON_MU), 61)
        assert np.isfinite(stats.poisson(mus).ppf(QUANTILES[:, None])).all()
    assert LARGE * np.exp(20 * 4.0) < np.finfo(float).max


def test_reading_a_tree_with_distributions_skips_scipy_stats() -> None:
    """Validating saas_arr (beta, lognormal, Poisson inside their bounds) imports neither
    scipy.stats nor scipy.special."""
    code = (
        "import sys; from kpitree.cli.main import main; "
        "status = main(['validate', 'trees/saas_arr.yaml']); "
        "print(status, sorted(m for m in sys.modules if m.startswith('scipy')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=TREES.parent, capture_output=True, text=True, check=True
    )
    assert done.stdout.splitlines()[-1] == "0 []"


def test_truncated_law_is_still_cut_at_read_time() -> None:
    """A normal mostly outside its bounds is refused when read, through scipy's cdf."""
    law = Distribution.from_mapping({"dist": "normal", "mean": -5, "sd": 1})
    with pytest.raises(DistributionError, match="almost entirely outside"):
        law.within(0, 1)
    assert law.within(-10, 10).truncation == (-10, 10)
    assert Distribution.from_mapping({"dist": "normal", "mean": 0.5, "sd": 0.01}).within(
        0, 1
    ).truncation == (None, None)


def test_closed_form_tails_equal_scipy_stats() -> None:
    """The shares below and above the bounds equal scipy.stats' cdf and sf bit for bit, for
    open-tailed laws and bounds inside, across and outside their support."""
    ends = [-math.inf, -1e9, -3.5, -1.0, -0.5, 0.0, 1e-300, 0.3, 1.0, 2.5, 40.0, 1e6, math.inf]
    compared = 0
    for raw in laws():
        if raw["dist"] not in ("normal", "lognormal", "gamma", "poisson"):
            continue
        law = Distribution(str(raw["dist"]), {k: float(v) for k, v in raw.items() if k != "dist"})
        try:
            arguments = law._law_arguments()
        except (DistributionError, ArithmeticError):
            continue
        if _plain_support(*arguments) is None:
            continue
        frozen = law.untruncated()
        for lo, hi in itertools.combinations(ends, 2):
            assert law._tails(lo, hi) == _tails(frozen, lo, hi, raw["dist"] == "poisson"), (
                raw,
                lo,
                hi,
            )
            compared += 1
    assert compared > 1000


def test_reading_a_truncated_normal_skips_scipy_stats() -> None:
    """A normal truncated to its bounds is read, and its cut share computed, without
    scipy.stats (scipy.special's closed forms)."""
    code = (
        "import sys, kpitree; tree = kpitree.loads(sys.argv[1], source='t.yaml'); "
        "law = tree.nodes['win_rate'].distribution; "
        "print(law.truncation, round(law.cut, 6), 'scipy.stats' in sys.modules)"
    )
    text = (
        "name: t\nkgi: won\nnodes:\n  win_rate:\n    value: 0.9\n    bounds: [0, 1]\n"
        "    distribution: {dist: normal, mean: 0.9, sd: 0.2}\n  won: {formula: win_rate * 2}\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, text],
        cwd=TREES.parent,
        capture_output=True,
        text=True,
        check=True,
    )
    expected = stats.norm(0.9, 0.2).cdf(0) + stats.norm(0.9, 0.2).sf(1)
    assert done.stdout.split() == ["(0.0,", "1.0)", f"{round(expected, 6)}", "False"]
