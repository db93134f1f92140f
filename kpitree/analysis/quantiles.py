"""Values of an input's law at given probabilities, fast for discrete laws.

scipy's ppf of a discrete law (Poisson) searches for a root per value: on the SaaS tree it took
most of a Sobol or Shapley run. A discrete law's ppf is the least value whose cdf reaches the
probability, so one table of the cdf over the values reached and a binary search give the same
numbers (``tests/test_shapley.py`` checks them equal).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import stats

TOP = 1 - 1e-15
"""Probabilities above this take the law's value at it (scipy's own ppf is unreliable there)."""

LARGEST_TABLE = 10_000_000
"""Beyond this many values the table is not worth building: scipy's ppf is used."""


def is_discrete(law: Any) -> bool:
    """Whether ``law`` takes whole values: a frozen scipy discrete law, or a wrapper of one
    (such as a law truncated to an input's bounds) whose ``discrete`` attribute says so."""
    return isinstance(getattr(law, "dist", None), stats.rv_discrete) or bool(
        getattr(law, "discrete", False)
    )


def quantiles(law: Any, probabilities: np.ndarray) -> np.ndarray:
    """``law.ppf(probabilities)``, through a cdf table when ``law`` is discrete.

    Parameters
    ----------
    law : frozen scipy.stats distribution, or an object with its ``ppf`` and ``cdf``
    probabilities : numpy.ndarray
        In (0, 1); any shape.

    Returns
    -------
    numpy.ndarray
        The values, the shape of ``probabilities``.
    """
    if not is_discrete(law) or probabilities.size == 0:
        return np.asarray(law.ppf(probabilities), dtype=float)
    low = law.ppf(probabilities.min())
    high = law.ppf(min(float(probabilities.max()), TOP))
    if not (np.isfinite(low) and np.isfinite(high)) or high - low > LARGEST_TABLE:
        return np.asarray(law.ppf(probabilities), dtype=float)
    support = np.arange(low, high + 1)
    table = law.cdf(support)
    index = np.searchsorted(table, probabilities, side="left")
    return support[np.minimum(index, len(support) - 1)]
