"""trees/saas_cohorts.yaml against the same model computed by hand in numpy and scipy."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.special import betaln

import kpitree

TREE = Path(__file__).resolve().parent.parent / "trees" / "saas_cohorts.yaml"
SEASON = [1.0, 0.95, 1.15, 1.05, 1.0, 0.95, 0.9, 0.8, 1.1, 1.2, 1.1, 0.9]


def _by_hand(cycle: float = 2.5, sql_rate: float = 0.10) -> np.ndarray:
    """ARR per month: grown, seasonal visits; SQLs read `cycle` months back by linear
    interpolation (25 a month before January); sBG cohorts from the Beta function; the old
    base shrinking at its mature churn and growing by expansion."""
    months = np.arange(12)
    visits = 18_000 * 1.01**months * np.array(SEASON)
    leads = visits * 0.025 + 12_000_000 / 80_000 + 40
    sql = leads * 0.5 * sql_rate
    history = np.concatenate([np.full(12, 25.0), sql])
    won = 0.25 * np.interp(months + 12 - cycle, np.arange(24), history)
    survival = np.exp(betaln(0.3, 15 + months) - betaln(0.3, 15))
    cohort_mrr = np.convolve(won * 300_000, survival)[:12]
    base_mrr = 75_000_000 * (1 + 0.015 - 0.008) ** (months + 1)
    return (base_mrr + cohort_mrr) * 12


def test_arr_matches_the_model_by_hand() -> None:
    """Every month's ARR equals the hand computation to 1e-12."""
    tree = kpitree.load(TREE)
    np.testing.assert_allclose(tree.evaluate().values["arr"], _by_hand(), rtol=1e-12)


def test_faster_cycle_scenario_matches_the_model_by_hand() -> None:
    """The scenario's 2-month cycle and 15 % opportunity rate, by hand."""
    tree = kpitree.load(TREE)
    arr = tree.evaluate(scenario="faster_cycle").values["arr"]
    np.testing.assert_allclose(arr, _by_hand(2.0, 0.15), rtol=1e-12)


def test_customers_count_is_base_plus_cohorts() -> None:
    """Customers at December: 250 x 0.992^12 plus the sBG cohorts of the year's wins."""
    tree = kpitree.load(TREE)
    values = tree.evaluate().values
    won = values["won"]
    survival = np.exp(betaln(0.3, 15 + np.arange(12)) - betaln(0.3, 15))
    expected = 250 * 0.992**12 + np.convolve(won, survival)[11]
    assert float(values["customers"][-1]) == pytest.approx(expected, rel=1e-12)
