"""Growing and seasonal inputs: {start, growth} values and seasonality lists written out as
levers and formulas, checked against hand-computed series, derivatives and solve."""

from __future__ import annotations

import numpy as np
import pytest

import kpitree
from kpitree.errors import SpecError

SEASON = [1.1, 1.0, 1.0, 0.9, 1.0, 1.0, 0.8, 0.8, 1.0, 1.0, 1.2, 1.3]


def _tree(visits: str, time: str = "{periods: 14, unit: month, start: 2027-11}") -> kpitree.Tree:
    return kpitree.loads(
        f"""
        name: g
        kgi: leads
        time: {time}
        nodes:
          visits: {visits}
          cvr: {{value: 0.02}}
          leads: {{formula: "visits * cvr"}}
        """
    )


def _months(start: int, count: int) -> list[int]:
    return [(start - 1 + i) % 12 + 1 for i in range(count)]


def test_growth_compounds_once_per_period_from_start() -> None:
    """{start: 18000, growth: 2%} is 18000 * 1.02^(t-1) in period t."""
    tree = _tree("{value: {start: 18000, growth: 2%}}")
    expected = 18_000 * 1.02 ** np.arange(14)
    np.testing.assert_allclose(tree.evaluate().values["visits"], expected, rtol=1e-14)
    assert list(tree.inputs[:2]) == ["visits_start", "visits_growth"]


def test_seasonality_multiplies_by_the_month_of_year() -> None:
    """Twelve factors multiply a grown value by its calendar month's factor, from November."""
    tree = _tree(f"{{value: {{start: 100, growth: 0.01}}, seasonality: {SEASON}}}")
    months = _months(11, 14)
    expected = [100 * 1.01**i * SEASON[m - 1] for i, m in enumerate(months)]
    np.testing.assert_allclose(tree.evaluate().values["visits"], expected, rtol=1e-14)


def test_seasonality_on_a_plain_value_keeps_its_bounds_on_the_base() -> None:
    """On a plain input, the value, bounds and distribution move to NAME_base."""
    tree = _tree(f"{{value: 500, bounds: [0, 1000], seasonality: {SEASON}}}")
    assert tree.nodes["visits_base"].bounds == (0, 1000)
    expected = [500 * SEASON[m - 1] for m in _months(11, 14)]
    np.testing.assert_allclose(tree.evaluate().values["visits"], expected, rtol=1e-14)


def test_quarterly_seasonality_takes_four_factors() -> None:
    """On a quarterly axis from Q3, four factors apply to Q3, Q4, Q1, Q2."""
    tree = _tree(
        "{value: 100, seasonality: [0.9, 1.0, 1.1, 1.2]}",
        "{periods: 4, unit: quarter, start: 2027-Q3}",
    )
    np.testing.assert_allclose(tree.evaluate().values["visits"], [110, 120, 90, 100], rtol=1e-14)


def test_start_and_growth_are_levers_with_exact_derivatives() -> None:
    """d leads[T] / d growth = cvr * start * (T-1) * (1+g)^(T-2) and d / d start = cvr *
    (1+g)^(T-1), at the last period T = 14."""
    result = _tree("{value: {start: 18000, growth: 2%}}").sensitivity()
    assert result["visits_growth"].derivative == pytest.approx(
        0.02 * 18_000 * 13 * 1.02**12, rel=1e-12
    )
    assert result["visits_start"].derivative == pytest.approx(0.02 * 1.02**13, rel=1e-12)


def test_solve_finds_the_growth_that_reaches_the_target() -> None:
    """Solving for growth gives (target / (cvr * start))^(1/13) - 1."""
    tree = _tree("{value: {start: 18000, growth: 2%}}")
    solution = tree.solve(["visits_growth"], target=600)
    expected = (600 / (0.02 * 18_000)) ** (1 / 13) - 1
    assert float(np.ravel(solution.plan.values["visits_growth"])[0]) == pytest.approx(
        expected, rel=1e-8
    )


@pytest.mark.parametrize(
    ("visits", "time", "message"),
    [
        ("{value: {start: 1}}", None, r"a growing value is \{start: 18000, growth: 2%\}"),
        ("{value: {start: 1, growth: fast}}", None, "growth must be a number, found 'fast'"),
        ("{value: {start: 1, growth: -100%}}", None, "growth must be above -100 %"),
        ("{value: {start: 1, growth: 1%}, bounds: [0, 9]}", None, "takes no bounds"),
        ("{value: 1, seasonality: [1, 2]}", None, "a list of 12 factors"),
        ("{value: 1, seasonality: [1, 1, 1, 1]}", "{periods: 3}", "needs a monthly or quarterly"),
        ("{formula: cvr * 2, seasonality: [1, 1, 1, 1]}", None, "belongs on an input"),
    ],
)
def test_bad_growth_or_season_names_the_node_and_line(
    visits: str, time: str | None, message: str
) -> None:
    """A growth or season that cannot be read is a SpecError at the node's line."""
    with pytest.raises(SpecError, match=f"node 'visits': .*{message}") as caught:
        _tree(visits, time) if time else _tree(visits)
    assert caught.value.location is not None
    assert caught.value.location.line == 6


def test_written_out_name_already_taken_is_refused() -> None:
    """A file that already has visits_start cannot grow visits."""
    with pytest.raises(SpecError, match="written out as node 'visits_start'"):
        kpitree.loads(
            """
            name: g
            kgi: visits
            time: {periods: 3}
            nodes:
              visits_start: {value: 1}
              visits: {value: {start: 1, growth: 1%}}
            """
        )
