"""An undefined partial derivative stays with the inputs behind it, and a copula repaired from
an indefinite correlation matrix keeps every marginal exact."""

from __future__ import annotations

import math

import numpy as np
import pytest

import kpitree
from kpitree.analysis.sampling import InputSampler

SQRT_AT_ZERO = """
name: t
kgi: k
nodes:
  x: {value: 0, bounds: [0, 10], benchmark: [0, 4]}
  y: {value: 3, bounds: [0, 10], benchmark: [2, 5]}
  k: {formula: "sqrt(x) + y"}
"""


def test_infinite_partial_leaves_other_inputs_exact() -> None:
    """d(sqrt(x) + y)/dy = 1 exactly at x = 0 (elasticity 3 / 3 = 1); only x's derivative is
    not finite (the one-sided slope of sqrt at 0 is +inf)."""
    entries = {e.name: e for e in kpitree.loads(SQRT_AT_ZERO).sensitivity().inputs}
    assert entries["y"].derivative == 1.0
    assert entries["y"].elasticity == 1.0
    assert entries["x"].derivative == math.inf


def test_infinite_partial_in_one_period_only_affects_that_period() -> None:
    """x = [1, 0, 1] under sqrt: at period 2, dk/dy = t = 2 exactly and dk/dx is infinite; at
    period 3 dk/dx = 1 / (2 sqrt(1)) = 0.5."""
    tree = kpitree.loads(
        """
        name: t
        kgi: k
        time: {periods: 3}
        nodes:
          x: {value: [1, 0, 1]}
          y: {value: 3}
          a: {formula: "sqrt(x)"}
          k: {formula: "a + y * t"}
        """
    )
    second = {e.name: e.derivative for e in tree.sensitivity(period=2).inputs}
    third = {e.name: e.derivative for e in tree.sensitivity(period=3).inputs}
    assert second == {"y": 2.0, "x": math.inf}
    assert third == {"y": 3.0, "x": 0.5}


def test_bottlenecks_rank_around_an_infinite_derivative() -> None:
    """y still ranks (3 -> benchmark 5: gain 2), and x, whose infinite derivative still says
    'up', moves to its benchmark 4: gain sqrt(4) = 2 (both moved to the far end)."""
    result = kpitree.loads(SQRT_AT_ZERO).bottlenecks(to="far")
    gains = {lever.name: lever.gain for lever in result.ranking}
    assert gains == {"y": pytest.approx(2.0, rel=1e-12), "x": pytest.approx(2.0, rel=1e-12)}
    assert result.flat == ()


# Rank correlations 0.8, 0.8, 0.28: positive semi-definite as Spearman values, but their normal
# correlations 2 sin(pi rho / 6) are not (an eigenvalue below 0), so the copula clips it.
INDEFINITE = """
name: t
kgi: k
time: {periods: 2}
nodes:
  a: {value: 0, distribution: {dist: normal, mean: 0, sd: 1}}
  b: {value: 0, distribution: {dist: normal, mean: 0, sd: 1, vary: VARY}}
  c: {value: 0, distribution: {dist: normal, mean: 0, sd: 1, vary: VARY}}
  k: {formula: "a + b + c"}
correlations:
  - [a, b, 0.8]
  - [a, c, 0.8]
  - [b, c, 0.28]
"""


def test_the_normal_matrix_is_indefinite() -> None:
    """The premise of the next test: an eigenvalue of the normal correlations is below 0."""
    rho = np.array([[1, 0.8, 0.8], [0.8, 1, 0.28], [0.8, 0.28, 1]])
    assert np.linalg.eigvalsh(2 * np.sin(np.pi * rho / 6))[0] < -1e-3


@pytest.mark.parametrize("vary", ["path", "period"])
def test_repaired_copula_keeps_unit_variances(vary: str) -> None:
    """Every copula normal has variance 1 to 1e-12 after the repair (so each input keeps its
    own law): for path-level inputs the diagonal of R R^T; for period-level ones the
    regression on the path normals plus the conditional part."""
    sampler = InputSampler(kpitree.loads(INDEFINITE.replace("VARY", vary)))
    path = sampler._path_root @ sampler._path_root.T
    variances = list(np.diag(path))
    if vary == "period":
        regression = sampler._regression
        period = regression @ path @ regression.T + sampler._period_root @ sampler._period_root.T
        variances += list(np.diag(period))
    assert len(variances) == 3
    assert variances == pytest.approx([1.0, 1.0, 1.0], abs=1e-12)
