"""Shapley effects against closed forms computed here by brute force over subsets."""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest
from conftest import TREES

import kpitree
from kpitree.analysis.sampling import InputSampler
from kpitree.analysis.shapley import normal_covariance, shapley
from kpitree.errors import DataError

LINEAR = """
name: lin
kgi: y
nodes:
  x1: {value: 0, distribution: {dist: normal, mean: 1, sd: 1}}
  x2: {value: 0, distribution: {dist: normal, mean: 2, sd: 2}}
  x3: {value: 0, distribution: {dist: normal, mean: 0, sd: 1.5}}
  y: {formula: x1 + 2 * x2 + 0.5 * x3}
correlations:
  - [x1, x2, 0.5]
  - [x2, x3, -0.3]
"""


def gaussian_shapley(b: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """Exact Shapley effects (shares of Var Y) of Y = b'X, X ~ N(mu, sigma): the value of a
    set u is Var(E[Y | X_u]) = b' S_.u S_uu^-1 S_u. b, averaged over orders by subset weights
    |u|! (k - |u| - 1)! / k!."""
    k = len(b)

    def explained(u: tuple[int, ...]) -> float:
        if not u:
            return 0.0
        cols = list(u)
        return float(
            b @ sigma[:, cols] @ np.linalg.solve(sigma[np.ix_(cols, cols)], sigma[cols, :]) @ b
        )

    effects = np.zeros(k)
    for i in range(k):
        others = [j for j in range(k) if j != i]
        for size in range(k):
            weight = math.factorial(size) * math.factorial(k - size - 1) / math.factorial(k)
            for u in itertools.combinations(others, size):
                effects[i] += weight * (explained((*u, i)) - explained(u))
    return effects / (b @ sigma @ b)


def test_linear_gaussian_model_with_rank_correlations_matches_the_closed_form() -> None:
    """Y = x1 + 2 x2 + 0.5 x3 with normal inputs and Spearman 0.5 (x1, x2) and -0.3 (x2, x3):
    the copula makes X Gaussian with correlations 2 sin(pi rho / 6); the effects match the
    brute-force Gaussian Shapley effects within 4 SE, with SE below 0.015."""
    sd = np.array([1.0, 2.0, 1.5])
    rho = np.eye(3)
    for i, j, spearman in [(0, 1, 0.5), (1, 2, -0.3)]:
        rho[i, j] = rho[j, i] = 2 * np.sin(np.pi * spearman / 6)
    exact = gaussian_shapley(np.array([1.0, 2.0, 0.5]), rho * np.outer(sd, sd))
    result = shapley(kpitree.loads(LINEAR), 4096, seed=3)
    assert result.names == ("x1", "x2", "x3")
    assert result.correlated
    assert np.all(result.effects_se < 0.015)
    assert np.all(np.abs(result.effects - exact) < 4 * result.effects_se)
    # The correlations matter here: the effects are not the independent model's shares.
    independent = np.array([1.0, 16.0, 0.5625]) / 17.5625
    assert np.max(np.abs(exact - independent)) > 0.05


def test_effects_add_up_to_one_and_a_seed_repeats_them() -> None:
    """The effects telescope to Var(Y) in every order, so they add up to 1; the same seed
    gives the same effects."""
    tree = kpitree.load(TREES / "saas_arr.yaml")
    one, two = shapley(tree, 64, seed=4), shapley(tree, 64, seed=4)
    assert one.effects.sum() == pytest.approx(1.0, abs=1e-12)
    assert np.array_equal(one.effects, two.effects)
    assert np.array_equal(one.effects_se, two.effects_se)
    assert one.evaluations == 64 * 4 + 64 * 4 * 3
    assert list(one.to_frame().columns) == ["Sh", "Sh_se", "Sh_conf"]
    assert list(one.to_dict()) == [
        "tree", "kgi", "period", "seed", "orders", "evaluations", "variance", "correlated", "scenario", "fixed", "effects"
    ]  # fmt: skip
    assert not one.correlated


def test_independent_additive_model_gives_the_variance_shares() -> None:
    """y = 2a + b + 3c with independent inputs: the Shapley effect of each is its share
    4/12, 1/4, 9 * 4/12 over the sum (equal to S1 and ST), within 4 SE."""
    tree = kpitree.loads(
        """
        name: add
        kgi: y
        nodes:
          a: {value: 0.5, distribution: {dist: uniform, low: 0, high: 1}}
          b: {value: 0, distribution: {dist: normal, mean: 0, sd: 0.5}}
          c: {value: 1, distribution: {dist: uniform, low: 0, high: 2}}
          y: {formula: 2 * a + b + 3 * c}
        """
    )
    parts = np.array([4 / 12, 0.25, 9 * 4 / 12])
    result = tree.shapley(samples=2048, seed=5)
    assert np.all(np.abs(result.effects - parts / parts.sum()) < 4 * result.effects_se)


def test_period_input_is_one_player_correlated_with_a_path_input() -> None:
    """total = prev(total) + x + y over 4 periods, x ~ N(0, 1) drawn per period, y ~ N(0, 1)
    per path, Spearman 0.6: the copula's normal correlation r = 2 sin(pi 0.6 / 6) links y to
    each x_t (so the x_t covary by r^2); Y = sum x_t + 4 y is then linear Gaussian and the
    effects of the groups {x_1..x_4} and {y} match the brute force over the two players."""
    tree = kpitree.loads(
        """
        name: g
        kgi: total
        time: {periods: 4}
        nodes:
          x: {value: 0, distribution: {dist: normal, mean: 0, sd: 1, vary: period}}
          y: {value: 0, distribution: {dist: normal, mean: 0, sd: 1}}
          total: {formula: prev(total) + x + y, initial: 0}
        correlations:
          - [x, y, 0.6]
        """
    )
    r = 2 * np.sin(np.pi * 0.6 / 6)
    x = r**2 * np.ones((4, 4)) + (1 - r**2) * np.eye(4)  # x_t = r y + sqrt(1 - r^2) e_t
    sigma = np.block([[x, np.full((4, 1), r)], [np.full((1, 4), r), np.ones((1, 1))]])
    b = np.ones(5) * np.array([1, 1, 1, 1, 4])
    # Two players: Var(E[Y | group]) over the groups, Shapley with two players.
    total = b @ sigma @ b

    def explained(cols: list[int]) -> float:
        return float(
            b @ sigma[:, cols] @ np.linalg.solve(sigma[np.ix_(cols, cols)], sigma[cols, :]) @ b
        )

    alone_x, alone_y = explained([0, 1, 2, 3]), explained([4])
    exact = np.array([alone_x + total - alone_y, alone_y + total - alone_x]) / 2 / total
    sampler = InputSampler(tree)
    np.testing.assert_allclose(normal_covariance(sampler, [4, 1]), sigma, atol=1e-12)
    result = shapley(tree, 2048, seed=8)
    assert np.all(np.abs(result.effects - exact) < 4 * result.effects_se)


def test_cli_sobol_shapley_table_json_and_plot(cli, write_tree, tmp_path) -> None:
    """sobol --shapley prints the effects (largest first), JSON has them with their SE, and
    --plot writes a bar chart."""
    path = write_tree(LINEAR)
    png = tmp_path / "sh.png"
    status, out, err = cli("sobol", path, "--shapley", "--samples", "256", "--seed", "1",
                           "--plot", png)  # fmt: skip
    assert (status, err) == (0, "")
    rows = out.splitlines()
    assert rows[0].startswith("lin: Shapley effects of y at the last period, 256 random orders")
    assert rows[1].split() == ["input", "Sh", "95", "%", "SE"]
    assert rows[3].split()[0] == "x2"
    assert "correlation" in out
    assert png.read_bytes()[:4] == b"\x89PNG"
    status, out, err = cli("sobol", path, "--shapley", "--samples", "256", "--seed", "1",
                           "--format", "json")  # fmt: skip
    data = json.loads(out)
    assert (status, err) == (0, "")
    assert [e["input"] for e in data["effects"]] == ["x1", "x2", "x3"]
    assert sum(e["Sh"] for e in data["effects"]) == pytest.approx(1.0)
    assert data["correlated"] is True


@pytest.mark.parametrize(
    ("text", "arguments", "message"),
    [
        (
            None,
            ["--samples", "1"],
            "kpitree: samples (the number of random orders) must be a whole number >= 2, found 1\n",
        ),
        (
            "name: s\nkgi: y\nnodes:\n  a: {value: 1}\n  y: {formula: a * 2}\n",
            [],
            "kpitree: tree 's': no input that is not fixed has a distribution, so there is "
            "nothing to vary\n",
        ),
        (
            "name: s\nkgi: y\nnodes:\n  a: {value: 1, distribution: {dist: normal, mean: 1, sd: 1}}\n"
            "  b: {value: 1}\n  y: {formula: b * 2}\n  z: {formula: a}\n",
            [],
            "kpitree: KGI 'y' takes the same value on every sample: its variance is 0 and the "
            "Shapley effects are undefined\n",
        ),
    ],
)
def test_cli_shapley_bad_input(cli, write_tree, text, arguments, message) -> None:
    """Too few orders, no uncertain input or a constant KGI exit 2 with one line."""
    path = TREES / "saas_arr.yaml" if text is None else write_tree(text)
    status, out, err = cli("sobol", path, "--shapley", "--samples", "64", *arguments)
    assert (status, out, err) == (2, "", message)


def test_fixed_input_is_no_player_and_its_correlation_is_dropped() -> None:
    """--set x2 fixes it: x1 and x3 are the players and, independent now, share Var(Y) as
    1 : 0.5625."""
    result = shapley(kpitree.loads(LINEAR), 1024, seed=2, overrides={"x2": 2})
    assert result.names == ("x1", "x3")
    assert not result.correlated
    exact = np.array([1.0, 0.5625]) / 1.5625
    assert np.all(np.abs(result.effects - exact) < 4 * result.effects_se)
    assert result.fixed == {"x2": 2.0}
    assert any("dropped" in note for note in result.notes)


@pytest.mark.parametrize("mu", [0.01, 3.2, 640.0])
def test_discrete_inputs_take_the_ppf_values_through_the_cdf_table(mu) -> None:
    """A Poisson input's values at normal quantiles equal scipy's ppf (the table only makes
    them faster)."""
    from scipy import special, stats

    from kpitree.analysis.shapley import _marginal

    normals = np.random.default_rng(1).standard_normal((5000, 3))
    law = stats.poisson(mu)
    np.testing.assert_array_equal(_marginal(law, normals), law.ppf(special.ndtr(normals)))


def test_refuses_orders_that_would_not_fit_in_memory(monkeypatch) -> None:
    """With 1 MiB available, 4096 orders on the SaaS tree are refused with the memory named."""
    from kpitree.analysis import shapley as shapley_module

    monkeypatch.setattr(shapley_module, "available_memory", lambda: 2**20)
    with pytest.raises(DataError, match=r"samples 4,096 with 5 uncertain inputs would need about"):
        shapley(kpitree.load(TREES / "saas_arr.yaml"), 4096, seed=1)


def test_standard_errors_match_the_spread_over_seeds() -> None:
    """Over 20 seeds of the linear Gaussian model the errors in standard errors have an RMS
    between 0.7 and 1.3 (about 1 +- 3 x 0.09 for 60 values): the SE is neither too small nor
    vacuous."""
    sd = np.array([1.0, 2.0, 1.5])
    rho = np.eye(3)
    for i, j, spearman in [(0, 1, 0.5), (1, 2, -0.3)]:
        rho[i, j] = rho[j, i] = 2 * np.sin(np.pi * spearman / 6)
    exact = gaussian_shapley(np.array([1.0, 2.0, 0.5]), rho * np.outer(sd, sd))
    tree = kpitree.loads(LINEAR)
    z = [
        (r.effects - exact) / r.effects_se for r in (shapley(tree, 512, seed=s) for s in range(20))
    ]
    assert 0.7 < np.sqrt(np.mean(np.square(z))) < 1.3


def test_normal_covariance_is_the_covariance_of_the_forecast_draws() -> None:
    """Path inputs a, b and period inputs c, d (3 periods), standard normal laws, correlated
    a-b, a-c and c-d: the covariance the conditional draws use equals the sample covariance of
    200,000 paths drawn as the forecast draws them, within 0.015 (SE about 0.0032)."""
    tree = kpitree.loads(
        """
        name: cov
        kgi: y
        time: {periods: 3}
        nodes:
          a: {value: 0, distribution: {dist: normal, mean: 0, sd: 1}}
          b: {value: 0, distribution: {dist: normal, mean: 0, sd: 1}}
          c: {value: 0, distribution: {dist: normal, mean: 0, sd: 1, vary: period}}
          d: {value: 0, distribution: {dist: normal, mean: 0, sd: 1, vary: period}}
          y: {formula: a + b + c + d}
        correlations:
          - [a, b, 0.5]
          - [a, c, 0.4]
          - [c, d, -0.3]
        """
    )
    sampler = InputSampler(tree)
    draws = sampler.draw(np.random.default_rng(11), 200_000)
    stacked = np.hstack([draws[name] for name in ("a", "b", "c", "d")])
    covariance = normal_covariance(sampler, [1, 1, 3, 3])
    np.testing.assert_allclose(np.cov(stacked, rowvar=False), covariance, atol=0.015)
    assert abs(covariance[2, 5] - 2 * np.sin(np.pi * -0.3 / 6)) < 1e-12  # c_1 with d_1
