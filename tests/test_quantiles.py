"""The cdf table of a discrete law gives scipy's own ppf values."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from kpitree.analysis.quantiles import quantiles


@pytest.mark.parametrize("mu", [0.01, 3.2, 640.0, 40_000.0])
def test_poisson_table_equals_scipys_ppf(mu) -> None:
    """At uniforms spread over (0, 1) and at the ends Sobol' designs reach (2^-31 from 0 and
    1), the table's values equal scipy's ppf."""
    uniforms = np.random.default_rng(2).random((4000, 3))
    uniforms[0, 0], uniforms[0, 1] = 2.0**-31, 1 - 2.0**-31
    law = stats.poisson(mu)
    np.testing.assert_array_equal(quantiles(law, uniforms), law.ppf(uniforms))


def test_continuous_law_is_scipys_ppf() -> None:
    """A continuous law goes straight through its ppf."""
    uniforms = np.linspace(0.01, 0.99, 7)
    law = stats.beta(2, 5)
    np.testing.assert_array_equal(quantiles(law, uniforms), law.ppf(uniforms))


class _Wrapped:
    """A discrete law behind a wrapper with no ``dist`` (as a law truncated to bounds)."""

    discrete = True

    def __init__(self, law) -> None:
        self.law = law

    def ppf(self, q):
        return self.law.ppf(q)

    def cdf(self, x):
        return self.law.cdf(x)


def test_a_wrapped_discrete_law_goes_through_the_table_too() -> None:
    """A law object that says it is discrete but is no scipy law gives its own ppf values."""
    uniforms = np.random.default_rng(3).random(2000)
    law = _Wrapped(stats.poisson(12.5))
    np.testing.assert_array_equal(quantiles(law, uniforms), law.ppf(uniforms))
