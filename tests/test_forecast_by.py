"""``kpitree forecast --by``: each simulated path rolled up by quarter or (fiscal) year."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import kpitree

SAAS = "trees/saas_arr.yaml"


def test_a_stock_by_quarter_is_its_quarter_end_on_the_same_paths() -> None:
    """ARR by quarter, same seed: mean and quantiles are those of March, June, September and
    December; the chance of the target is unchanged."""
    tree = kpitree.load(SAAS)
    monthly = tree.forecast(samples=512, seed=3)
    quarterly = tree.forecast(samples=512, seed=3, by="quarter")
    assert quarterly.periods == ("2027-Q1", "2027-Q2", "2027-Q3", "2027-Q4")
    ends = [2, 5, 8, 11]
    np.testing.assert_array_equal(quarterly.mean, monthly.mean[ends])
    np.testing.assert_array_equal(quarterly.quantiles[50], monthly.quantiles[50][ends])
    assert quarterly.p_target == monthly.p_target


def test_a_flow_by_quarter_has_the_sum_of_the_monthly_means() -> None:
    """Leads by quarter: the mean of the paths' sums is the sum of the monthly means."""
    tree = kpitree.load(SAAS)
    monthly = tree.forecast(samples=512, seed=4, node="leads")
    quarterly = tree.forecast(samples=512, seed=4, node="leads", by="quarter")
    sums = monthly.mean.reshape(4, 3).sum(axis=1)
    np.testing.assert_allclose(quarterly.mean, sums, rtol=1e-12)
    assert np.all(quarterly.sd > 0)


def test_a_rate_by_year_is_recomputed_from_its_flows_on_each_path(write_tree) -> None:
    """With MQLs fixed and only an unrelated input drawn, every path's yearly SQL rate is the
    evaluation's roll-up, year SQLs / year MQLs (100 / 600), not the mean rate (0.2)."""
    path = write_tree(
        """
        name: f
        kgi: sql
        time: {periods: 4, unit: quarter, start: 2027-Q1}
        nodes:
          mql: {value: [300, 100, 100, 100], unit: leads/quarter}
          sql_rate: {value: [0.1, 0.3, 0.3, 0.1], unit: ratio}
          sql: {formula: mql * sql_rate + 0 * noise, unit: leads/quarter}
          noise: {value: 1, distribution: {dist: normal, mean: 1, sd: 0.1}}
        """
    )
    tree = kpitree.load(path)
    result = tree.forecast(samples=256, seed=5, node="sql_rate", by="year")
    assert result.periods == ("2027",)
    assert result.mean[0] == pytest.approx(100 / 600, rel=1e-12)
    assert result.sd[0] == pytest.approx(0, abs=1e-12)


def test_cli_forecast_by_fiscal_year_notes_partial_years(cli, write_tree) -> None:
    """JSON periods are the fiscal years; the partial ones are named in a note on stderr."""
    text = (
        Path(SAAS)
        .read_text(encoding="utf-8")
        .replace("start: 2027-01}", "start: 2027-01, fiscal_year_start: 4}")
    )
    status, out, err = cli("forecast", write_tree(text), "--by", "fiscal-year", "--samples",
                           "256", "--seed", "1", "--format", "json")  # fmt: skip
    assert status == 0
    assert json.loads(out)["periods"] == ["FY2026", "FY2027"]
    assert "FY2026 is partial: the tree covers only 2027-01 to 2027-03 (3 months)" in err


def test_cli_forecast_by_on_a_static_tree_exits_2(cli) -> None:
    """A static tree cannot be rolled up: FILE: message, exit 2, nothing simulated."""
    status, out, err = cli("forecast", "trees/unit_economics.yaml", "--by", "year")
    assert status == 2
    assert out == ""
    assert "cannot roll up by year: tree 'unit_economics' is static" in err
