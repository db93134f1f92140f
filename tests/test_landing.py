"""The landing forecast from actuals and rates learned from counts, against closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

import kpitree
from kpitree.actuals import Actuals
from kpitree.analysis.forecast import forecast, simulate
from kpitree.analysis.landing import cut_off, landing
from kpitree.analysis.learn import FLAT, beta_prior, learn
from kpitree.errors import DataError

GROWTH = """
name: growth
kgi: x
time: {periods: 6, unit: month, start: 2027-01}
nodes:
  g:
    value: 1.05
    bounds: [0, null]
    distribution: {dist: lognormal, mean: 1.05, sd: 0.1, vary: period}
  x: {formula: prev(x) * g, initial: 100, target: 140}
"""

FUNNEL = """
name: funnel
kgi: customers
time: {periods: 6, unit: month, start: 2027-01}
nodes:
  leads: {value: 200, unit: leads/month, bounds: [0, null]}
  sql_rate: {value: 0.2, bounds: [0, 1], distribution: {dist: beta, a: 2, b: 8}}
  win_rate:
    value: 0.25
    bounds: [0, 1]
    distribution: {dist: uniform, low: 0.1, high: 0.3}
  sql: {formula: leads * sql_rate, unit: deals/month}
  won: {formula: 'delay(sql, 2, 10) * win_rate', unit: customers/month}
  customers: {formula: prev(customers) + won, initial: 0, unit: customers}
"""


def _actuals(tree: kpitree.Tree, values: dict[str, list[float]]) -> Actuals:
    count = len(next(iter(values.values())))
    return Actuals(
        tree=tree.name,
        source="test",
        periods=tuple(range(count)),
        values={name: dict(enumerate(series)) for name, series in values.items()},
        labels=tree.periods,
    )


@pytest.fixture
def growth() -> kpitree.Tree:
    """A stock compounding by a lognormal growth factor drawn afresh each month."""
    return kpitree.loads(GROWTH)


@pytest.fixture
def funnel() -> kpitree.Tree:
    """Leads -> SQL -> won after a two-month delay -> customers."""
    return kpitree.loads(FUNNEL)


def test_landing_matches_lognormal_closed_form(growth) -> None:
    """After three actual months x6 = x3 * g4 g5 g6, a lognormal whose mean, median and
    P(x6 >= target) the forecast matches within 4 standard errors; actual months are exact."""
    actual_g = [1.1, 0.95, 1.2]
    start = landing(growth, _actuals(growth, {"g": actual_g}))
    samples = 40_000
    result = forecast(growth, samples, seed=5, landing=start)
    x3 = 100 * math.prod(actual_g)
    sigma2 = math.log1p((0.1 / 1.05) ** 2)
    mu = math.log(1.05) - sigma2 / 2
    law = stats.lognorm(s=math.sqrt(3 * sigma2), scale=x3 * math.exp(3 * mu))
    assert result.actual_through == "2027-03"
    np.testing.assert_allclose(result.actual, 100 * np.cumprod(actual_g))
    for q in (5, 50, 95):
        np.testing.assert_allclose(result.quantiles[q][:3], result.actual, rtol=1e-12)
    assert np.array_equal(result.mean[:3], result.actual)
    assert np.all(result.sd[:3] == 0)
    assert abs(result.mean[-1] - law.mean()) < 4 * law.std() / math.sqrt(samples)
    median_error = 1 / (2 * law.pdf(law.median()) * math.sqrt(samples))
    assert abs(result.quantiles[50][-1] - law.median()) < 4 * median_error
    p = law.sf(140)
    assert abs(result.p_target - p) < 4 * math.sqrt(p * (1 - p) / samples)
    assert result.to_dict()["actual_through"] == "2027-03"


def test_as_of_cuts_the_actuals(growth) -> None:
    """--as-of keeps only the actuals up to that period: the paths start from month 1."""
    actuals = _actuals(growth, {"g": [1.1, 0.95, 1.2]})
    assert cut_off(growth, actuals, "2027-01") == 0
    assert cut_off(growth, actuals, "2027-05") == 2
    assert cut_off(growth, actuals, "2027-02-28") == 1
    assert cut_off(growth, actuals, "2027/2/1") == 1
    result = forecast(growth, 4096, seed=1, landing=landing(growth, actuals, as_of="2027-01"))
    assert result.actual_through == "2027-01"
    assert result.quantiles[5][1] < result.quantiles[95][1]
    for text in ("2030-01", "2027-02-30", "2026-12-31"):
        with pytest.raises(DataError, match="not a period"):
            cut_off(growth, actuals, text)


def test_landing_keeps_the_seed_structure(growth) -> None:
    """simulate gives the paths a forecast summarises, whatever the chunk size."""
    start = landing(growth, _actuals(growth, {"g": [1.1, 0.95]}))
    paths = simulate(growth, 9000, 3, nodes=("x",), landing=start)["x"]
    result = forecast(growth, 9000, seed=3, landing=start, chunk=4096)
    np.testing.assert_allclose(np.percentile(paths, 50, axis=0), result.quantiles[50])


def test_beta_binomial_posterior_exact(funnel) -> None:
    """sql_rate: Beta(2, 8) + 140 of 600 -> Beta(142, 468); win_rate reads sql two months
    back (default 10 before the start): 9.5 of 30 on a uniform prior moment-matched to
    Beta(9.4, 37.6)."""
    actuals = _actuals(
        funnel,
        {"leads": [100, 200, 300], "sql_rate": [0.1, 0.2, 0.3], "win_rate": [0.25, 0.5, 0.2]},
    )
    learning = learn(funnel, actuals)
    rates = {rate.name: rate for rate in learning.rates}
    sql_rate, win_rate = rates["sql_rate"], rates["win_rate"]
    assert (sql_rate.successes, sql_rate.trials) == pytest.approx((140, 600))
    assert sql_rate.posterior == pytest.approx((142, 468))
    assert (win_rate.successes, win_rate.trials) == pytest.approx((9.5, 30))
    assert win_rate.prior == pytest.approx((9.4, 37.6))
    assert win_rate.posterior == pytest.approx((18.9, 58.1))
    assert any("moment-matched" in note for note in learning.notes)
    data = sql_rate.to_dict()["posterior"]
    assert data["mean"] == pytest.approx(142 / 610)
    assert data["p5"] == pytest.approx(stats.beta(142, 468).ppf(0.05))
    windowed = {r.name: r for r in learn(funnel, actuals, window=2).rates}["sql_rate"]
    assert windowed.posterior == pytest.approx((2 + 130, 8 + 370))


def test_forecast_draws_learned_rates_from_posterior(funnel) -> None:
    """With learned rates, sql in a later month (leads at plan 200) has mean 200 * 142/610,
    within 4 standard errors of the Beta(142, 468) draws."""
    actuals = _actuals(funnel, {"leads": [100, 200, 300], "sql_rate": [0.1, 0.2, 0.3]})
    samples = 20_000
    start = landing(funnel, actuals, learned=True)
    result = forecast(funnel, samples, seed=2, node="sql", landing=start)
    law = stats.beta(142, 468)
    assert abs(result.mean[-1] - 200 * law.mean()) < 4 * 200 * law.std() / math.sqrt(samples)
    assert result.mean[:3] == pytest.approx([10, 40, 90])
    learned = result.to_dict()["learned"]
    assert [entry["input"] for entry in learned] == ["sql_rate"]
    assert "win_rate: no actual in the window, not learned" in result.notes
    assert learned[0]["trials"] == pytest.approx(600)


def test_prior_without_distribution_is_flat(funnel) -> None:
    """A rate with no distribution learns from Beta(1, 1)."""
    tree = kpitree.loads(FUNNEL.replace(", distribution: {dist: beta, a: 2, b: 8}", ""))
    assert beta_prior(tree, "sql_rate") == (FLAT, None)


def test_uniform_prior_matches_the_flat_beta() -> None:
    """Uniform(0, 1) has the moments of Beta(1, 1) (mean 1/2, variance 1/12)."""
    tree = kpitree.loads(FUNNEL.replace("low: 0.1, high: 0.3", "low: 0, high: 1"))
    shapes, note = beta_prior(tree, "win_rate")
    assert shapes == pytest.approx(FLAT)
    assert "uniform" in str(note)


def test_learn_errors(funnel, growth) -> None:
    """No learnable rate, a bad window, or actuals of another tree: clear errors."""
    actuals = _actuals(funnel, {"leads": [100]})
    with pytest.raises(DataError, match="no rate to learn has an actual"):
        learn(funnel, actuals)
    with pytest.raises(DataError, match="window must be"):
        learn(funnel, actuals, window=0)
    with pytest.raises(DataError, match="no rate to learn"):
        learn(growth, _actuals(growth, {"g": [1.0]}))
    with pytest.raises(DataError, match="not 'growth'"):
        landing(growth, actuals)
    with pytest.raises(DataError, match="counts cannot"):
        forecast(funnel, 100, seed=1, counts="binomial", landing=landing(funnel, actuals))


def test_delay_reads_actual_earlier_periods(funnel) -> None:
    """won in the first forecast month reads the actual SQLs two months back: 40 x win_rate,
    mean 40 x 0.2 within 4 standard errors of the uniform(0.1, 0.3) draws; customers carry
    on from their actual count."""
    actuals = _actuals(funnel, {"leads": [100, 200, 300], "sql_rate": [0.1, 0.2, 0.3]})
    samples = 20_000
    start = landing(funnel, actuals)
    won = simulate(funnel, samples, 4, nodes=("won", "customers"), landing=start)
    sd = 40 * 0.2 / math.sqrt(12)
    assert abs(won["won"][:, 3].mean() - 8) < 4 * sd / math.sqrt(samples)
    # win_rate has no actual: held at its plan 0.25 in the actual months.
    assert np.all(won["won"][:, :3] == 2.5)
    np.testing.assert_allclose(won["customers"][:, 2], 7.5)
    np.testing.assert_allclose(won["customers"][:, 3], 7.5 + won["won"][:, 3])


def test_static_tree_landing_is_the_actual() -> None:
    """A static tree from actuals is its actual value on every path."""
    tree = kpitree.loads(
        "name: s\nkgi: y\nnodes:\n  a: {value: 2, distribution: {dist: normal, mean: 2, "
        "sd: 1}}\n  y: {formula: 3 * a}\n"
    )
    actuals = Actuals(tree=tree.name, source="t", periods=(0,), values={"a": {0: 5.0}})
    result = forecast(tree, 100, seed=1, landing=landing(tree, actuals))
    assert result.actual_through == "value"
    assert result.quantiles[5][0] == result.quantiles[95][0] == 15


def test_learned_rate_drops_its_correlation(funnel) -> None:
    """A correlation naming a learned rate is not applied to its posterior draws: a note
    says so."""
    tree = kpitree.loads(FUNNEL + "correlations:\n  - [sql_rate, win_rate, 0.5]\n")
    actuals = _actuals(tree, {"leads": [100], "sql_rate": [0.1]})
    result = forecast(tree, 100, seed=1, landing=landing(tree, actuals, learned=True))
    assert any(note.startswith("correlation sql_rate-win_rate dropped") for note in result.notes)


def test_streamed_landing_equals_in_memory(growth, monkeypatch) -> None:
    """Paths too many to keep are drawn twice: a landing forecast gives the same numbers."""
    start = landing(growth, _actuals(growth, {"g": [1.1, 0.95]}))
    kept = forecast(growth, 9000, seed=8, landing=start)
    monkeypatch.setattr("kpitree.analysis.forecast.IN_MEMORY_BYTES", 0)
    streamed = forecast(growth, 9000, seed=8, landing=start)
    for q in kept.quantiles:
        np.testing.assert_array_equal(kept.quantiles[q], streamed.quantiles[q])
    np.testing.assert_array_equal(kept.sd, streamed.sd)
    assert np.all(streamed.sd[:2] == 0)
