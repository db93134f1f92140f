"""Input draws: shapes by `vary`, rank correlations through the copula, reproducibility
whatever the chunking, and the errors for trees that cannot be sampled."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import TREES
from scipy import stats

import kpitree
from kpitree.analysis.forecast import forecast
from kpitree.analysis.sampling import BLOCK, InputSampler, generators
from kpitree.errors import DataError

CORRELATED = """
name: c
kgi: y
time: {periods: 3}
nodes:
  a: {value: 0.3, bounds: [0, 1], distribution: {dist: beta, mean: 0.3, sd: 0.05}}
  b: {value: 100, distribution: {dist: lognormal, mean: 100, sd: 30}}
  c: {value: 40, distribution: {dist: gamma, mean: 40, sd: 8, vary: period}}
  y: {formula: a * b + c}
correlations:
  - [a, b, 0.6]
  - [a, c, -0.4]
"""


def test_vary_path_is_a_column_and_vary_period_a_full_array() -> None:
    """A path-level input is drawn once per path, a period-level one per path and period."""
    tree = kpitree.load(TREES / "saas_arr.yaml")
    draws = InputSampler(tree).draw(next(generators(1, 0, 1)), 100)
    assert draws["win_rate"].shape == (100, 1)
    assert draws["outbound_leads"].shape == (100, 12)
    assert set(draws) == {"visit_cvr", "cpl", "outbound_leads", "win_rate", "churn_rate"}


def test_rank_correlations_follow_the_tree() -> None:
    """Spearman correlations of the draws match the tree's rho (path with path, and a path
    input with a period input in every period) and the marginals keep their means."""
    tree = kpitree.loads(CORRELATED)
    rows = 20_000
    draws = InputSampler(tree).draw(next(generators(7, 0, 1)), rows)
    # Fisher: atanh of a Spearman coefficient has variance about 1.06 / (n - 3); 4 SE.
    tolerance = 4 * np.sqrt(1.06 / (rows - 3))
    ab = stats.spearmanr(draws["a"][:, 0], draws["b"][:, 0]).statistic
    assert abs(np.arctanh(ab) - np.arctanh(0.6)) < tolerance
    for period in range(3):
        ac = stats.spearmanr(draws["a"][:, 0], draws["c"][:, period]).statistic
        assert abs(np.arctanh(ac) - np.arctanh(-0.4)) < tolerance
    # Draws of c in two periods share only the path-level drivers: their normal correlation
    # is C_cP C_PP^-1 C_Pc with P = (a, b), normal r = 2 sin(pi rho_s / 6).
    r_ab, r_ac = 2 * np.sin(np.pi * 0.6 / 6), 2 * np.sin(np.pi * -0.4 / 6)
    shared = r_ac**2 / (1 - r_ab**2)
    expected = 6 / np.pi * np.arcsin(shared / 2)
    cc = stats.spearmanr(draws["c"][:, 0], draws["c"][:, 1]).statistic
    assert abs(np.arctanh(cc) - np.arctanh(expected)) < tolerance
    # The mean of b (lognormal sd 30): standard error 30 / sqrt(n), 4 SE.
    assert abs(draws["b"].mean() - 100) < 4 * 30 / np.sqrt(rows)


def test_same_seed_same_numbers_whatever_the_chunks() -> None:
    """Two chunk sizes give bit-identical forecasts, with binomial counts too; another seed
    gives other numbers."""
    tree = kpitree.load(TREES / "saas_arr.yaml")
    samples = 2 * BLOCK + 123  # a partial last block
    small = forecast(tree, samples, seed=5, counts="binomial", chunk=BLOCK)
    large = forecast(tree, samples, seed=5, counts="binomial", chunk=4 * BLOCK)
    assert np.array_equal(small.final, large.final)
    assert np.array_equal(small.quantiles[50], large.quantiles[50])
    other = forecast(tree, samples, seed=6, counts="binomial", chunk=BLOCK)
    assert not np.array_equal(small.final, other.final)
    assert small.seed == 5


def test_per_period_values_with_a_distribution_are_refused() -> None:
    """An input with one value per period and a distribution cannot be sampled."""
    tree = kpitree.loads(
        """
        name: v
        kgi: y
        time: {periods: 2}
        nodes:
          x: {value: [1, 2], distribution: {dist: normal, mean: 1, sd: 0.1}}
          y: {formula: x * 2}
        """
    )
    with pytest.raises(DataError, match="node 'x': has one value per period and a distribution"):
        forecast(tree, 10)


BAD_CORRELATIONS = [
    ("[[a, zz, 0.5]]", "tree.yaml:10: correlation names 'zz', which is not a node"),
    ("[[a, d, 0.5]]", "tree.yaml:10: correlation names 'd', which has no distribution"),
    ("[[a, b, 1.5]]", "tree.yaml:10: correlation 1.5 between 'a' and 'b' is outside [-1, 1]"),
    ("[[a, a, 0.5]]", "tree.yaml:10: correlation of 'a' with itself"),
    (
        "[[a, b, 0.9], [b, c, 0.9], [a, c, -0.9]]",
        "tree.yaml:10: the correlations between a, b, c are not consistent (the matrix is not "
        "positive semi-definite: smallest eigenvalue -0.8)",
    ),
]


@pytest.mark.parametrize(("correlations", "message"), BAD_CORRELATIONS)
def test_bad_correlations_are_one_line_errors(cli, write_tree, correlations, message) -> None:
    """An invalid correlation list stops forecast and sobol with exit 2 and one line."""
    path = write_tree(
        "name: bad\nkgi: y\nnodes:\n"
        "  a: {value: 1, distribution: {dist: normal, mean: 1, sd: 0.1}}\n"
        "  b: {value: 1, distribution: {dist: normal, mean: 1, sd: 0.1}}\n"
        "  c: {value: 1, distribution: {dist: normal, mean: 1, sd: 0.1}}\n"
        "  d: {value: 1}\n"
        "  y: {formula: a + b + c + d}\n"
        "correlations:\n"
        f"  {correlations}\n"
    )
    for command in ("forecast", "sobol"):
        status, out, err = cli(command, path)
        assert (status, out) == (2, "")
        assert err == f"{path.parent}/{message}\n"
