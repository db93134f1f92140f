"""A quarter or year target is judged on the roll-up over its span everywhere: eval's
headline, solve without --period, forecast's P(target), sweep, the report and the dashboard."""

from __future__ import annotations

import math

import pytest

import kpitree
from kpitree.analysis.probability import solve_probability
from kpitree.analysis.sweep import sweep
from kpitree.errors import SolveError
from kpitree.serve.api import kgi_summary

# leads 1000 a month, rate 0.1: won is 100 a month, 300 a quarter, 1,200 a year.
FLOW = """
name: f
kgi: won
time: {{periods: 12, unit: month, start: 2027-01}}
nodes:
  leads: {{value: 1000, unit: leads/month}}
  rate: {{value: 0.1, bounds: [0, 1]{extra}}}
  won: {{formula: leads * rate, unit: customers/month, target: {{{target}}}}}
"""


@pytest.fixture
def flow(write_tree):
    def make(target: str, extra: str = "") -> kpitree.Tree:
        return kpitree.load(write_tree(FLOW.format(target=target, extra=extra)))

    return make


def test_eval_headline_judges_a_quarter_on_its_sum(flow, write_tree, cli) -> None:
    """eval's headline shows the quarter's sum 300 against its target 330 (90.9 %)."""
    path = write_tree(FLOW.format(target="2027-Q4: 330", extra=""))
    status, out, _ = cli("eval", path)
    assert status == 0
    assert out.splitlines()[0] == "f: KGI won = 300 in 2027-Q4 (target 330, 90.9 % of it)"


def test_eval_headline_judges_a_year_on_its_sum(write_tree, cli) -> None:
    """A year target is met by the year's sum, 1,200 of 1,300 (92.3 %)."""
    path = write_tree(FLOW.format(target="2027: 1300", extra=""))
    _, out, _ = cli("eval", path)
    assert out.splitlines()[0] == "f: KGI won = 1,200 in 2027 (target 1,300, 92.3 % of it)"


def test_eval_headline_of_a_month_target_is_unchanged(write_tree, cli) -> None:
    """A target of the last month itself is still judged on that month's value."""
    path = write_tree(FLOW.format(target="2027-12: 110", extra=""))
    _, out, _ = cli("eval", path)
    assert out.splitlines()[0] == "f: KGI won = 100 at 2027-12 (target 110, 90.9 % of it)"


def test_stock_quarter_milestone_takes_the_quarters_last_month(write_tree, cli) -> None:
    """A stock's quarter target is judged on the quarter's last month: 100 + 6 * 10 = 160."""
    path = write_tree(
        """
        name: s
        kgi: customers
        time: {periods: 6, unit: month, start: 2027-01}
        nodes:
          new: {value: 10, unit: customers/month}
          customers:
            formula: prev(customers) + new
            initial: 100
            unit: customers
            target: {2027-Q2: 200}
        """
    )
    _, out, _ = cli("eval", path)
    assert out.splitlines()[0] == "s: KGI customers = 160 in 2027-Q2 (target 200, 80.0 % of it)"


def test_ratio_quarter_milestone_is_recomputed_from_its_flows(write_tree, cli) -> None:
    """A ratio's quarter is won / leads over the quarter, 700 / 4000 = 0.175, not the last
    month's 0.1 nor the mean 0.15."""
    path = write_tree(
        """
        name: r
        kgi: rate
        time: {periods: 3, unit: month, start: 2027-01}
        nodes:
          leads: {value: [1000, 2000, 1000], unit: leads/month}
          won: {value: [100, 500, 100], unit: customers/month}
          rate: {formula: won / leads, target: {2027-Q1: 0.2}}
        """
    )
    tree = kpitree.load(path)
    assert kgi_summary(tree.evaluate())["value"] == pytest.approx(0.175)
    _, out, _ = cli("eval", path)
    assert out.splitlines()[0] == "r: KGI rate = 0.175 in 2027-Q1 (target 0.2, 87.5 % of it)"


def test_solve_without_period_meets_the_last_quarter(flow) -> None:
    """solve meets the Q4 target 330 over the quarter's sum: rate 330 / 3000 = 0.11."""
    solution = flow("2027-Q4: 330").solve(["rate"])
    assert solution.feasible
    assert solution.period == "2027-Q4"
    assert solution.to_dict()["period"] == "2027-Q4"
    assert solution.values["rate"] == pytest.approx(0.11, rel=1e-9)


def test_solve_without_period_meets_the_year(flow) -> None:
    """A year target 1,300 over twelve months of 1000 leads needs rate 1300 / 12000."""
    solution = flow("2027: 1300").solve(["rate"])
    assert solution.feasible
    assert solution.values["rate"] == pytest.approx(1300 / 12000, rel=1e-9)


def test_solve_cli_names_the_quarter(write_tree, cli) -> None:
    """The solve headline says the target is met in the quarter."""
    path = write_tree(FLOW.format(target="2027-Q4: 330", extra=""))
    status, out, _ = cli("solve", path, "--lever", "rate")
    assert status == 0
    assert "target 330 customers/month at 2027-Q4: feasible" in out.splitlines()[0]


@pytest.mark.parametrize(("target", "expected"), [(330, 0.0), (290, 1.0)])
def test_forecast_p_target_of_a_deterministic_quarter(flow, target, expected) -> None:
    """Without randomness every path's quarter sum is 300: P is 0 below it and 1 at or above
    (judged on the last month, 100, a target of 290 would give 0)."""
    result = flow(f"2027-Q4: {target}").forecast(samples=50, seed=1)
    assert result.target_label == "2027-Q4"
    assert result.p_target == expected
    assert result.final == pytest.approx([300.0] * 50)


def test_forecast_p_target_of_a_uniform_rate(flow) -> None:
    """rate ~ U(0.09, 0.12) held on each path: the quarter sum 3000 * rate meets 330 when
    rate >= 0.11, with probability 1/3, within four standard errors."""
    tree = flow(
        "2027-Q4: 330", extra=", distribution: {dist: uniform, low: 0.09, high: 0.12, vary: path}"
    )
    samples = 20_000
    result = tree.forecast(samples=samples, seed=7)
    error = math.sqrt((1 / 3) * (2 / 3) / samples)
    assert abs(result.p_target - 1 / 3) <= 4 * error


def test_forecast_cli_names_the_quarter(write_tree, cli) -> None:
    """The forecast's P line names the quarter the target is judged over."""
    path = write_tree(FLOW.format(target="2027-Q4: 290", extra=""))
    _, out, _ = cli("forecast", path, "--samples", "20", "--seed", "1")
    assert out.rstrip().splitlines()[-1] == "P(won >= 290 in 2027-Q4) = 100.0 %"


def test_sweep_judges_the_quarter(flow) -> None:
    """A sweep's P(target) at rate 0.1 (quarter 300) is 0 and at 0.12 (360) is 1 for 330."""
    result = sweep(flow("2027-Q4: 330"), {"rate": [0.1, 0.12]}, samples=10, seed=1)
    assert [row["p_target"] for row in result.rows] == [0.0, 1.0]


def test_probability_solve_refuses_a_quarter_target(flow) -> None:
    """A solve for a probability judges the last period, so a quarter target is refused with
    a message naming it."""
    with pytest.raises(SolveError, match=r"330 in 2027-Q4\) is judged over the quarter"):
        solve_probability(flow("2027-Q4: 330"), ["rate"], 0.5, samples=20, seed=1)


def test_report_kgi_section_uses_the_years_sum(write_tree, cli, tmp_path) -> None:
    """The report's KGI section shows the year's 1,200 against 1,300, a -7.7 % gap, at risk."""
    path = write_tree(FLOW.format(target="2027: 1300", extra=""))
    out = tmp_path / "f.html"
    status, _, _ = cli("report", path, "-o", out, "--samples", "200")
    assert status == 0
    page = out.read_text(encoding="utf-8")
    assert "value in 2027" in page
    assert "-7.7 %" in page
    assert "-92.3 %" not in page
    assert "won in 2027: " in page


def test_dashboard_header_shows_the_roll_up(flow) -> None:
    """The dashboard's KGI header value is the quarter's sum, as eval shows it."""
    summary = kgi_summary(flow("2027-Q4: 330").evaluate())
    assert (summary["value"], summary["target"], summary["status"]) == (300.0, 330.0, "at risk")


def test_landing_forecast_judges_the_quarter_with_its_actuals(write_tree, tmp_path, cli) -> None:
    """Actual rates 0.15 and 0.12 in October and November, plan 0.1 in December: the quarter
    is 150 + 120 + 100 = 370 on every path, so P(won >= 330 in 2027-Q4) is 100 %."""
    path = write_tree(FLOW.format(target="2027-Q4: 330", extra=""))
    actuals = tmp_path / "actuals.csv"
    actuals.write_text("period,rate\n2027-10,0.15\n2027-11,0.12\n", encoding="utf-8")
    status, out, _ = cli("forecast", path, "--actuals", actuals, "--samples", "20")
    assert status == 0
    assert "P(won >= 330 in 2027-Q4) = 100.0 %" in out


def test_forecast_by_quarter_judges_the_same_span(flow) -> None:
    """Rolled up by quarter, the Q4 column is the sum the target is judged on: 300 < 330."""
    result = flow("2027-Q4: 330").forecast(samples=10, seed=1, by="quarter")
    assert result.periods[-1] == "2027-Q4"
    assert result.mean[-1] == pytest.approx(300.0)
    assert result.p_target == 0.0


def test_fan_writes_the_quarter_target_instead_of_a_monthly_line(flow) -> None:
    """The fan of monthly values draws no line at 330 (a quarter's sum) and says the target is
    judged over 2027-Q4; the histogram of quarter sums keeps its target line."""
    import matplotlib.pyplot as plt

    from kpitree.plots.forecast import plot_fan, plot_histogram

    result = flow("2027-Q4: 330").forecast(samples=10, seed=1)
    ax = plot_fan(result)
    try:
        assert not any(list(line.get_ydata()) == [330, 330] for line in ax.lines)
        texts = [text.get_text() for text in ax.texts]
        assert "target 330 over 2027-Q4, reached on 0 % of paths" in texts
        hist = plot_histogram(result)
        assert any(list(line.get_xdata()) == [330, 330] for line in hist.lines)
    finally:
        plt.close("all")
