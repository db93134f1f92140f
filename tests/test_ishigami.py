"""Sobol indices of the Ishigami function written with sin() against its published values."""

from __future__ import annotations

import math

import numpy as np

import kpitree
from kpitree.analysis.sobol import sobol

# Published indices for a = 7, b = 0.1 (Ishigami and Homma 1990; Saltelli et al. 2008).
S1 = (0.3139, 0.4424, 0.0)
ST = (0.5576, 0.4424, 0.2437)


def ishigami_tree() -> kpitree.Tree:
    spread = f"{{dist: uniform, low: {-math.pi!r}, high: {math.pi!r}}}"
    return kpitree.loads(
        f"""
        name: ishigami
        kgi: y
        nodes:
          x1: {{value: 0, distribution: {spread}}}
          x2: {{value: 0, distribution: {spread}}}
          x3: {{value: 0, distribution: {spread}}}
          y: {{formula: "sin(x1) + 7 * sin(x2) ** 2 + 0.1 * x3 ** 4 * sin(x1)"}}
        """
    )


def test_ishigami_tree_is_the_function() -> None:
    """The tree's KGI equals the Ishigami function at random points."""
    x = np.random.default_rng(1).uniform(-math.pi, math.pi, (6, 3))
    run = ishigami_tree().engine.run({f"x{i + 1}": x[:, [i]] for i in range(3)}, samples=6)
    expected = np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])
    np.testing.assert_allclose(run["y"][:, 0], expected, rtol=1e-13)


def test_sobol_of_ishigami_matches_the_published_indices() -> None:
    """At N = 2^14 each S1 and ST is within 4 standard errors (the 95 % half-width is 1.96 SE,
    so twice it) plus the published values' rounding of 5e-5."""
    result = sobol(ishigami_tree(), 2**14, seed=7)
    assert result.names == ("x1", "x2", "x3")
    for index in range(3):
        assert abs(result.S1[index] - S1[index]) <= 2 * result.S1_conf[index] + 5e-5
        assert abs(result.ST[index] - ST[index]) <= 2 * result.ST_conf[index] + 5e-5
    # The intervals are narrow enough for the check to mean something.
    assert max(result.S1_conf.max(), result.ST_conf.max()) < 0.03
