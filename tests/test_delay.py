"""delay() with a fractional or input k, and lagged(): values against hand interpolation and
convolution, exact derivatives in k and the weights, forecast paths, solve, attribution."""

from __future__ import annotations

import numpy as np
import pytest

import kpitree
from kpitree.errors import FormulaError

SQL = [100.0, 120.0, 90.0, 150.0, 130.0, 170.0, 160.0, 200.0]


def _tree(formula: str, cycle: float = 2.5, bounds: str = "[1, 4]") -> kpitree.Tree:
    return kpitree.loads(
        f"""
        name: cycle
        kgi: won
        time: {{periods: {len(SQL)}}}
        nodes:
          sql: {{value: {SQL}}}
          win_rate: {{value: 0.25, bounds: [0, 1]}}
          cycle: {{value: {cycle}, bounds: {bounds}}}
          w0: {{value: 0.2}}
          w1: {{value: 0.5}}
          w2: {{value: 0.3}}
          won: {{formula: "{formula}"}}
        """
    )


def _by_hand(k: float) -> np.ndarray:
    """sql read k periods back, linear between whole periods, 0 before period 1."""
    padded = np.concatenate([np.zeros(10), SQL])
    t = np.arange(len(SQL)) + 10
    return np.interp(t - k, np.arange(len(padded)), padded)


@pytest.mark.parametrize("k", [0.0, 1.0, 2.5, 2.75, 3.0])
def test_constant_fractional_delay_interpolates_between_whole_periods(k: float) -> None:
    """delay(sql, k) with a constant k equals linear interpolation of the padded history."""
    values = _tree(f"delay(sql, {k}) * win_rate").evaluate().values["won"]
    np.testing.assert_allclose(values, 0.25 * _by_hand(k), rtol=1e-14)


@pytest.mark.parametrize("k", [1.0, 1.4, 2.5, 4.0])
def test_input_delay_equals_the_constant_one(k: float) -> None:
    """delay(sql, cycle) with cycle = k equals delay(sql, k)."""
    values = _tree("delay(sql, cycle) * win_rate", cycle=k).evaluate().values["won"]
    np.testing.assert_allclose(values, 0.25 * _by_hand(k), rtol=1e-14, atol=1e-12)


def test_derivative_in_the_cycle_is_the_difference_of_the_two_periods_read() -> None:
    """d won[t] / d cycle at cycle 2.5 is win_rate (sql[t-3] - sql[t-2]) (hand derivative of
    the interpolation), in every period."""
    tree = _tree("delay(sql, cycle) * win_rate")
    padded = np.concatenate([np.zeros(3), SQL])
    for period in range(1, len(SQL) + 1):
        result = tree.sensitivity(period=str(period))
        t = period - 1 + 3
        expected = 0.25 * (padded[t - 3] - padded[t - 2])
        assert result["cycle"].derivative == pytest.approx(expected, rel=1e-12, abs=1e-12)


def test_cycle_is_held_within_its_bounds() -> None:
    """A cycle moved past its upper bound reads no further back than the bound."""
    tree = _tree("delay(sql, cycle) * win_rate", bounds="[1, 3]")
    inputs = {**tree.input_values(), "cycle": 5.0}  # the engine takes what a checked run refuses
    beyond = tree.engine.run(inputs, nodes=("won",))["won"][0]
    np.testing.assert_allclose(beyond, 0.25 * _by_hand(3.0), rtol=1e-14)


def test_paths_with_a_drawn_cycle_each_read_their_own_delay() -> None:
    """One vectorised run with a cycle per path equals each path's own interpolation."""
    tree = _tree("delay(sql, cycle) * win_rate")
    cycles = np.random.default_rng(5).uniform(1, 4, 50)
    inputs = {**tree.input_values(), "cycle": cycles[:, None]}
    run = tree.engine.run(inputs, samples=50, nodes=("won",))
    expected = np.array([0.25 * _by_hand(k) for k in cycles])
    np.testing.assert_allclose(run["won"], expected, rtol=1e-13, atol=1e-12)


def test_forecast_with_a_cycle_distribution_runs() -> None:
    """A cycle carrying a distribution forecasts; its last-period mean lies between the
    shortest and longest cycle's values."""
    tree = kpitree.loads(
        """
        name: cycle
        kgi: won
        time: {periods: 8}
        nodes:
          sql: {value: [100, 120, 90, 150, 130, 170, 160, 200]}
          cycle: {value: 2, bounds: [1, 3], distribution: {dist: uniform, low: 1, high: 3}}
          won: {formula: "delay(sql, cycle)"}
        """
    )
    result = tree.forecast(samples=2_000, seed=3)
    frame = result.to_frame()
    assert len(frame) == 8
    assert 130 <= float(frame["mean"].iloc[-1]) <= 170


def test_solve_shortens_the_cycle() -> None:
    """Solving the last period's won for the cycle finds a k whose interpolation hits the
    target: 166 is read at k = 1.6 (0.4 * 160 + 0.6 * 170) and at k = 2.1 (0.9 * 170 + 0.1 *
    130); the root nearer today's 2.5 is chosen."""
    tree = _tree("delay(sql, cycle) * win_rate")
    target = 0.25 * 166
    assert float(_by_hand(1.6)[-1]) == pytest.approx(166)
    solution = tree.solve(["cycle"], target=target)
    assert solution.plan.feasible
    assert float(np.ravel(solution.plan.values["cycle"])[0]) == pytest.approx(2.1, abs=1e-6)


def test_lagged_equals_a_convolution() -> None:
    """lagged(sql, [0.2, 0.5, 0.3]) is the convolution of sql with the weights (0 before
    period 1)."""
    values = _tree("lagged(sql, [0.2, 0.5, 0.3])").evaluate().values["won"]
    expected = np.convolve(SQL, [0.2, 0.5, 0.3])[: len(SQL)]
    np.testing.assert_allclose(values, expected, rtol=1e-14)


def test_lagged_weights_from_nodes_have_exact_derivatives() -> None:
    """With weights w0, w1, w2 as inputs, d won[t] / d w_j = sql[t - j]."""
    tree = _tree("lagged(sql, [w0, w1, w2])")
    np.testing.assert_allclose(
        tree.evaluate().values["won"], np.convolve(SQL, [0.2, 0.5, 0.3])[: len(SQL)], rtol=1e-14
    )
    result = tree.sensitivity(period="8")
    for j in range(3):
        assert result[f"w{j}"].derivative == pytest.approx(SQL[7 - j], rel=1e-13)


def test_previous_period_attribution_adds_up_with_a_variable_cycle() -> None:
    """--previous on a tree with delay(sql, cycle): the contributions add up to the change."""
    tree = _tree("delay(sql, cycle) * win_rate")
    result = tree.attribute(previous=True, period="6")
    change = result.new - result.base
    assert sum(result.contributions.values()) == pytest.approx(change, rel=1e-9)


@pytest.mark.parametrize(
    ("formula", "bounds", "message"),
    [
        ("delay(sql, cycle)", "[null, 4]", "needs bounds on node 'cycle'"),
        ("delay(sql, cycle)", "[-1, 4]", "needs bounds on node 'cycle' from 0 or more"),
        ("delay(sql, cycle)", "[0, 5000]", "span more than 1,000 periods"),
        ("delay(sql, cycle * 2)", "[1, 4]", "takes a number of periods or a node"),
        ("delay(sql, t)", "[1, 4]", "takes a number of periods or a node"),
        ("lagged(sql, 0.5)", "[1, 4]", r"lagged\(\) takes a list of weights"),
        ("lagged(sql)", "[1, 4]", r"lagged\(\) takes 2 arguments, found 1"),
        ("lagged(sql * 2, [1])", "[1, 4]", "reads one node, not an expression"),
    ],
)
def test_bad_delays_name_the_node_and_the_fix(formula: str, bounds: str, message: str) -> None:
    """A delay or lagged call that cannot be read is a FormulaError naming node 'won'."""
    with pytest.raises(FormulaError, match=f"node 'won'.*{message}"):
        _tree(formula, bounds=bounds)


def test_derivative_at_a_whole_cycle_is_the_mean_of_the_two_sides() -> None:
    """At cycle = 2 exactly (a kink), d won / d cycle is the mean of the one-sided slopes
    win_rate (sql[t-3] - sql[t-2]) and win_rate (sql[t-2] - sql[t-1])."""
    result = _tree("delay(sql, cycle) * win_rate", cycle=2.0).sensitivity(period="8")
    assert result["cycle"].derivative == pytest.approx(0.25 * (SQL[4] - SQL[6]) / 2, rel=1e-12)


def test_binomial_counts_apply_to_a_fractional_delay() -> None:
    """With --counts binomial, won = delay(sql, 2.5) * win_rate is drawn as
    Binomial(round(X), 0.25) with X the interpolated SQLs: per period its mean and sd over
    20,000 paths are within 5 standard errors of n r and sqrt(n r (1 - r))."""
    from kpitree.analysis.counts import binomial_flows

    tree = kpitree.loads(
        f"""
        name: counts
        kgi: won
        time: {{periods: {len(SQL)}}}
        nodes:
          sql: {{value: {SQL}, unit: opportunities/month}}
          win_rate: {{value: 0.25, bounds: [0, 1]}}
          cycle: {{value: 2.5, bounds: [1, 4]}}
          won: {{formula: "delay(sql, cycle) * win_rate", unit: customers/month}}
        """
    )
    assert [rule.node for rule in binomial_flows(tree)] == ["won"]
    samples = 20_000
    frame = tree.forecast(samples=samples, seed=9, counts="binomial").to_frame()
    n = np.rint(_by_hand(2.5))
    mean, sd = 0.25 * n, np.sqrt(n * 0.25 * 0.75)
    assert np.all(np.abs(frame["mean"].to_numpy() - mean) <= 5 * sd / np.sqrt(samples) + 1e-12)
    assert np.all(np.abs(frame["sd"].to_numpy() - sd) <= 5 * sd / np.sqrt(2 * samples) + 1e-12)
    assert frame["sd"].to_numpy()[-1] > 0


def test_a_difference_of_counts_is_not_drawn_binomially() -> None:
    """(sql - prev(sql)) * rate has a negative weight: not a binomial flow."""
    from kpitree.analysis.counts import binomial_flows

    tree = kpitree.loads(
        """
        name: counts
        kgi: won
        time: {periods: 3}
        nodes:
          sql: {value: [10, 20, 30], unit: opportunities/month, initial: 5}
          win_rate: {value: 0.25, bounds: [0, 1]}
          won: {formula: "(sql - prev(sql)) * win_rate", unit: customers/month}
        """
    )
    assert binomial_flows(tree) == []
