"""Forecast.p_target follows the node's direction: a lower-is-better KGI (CAC) counts the
paths at or below its target; checked against a closed form within Monte Carlo error."""

from __future__ import annotations

import math

import pytest

import kpitree

CAC = """
name: cac
kgi: cac
nodes:
  cost: {value: 1_000_000, unit: JPY}
  won: {value: 20, unit: customers, distribution: {dist: uniform, low: 10, high: 30}}
  cac: {formula: cost / won, unit: JPY/customer, direction: lower, target: 40_000}
"""

SAMPLES = 20_000


def test_p_target_of_a_lower_is_better_kgi_counts_paths_at_or_below() -> None:
    """CAC = 1,000,000 / won <= 40,000 when won >= 25: P = (30 - 25) / (30 - 10) = 0.25 for
    won uniform on [10, 30] (the old count of CAC >= target gave 0.75); within 4 standard
    errors sqrt(p (1 - p) / n)."""
    result = kpitree.loads(CAC).forecast(samples=SAMPLES, seed=7)
    error = math.sqrt(0.25 * 0.75 / SAMPLES)
    assert result.meets == "<="
    assert result.p_target == pytest.approx(0.25, abs=4 * error)


def test_p_target_of_a_higher_is_better_kgi_is_unchanged() -> None:
    """Without direction, CAC >= 40,000 when won <= 25: P = 0.75."""
    tree = kpitree.loads(CAC.replace("direction: lower, ", ""))
    result = tree.forecast(samples=SAMPLES, seed=7)
    error = math.sqrt(0.25 * 0.75 / SAMPLES)
    assert result.meets == ">="
    assert result.p_target == pytest.approx(0.75, abs=4 * error)


def test_forecast_table_and_report_show_the_direction(cli, write_tree) -> None:
    """The table's line reads P(cac <= 40,000) = ..."""
    path = write_tree(CAC)
    status, out, _ = cli("forecast", path, "--samples", "2000", "--seed", "1")
    assert status == 0
    assert "P(cac <= 40,000) = " in out
