"""The issue's check: a constant monthly churn, ``prev(x) * (1 - churn) + new``, understates the
customers of a shifted-beta-geometric base by about 12 / 26 / 33 % at months 12 / 24 / 36.

The parameterisation that gives those numbers (found by a search over alpha and beta; no
published pair was found that gives them): a base fed by the same intake every month, the
constant churn equal to the sBG's first-month churn alpha / (alpha + beta), alpha = 1.75 and
beta = 9 (a first-month churn of 16.3 %). Both models are kpitree formulas; the check is
against the closed form S(a) = B(alpha, beta + a) / B(alpha, beta) from scipy's log-beta.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import betaln

import kpitree

ALPHA, BETA = 1.75, 9.0
MONTHS = 36


def _tree(alpha: float, beta: float) -> kpitree.Tree:
    return kpitree.loads(
        f"""
        name: understatement
        kgi: sbg
        time: {{periods: {MONTHS}, unit: month}}
        nodes:
          new: {{value: 100}}
          alpha: {{value: {alpha}}}
          beta: {{value: {beta}}}
          churn: {{formula: alpha / (alpha + beta)}}
          sbg: {{formula: "cohort(new, sbg_survival(alpha, beta))"}}
          constant: {{formula: prev(constant) * (1 - churn) + new, initial: 0}}
        """
    )


def _closed_form(alpha: float, beta: float) -> np.ndarray:
    """1 - constant / sBG at every month: sums over ages 0..t-1 of (1 - c)^a and of S(a)."""
    ages = np.arange(MONTHS)
    survival = np.exp(betaln(alpha, beta + ages) - betaln(alpha, beta))
    geometric = (1 - alpha / (alpha + beta)) ** ages
    return 1 - np.cumsum(geometric) / np.cumsum(survival)


def _understatement(tree: kpitree.Tree) -> np.ndarray:
    values = tree.evaluate().values
    return 1 - np.asarray(values["constant"]) / np.asarray(values["sbg"])


@pytest.mark.parametrize(("alpha", "beta"), [(ALPHA, BETA), (0.7, 3.5), (0.5, 24.5)])
def test_constant_churn_understatement_equals_the_closed_form(alpha: float, beta: float) -> None:
    """kpitree's prev()-churn base against its cohort() of sbg_survival() understates by the
    closed form's share in every month."""
    np.testing.assert_allclose(
        _understatement(_tree(alpha, beta)), _closed_form(alpha, beta), rtol=1e-12, atol=1e-14
    )


def test_understatement_is_12_26_33_percent_at_months_12_24_36() -> None:
    """With alpha 1.75, beta 9 and churn alpha / (alpha + beta) the understatement rounds to
    12, 26 and 33 % at months 12, 24 and 36 (12.0, 25.5, 32.9 %)."""
    shares = _understatement(_tree(ALPHA, BETA))[[11, 23, 35]]
    np.testing.assert_allclose(shares, [0.1202, 0.2551, 0.3293], atol=5e-5)
    assert list(np.round(shares * 100)) == [12, 26, 33]


@pytest.mark.parametrize(
    ("alpha", "beta", "percent"),
    [
        (1.75, 9.0, [12.0, 25.5, 32.9]),
        (0.7, 3.5, [21.8, 42.0, 52.7]),
        (0.3, 15.0, [1.7, 5.8, 10.7]),
    ],
)
def test_readme_understatements(alpha: float, beta: float, percent: list[float]) -> None:
    """The percentages the README quotes are kpitree's, rounded to a tenth."""
    shares = _understatement(_tree(alpha, beta))[[11, 23, 35]]
    assert list(np.round(shares * 100, 1)) == percent
