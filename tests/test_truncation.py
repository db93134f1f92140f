"""Distributions and bounds: a stated interval that leaves the bounds is refused when the tree
is read, an open-tailed law is truncated to them, the same law in forecast, Sobol and tornado."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import TREES
from scipy import stats

import kpitree
from kpitree.analysis.sampling import InputSampler, assumptions, generators, truncations
from kpitree.distribution import Distribution
from kpitree.errors import SpecError
from kpitree.node import Node

FUNNEL = """
name: funnel
kgi: won
nodes:
  sql: {value: 100, bounds: [0, null], unit: SQLs}
  win_rate:
    value: 0.9
    bounds: [0, 1]
    distribution: LAW
  won: {formula: sql * win_rate}
"""
NORMAL = "{dist: normal, mean: 0.9, sd: 0.2}"
# The reference: scipy's own truncated normal on [0, 1], standardised ends.
TRUNCNORM = stats.truncnorm((0 - 0.9) / 0.2, (1 - 0.9) / 0.2, loc=0.9, scale=0.2)


def funnel(law: str = NORMAL) -> kpitree.Tree:
    """The funnel tree with ``law`` on the win rate."""
    return kpitree.loads(FUNNEL.replace("LAW", law), source="funnel.yaml")


@pytest.mark.parametrize(
    ("law", "written"),
    [
        ("{dist: uniform, low: -0.5, high: 1.5}", "uniform(-0.5, 1.5)"),
        ("{dist: triangular, low: 0.2, mode: 0.9, high: 1.2}", "triangular(0.2, 0.9, 1.2)"),
        ("{dist: pert, low: -0.1, mode: 0.5, high: 0.9}", "pert(-0.1, 0.5, 0.9)"),
    ],
)
def test_stated_interval_leaving_the_bounds_is_a_read_error(cli, write_tree, law, written):
    """uniform(-0.5, 1.5) on a [0, 1] rate stops at read time with FILE:LINE: node: message."""
    path = write_tree(FUNNEL.replace("LAW", law))
    status, out, err = cli("validate", path)
    assert (status, out) == (2, "")
    assert err.startswith(
        f"{path}:5: node 'win_rate': distribution {written} leaves bounds [0, 1]"
    ), err
    assert "Traceback" not in err


def test_beta_leaving_narrower_bounds_is_refused() -> None:
    """A beta lies in [0, 1]: on bounds [0, 0.5] it leaves them and is refused."""
    with pytest.raises(SpecError, match=r"distribution beta\(a=2, b=5\) leaves bounds \[0, 0.5\]"):
        Node("r", value=0.3, bounds=(0, 0.5), distribution=Distribution("beta", {"a": 2, "b": 5}))


def test_python_built_node_gets_the_same_error() -> None:
    """A Node built in Python is checked in __post_init__, without a file location."""
    uniform = Distribution.from_mapping({"dist": "uniform", "low": -0.5, "high": 1.5})
    with pytest.raises(SpecError) as caught:
        Node("rate", value=0.5, bounds=(0, 1), distribution=uniform)
    assert str(caught.value) == (
        "node 'rate': distribution uniform(-0.5, 1.5) leaves bounds [0, 1]: its values run "
        "from -0.5 to 1.5 (narrow the distribution or widen the bounds)"
    )


def test_law_almost_entirely_outside_the_bounds_is_refused() -> None:
    """normal(5, 0.2) on [0, 1] would cut all but ~1e-89 of its mass: refused at read time."""
    with pytest.raises(
        SpecError,
        match=r"funnel.yaml:6: node 'win_rate': distribution normal\(mean=5, sd=0.2\) lies almost",
    ):
        funnel("{dist: normal, mean: 5, sd: 0.2}")


def test_cut_just_below_the_limit_is_accepted() -> None:
    """A normal with 99 % of its mass above 1 is still drawn (1 % kept is enough to draw)."""
    mean = 1 + 0.1 * float(stats.norm.isf(0.01))  # P(X < 1) = 0.01
    tree = funnel(f"{{dist: normal, mean: {mean!r}, sd: 0.1}}")
    assert tree.nodes["win_rate"].distribution.cut == pytest.approx(0.99, rel=1e-9)


def test_truncated_quantiles_match_scipy_truncnorm() -> None:
    """ppf, isf, cdf and mean of the truncated normal equal scipy.stats.truncnorm's."""
    tree = funnel()
    law = tree.nodes["win_rate"].distribution.law()
    u = np.array([1e-12, 1e-6, 0.01, 0.05, 0.3, 0.5, 0.7, 0.95, 0.99, 1 - 1e-9])
    np.testing.assert_allclose(law.ppf(u), TRUNCNORM.ppf(u), rtol=1e-9)
    # Near the lower end the value is a small difference (0.9 - 0.89999): absolute precision.
    np.testing.assert_allclose(law.isf(u), TRUNCNORM.isf(u), rtol=1e-9, atol=1e-12)
    x = np.linspace(0, 1, 11)
    np.testing.assert_allclose(law.cdf(x), TRUNCNORM.cdf(x), rtol=1e-9, atol=1e-15)
    assert law.mean() == pytest.approx(TRUNCNORM.mean(), rel=1e-9)
    sampler = InputSampler(tree)
    np.testing.assert_allclose(sampler.from_uniforms("win_rate", u), TRUNCNORM.ppf(u), rtol=1e-9)


def test_draws_stay_in_bounds_and_follow_the_truncated_law() -> None:
    """Independent and copula draws lie in [0, 1]; their mean is truncnorm's within 4 SE."""
    rows = 50_000
    for correlated in (False, True):
        text = FUNNEL.replace("LAW", NORMAL)
        if correlated:
            text = text.replace(
                "  won:", "  x: {value: 1, distribution: {dist: normal, mean: 1, sd: 1}}\n  won:"
            )
            text = text.replace(
                "won: {formula: sql * win_rate}", "won: {formula: sql * win_rate + x}"
            )
            text += "correlations:\n  - [win_rate, x, 0.5]\n"
        draws = InputSampler(kpitree.loads(text)).draw(next(generators(3, 0, 1)), rows)
        rate = draws["win_rate"]
        assert rate.min() >= 0
        assert rate.max() <= 1
        assert abs(rate.mean() - TRUNCNORM.mean()) < 4 * TRUNCNORM.std() / np.sqrt(rows)


def test_forecast_of_won_stays_within_the_sqls() -> None:
    """The issue's case: 100 SQLs times normal(0.9, 0.2) on [0, 1] never wins more than 100
    (it gave a p95 of 122.6); the p95 is 100 x truncnorm's 95th percentile within 4 SE."""
    samples = 40_000
    result = funnel().forecast(samples=samples, seed=5)
    assert result.final.max() <= 100
    assert result.final.min() >= 0
    # SE of a p-quantile: sqrt(p (1 - p) / n) / density at it.
    q95 = TRUNCNORM.ppf(0.95)
    se = np.sqrt(0.95 * 0.05 / samples) / TRUNCNORM.pdf(q95)
    assert abs(result.quantiles[95][-1] / 100 - q95) < 4 * se


def test_tornado_distribution_range_equals_the_forecast_percentiles() -> None:
    """Tornado's distribution range is the truncated law's 5th and 95th percentiles, which the
    forecast of the input itself reproduces within 4 SE."""
    tree = funnel()
    bar = tree.tornado(range="distribution")["win_rate"]
    assert (bar.low_value, bar.high_value) == pytest.approx(TRUNCNORM.ppf([0.05, 0.95]), rel=1e-9)
    assert not bar.clipped
    samples = 40_000
    result = tree.forecast(samples=samples, seed=11, node="win_rate")
    for q, end in ((5, bar.low_value), (95, bar.high_value)):
        p = q / 100
        se = np.sqrt(p * (1 - p) / samples) / TRUNCNORM.pdf(end)
        assert abs(result.quantiles[q][-1] - end) < 4 * se


def test_sobol_samples_inside_the_bounds_and_says_so() -> None:
    """Sobol's quasi-random uniforms map inside the bounds and its notes name the cut."""
    result = funnel().sobol(samples=256, seed=1)
    assert any("win_rate (normal) is truncated to its bounds [0, 1]" in n for n in result.notes)


def test_assumptions_list_truncated_inputs_with_the_mass_cut() -> None:
    """The cut share is P(X < 0) + P(X > 1) of the untruncated normal; a fixed input is not
    listed, and the forecast's notes say it."""
    tree = funnel()
    cut = stats.norm.cdf(0, 0.9, 0.2) + stats.norm.sf(1, 0.9, 0.2)
    plan = assumptions(tree)
    assert plan.truncated == {"win_rate": pytest.approx(cut, rel=1e-12)}
    assert truncations(tree, fixed=("win_rate",)) == {}
    assert assumptions(tree, overrides={"win_rate": 0.5}).truncated == {}
    note = "win_rate (normal) is truncated to its bounds [0, 1]: the 30.9 % of its probability"
    assert any(n.startswith(note) for n in tree.forecast(samples=64, seed=1).notes)


def test_input_without_bounds_is_not_changed() -> None:
    """A count with no bounds keeps its normal law as given (negative draws possible)."""
    node = Node(
        "leads", value=10, unit="leads", distribution=Distribution("normal", {"mean": 10, "sd": 20})
    )
    assert node.distribution.truncation == (None, None)
    assert node.distribution.law().ppf(0.05) == pytest.approx(stats.norm(10, 20).ppf(0.05))


def test_law_inside_its_bounds_is_untouched() -> None:
    """A lognormal on [0, inf) and a beta on [0, 1] lie inside their bounds: not truncated."""
    tree = kpitree.load(TREES / "saas_arr.yaml")
    assert truncations(tree) == {}


def test_poisson_truncated_to_a_ceiling_matches_the_renormalised_pmf() -> None:
    """Poisson(40) on [30, 45]: quantiles equal those of the pmf renormalised on 30..45."""
    law = Node(
        "calls", value=40, bounds=(30, 45), distribution=Distribution("poisson", {"mu": 40})
    ).distribution.law()
    k = np.arange(30, 46)
    cdf = np.cumsum(stats.poisson.pmf(k, 40))
    cdf /= cdf[-1]
    u = np.array([0.0, 1e-9, 0.01, 0.2, 0.5, 0.8, 0.99, 1 - 1e-12])
    expected = k[np.searchsorted(cdf, u * (1 - 1e-12))]
    np.testing.assert_array_equal(law.ppf(u), expected)
    draws = law.rvs(size=20_000, random_state=np.random.default_rng(2))
    assert draws.min() >= 30
    assert draws.max() <= 45


def test_report_forecast_names_the_truncated_law() -> None:
    """The report's forecast section says the win rate's normal is truncated and how much."""
    from kpitree.report import build_report
    from kpitree.report.analysis_sections import forecast_section

    html = build_report(funnel(), samples=256, seed=1, sections=[forecast_section])
    assert "win_rate (normal, truncated to its bounds: 30.9 % cut)" in html


def test_truncated_gamma_matches_numerical_integration() -> None:
    """gamma(mean 4, sd 1) on [3, 5]: at each of its quantiles u, the integral of the gamma
    density from 3, over the integral from 3 to 5, is u (scipy.integrate.quad as reference)."""
    from scipy import integrate

    law = Node(
        "cycle", value=4, bounds=(3, 5), distribution=Distribution("gamma", {"mean": 4, "sd": 1})
    ).distribution.law()
    density = stats.gamma(a=16, scale=0.25).pdf
    kept = integrate.quad(density, 3, 5)[0]
    for u in (0.01, 0.25, 0.5, 0.75, 0.99):
        x = float(law.ppf(u))
        assert 3 <= x <= 5
        assert integrate.quad(density, 3, x)[0] / kept == pytest.approx(u, rel=1e-7)


def test_period_draws_are_truncated_too() -> None:
    """A `vary: period` normal on [0, 1] is drawn inside the bounds in every period."""
    text = FUNNEL.replace("LAW", "{dist: normal, mean: 0.9, sd: 0.2, vary: period}")
    text = text.replace("kgi: won\n", "kgi: won\ntime: {periods: 6}\n")
    draws = InputSampler(kpitree.loads(text)).draw(next(generators(4, 0, 1)), 5000)
    assert draws["win_rate"].shape == (5000, 6)
    assert draws["win_rate"].min() >= 0
    assert draws["win_rate"].max() <= 1


def test_tornado_says_which_percentiles_come_from_a_truncated_law(cli, write_tree) -> None:
    """The distribution tornado lists the truncated input and its cut share (table and JSON)."""
    tree = funnel()
    cut = stats.norm.cdf(0, 0.9, 0.2) + stats.norm.sf(1, 0.9, 0.2)
    assert tree.tornado(range="distribution").truncated == {"win_rate": pytest.approx(cut)}
    assert tree.tornado().truncated == {}
    path = write_tree(FUNNEL.replace("LAW", NORMAL))
    _, out, _ = cli("tornado", path, "--range", "distribution")
    assert "percentiles of the law truncated to the input's bounds: win_rate (30.9 % cut)" in out


def test_count_with_a_floor_draws_no_negative_counts() -> None:
    """The issue's negative counts: normal(5, 5) leads with bounds [0, null] are drawn >= 0,
    their mean that of the normal truncated at 0 (scipy truncnorm) within 4 SE."""
    text = """
    name: leads
    kgi: leads
    nodes:
      leads: {value: 5, unit: leads, bounds: [0, null],
              distribution: {dist: normal, mean: 5, sd: 5}}
    """
    rows = 40_000
    tree = kpitree.loads(text.replace("\n    ", "\n"))
    draws = InputSampler(tree).draw(next(generators(9, 0, 1)), rows)["leads"]
    reference = stats.truncnorm(-1, np.inf, loc=5, scale=5)
    assert draws.min() >= 0
    assert abs(draws.mean() - reference.mean()) < 4 * reference.std() / np.sqrt(rows)
