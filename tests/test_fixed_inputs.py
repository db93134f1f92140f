"""Forecast and Sobol on a scenario or with overrides: the inputs these set are fixed (not
drawn, their correlations dropped), checked against closed forms, exact rescaling with the same
seed, the command line and the report."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from conftest import TREES
from scipy import stats

import kpitree
from kpitree.analysis.forecast import forecast
from kpitree.analysis.sampling import BLOCK, InputSampler
from kpitree.analysis.sobol import REPLICATES, sobol
from kpitree.errors import DataError
from kpitree.report import build_report

PLAN = """
name: plan
kgi: y
nodes:
  a: {value: 10, distribution: {dist: normal, mean: 10, sd: 1}}
  b: {value: 4, distribution: {dist: gamma, mean: 4, sd: 1}}
  c: {value: 0.3, bounds: [0, 1], distribution: {dist: beta, mean: 0.3, sd: 0.05}}
  d: {value: 1}
  y: {formula: a * b * c * d, target: 13}
scenarios:
  bigger: {d: 3}
  sure: {d: 3, a: 12}
"""
"""y = a b c d with a ~ N(10, 1), b ~ Gamma(mean 4, sd 1), c ~ Beta(mean 0.3, sd 0.05)."""

CORRELATED = """
name: corr
kgi: y
nodes:
  a: {value: 1, distribution: {dist: normal, mean: 1, sd: 0.1}}
  b: {value: 2, distribution: {dist: normal, mean: 2, sd: 0.2}}
  c: {value: 3, distribution: {dist: lognormal, mean: 3, sd: 0.5}}
  y: {formula: a + b * c}
correlations:
  - [a, b, 0.7]
"""

SAMPLES = 20_000


def _product_sd(means: list[float], sds: list[float]) -> float:
    """sd of a product of independent factors: Var = prod(m^2 + s^2) - prod(m^2)."""
    m, s = np.array(means), np.array(sds)
    return float(np.sqrt(np.prod(m**2 + s**2) - np.prod(m**2)))


def test_fixed_input_gives_the_closed_form_mean() -> None:
    """With c fixed at 0.5, E[abc] = E[a] E[b] 0.5 = 20 within 4 standard errors, and the sd
    is that of 0.5 a b (relative SE of a sample sd ~ sqrt((kurtosis - 1) / 4n) < 1 %)."""
    tree = kpitree.loads(PLAN)
    result = tree.forecast(samples=SAMPLES, seed=11, overrides={"c": 0.5})
    sd = 0.5 * _product_sd([10, 4], [1, 1])
    assert result.mean[0] == pytest.approx(20, abs=4 * sd / np.sqrt(SAMPLES))
    assert result.sd[0] == pytest.approx(sd, rel=0.05)
    assert result.fixed == {"c": 0.5}
    assert result.notes == ("the distributions of the fixed inputs are not drawn: c (beta)",)


def test_fixed_input_takes_its_value_on_every_path() -> None:
    """The forecast of the fixed input itself is its value with sd 0 on every path."""
    result = forecast(kpitree.loads(PLAN), 1000, seed=2, node="c", overrides={"c": 0.5})
    assert result.mean[0] == 0.5
    assert result.sd[0] == 0
    assert np.all(result.final == 0.5)


def test_scenario_of_a_deterministic_input_rescales_the_same_paths() -> None:
    """Scenario 'bigger' sets d (no distribution) from 1 to 3: with the same seed the paths
    are the same draws, so every statistic is exactly 3 times the base one."""
    tree = kpitree.loads(PLAN)
    base = forecast(tree, 5000, seed=4)
    bigger = forecast(tree, 5000, seed=4, scenario="bigger")
    assert np.allclose(bigger.mean, 3 * base.mean, rtol=1e-12)
    assert np.allclose(bigger.sd, 3 * base.sd, rtol=1e-12)
    assert np.allclose(bigger.final, 3 * base.final, rtol=1e-12)
    assert (bigger.scenario, bigger.fixed, bigger.notes) == ("bigger", {"d": 3.0}, ())


def test_scenario_fixing_a_distributed_input_shifts_the_mean_by_hand() -> None:
    """Scenario 'sure' sets d = 3 and a = 12: E[y] = 12 x 4 x 0.3 x 3 = 43.2 within 4 SE,
    sd that of 36 b c; an override wins over the scenario (a = 11 gives 39.6)."""
    tree = kpitree.loads(PLAN)
    sure = tree.forecast(samples=SAMPLES, seed=5, scenario="sure")
    sd = 36 * _product_sd([4, 0.3], [1, 0.05])
    assert sure.mean[0] == pytest.approx(43.2, abs=4 * sd / np.sqrt(SAMPLES))
    assert sure.sd[0] == pytest.approx(sd, rel=0.05)
    assert sure.fixed == {"a": 12.0, "d": 3.0}  # file order
    assert sure.p_target == pytest.approx(1.0, abs=0.01)  # 13 is far below 43.2 - 4 sd
    both = tree.forecast(samples=SAMPLES, seed=5, scenario="sure", overrides={"a": 11})
    sd = 33 * _product_sd([4, 0.3], [1, 0.05])
    assert both.mean[0] == pytest.approx(39.6, abs=4 * sd / np.sqrt(SAMPLES))
    assert both.fixed == {"a": 11.0, "d": 3.0}


def test_same_seed_same_numbers_with_fixed_inputs_whatever_the_chunks() -> None:
    """A seed and the same fixed inputs reproduce the forecast exactly, in any chunking, and
    the Sobol indices exactly."""
    tree = kpitree.loads(PLAN)
    options = {"seed": 9, "overrides": {"c": 0.4}, "scenario": "bigger"}
    one = forecast(tree, 2 * BLOCK + 10, chunk=BLOCK, **options)
    two = forecast(tree, 2 * BLOCK + 10, chunk=4 * BLOCK, **options)
    assert np.array_equal(one.final, two.final)
    assert np.array_equal(one.sd, two.sd)
    first, second = sobol(tree, 128, **options), sobol(tree, 128, **options)
    assert np.array_equal(first.S1, second.S1)
    assert np.array_equal(first.ST_conf, second.ST_conf)


def test_sobol_has_no_index_for_a_fixed_input_and_the_closed_form_for_the_rest() -> None:
    """x3 fixed in y = x1 x2 x3 (lognormals): x3 has no index and x1, x2 have the two-factor
    closed form S1_1 = (e^{s1^2} - 1) / (e^{s1^2 + s2^2} - 1), ST_1 = 1 - S1_2, within 4 SE
    (SE = conf / t(0.975, 7), from the spread of the 8 scrambles)."""
    tree = kpitree.loads(
        """
        name: p
        kgi: y
        nodes:
          x1: {value: 1, distribution: {dist: lognormal, mean: 1, sd: 0.5}}
          x2: {value: 1, distribution: {dist: lognormal, mean: 1, sd: 0.3}}
          x3: {value: 1, distribution: {dist: lognormal, mean: 1, sd: 0.8}}
          y: {formula: x1 * x2 * x3}
        """
    )
    result = tree.sobol(samples=2**12, seed=21, overrides={"x3": 2})
    assert result.names == ("x1", "x2")
    s1, s2 = np.log1p(0.25), np.log1p(0.09)
    first = np.array([np.expm1(s1), np.expm1(s2)]) / np.expm1(s1 + s2)
    total = 1 - first[::-1]
    t = stats.t.ppf(0.975, REPLICATES - 1)
    se_first, se_total = result.S1_conf / t, result.ST_conf / t
    assert np.all(se_first < 0.02)
    assert np.all(se_total < 0.02)
    assert np.all(np.abs(result.S1 - first) < 4 * se_first)
    assert np.all(np.abs(result.ST - total) < 4 * se_total)
    assert result.to_dict()["fixed"] == {"x3": 2.0}
    assert result.evaluations == 2**12 * 4


def test_a_correlation_naming_a_fixed_input_is_dropped() -> None:
    """Fixing a drops a-b: b is then drawn from its own law, the same draws as in the tree
    without the correlation (same seed), and the notes say so."""
    tree = kpitree.loads(CORRELATED)
    free = kpitree.loads(CORRELATED.split("correlations:")[0])
    held = forecast(tree, 3000, seed=6, overrides={"a": 1.2})
    plain = forecast(free, 3000, seed=6, overrides={"a": 1.2})
    assert np.array_equal(held.final, plain.final)
    assert held.notes == (
        "the distributions of the fixed inputs are not drawn: a (normal)",
        "correlation a-b (rho 0.7) dropped: a is fixed",
    )
    assert InputSampler(tree, {"a"}).correlated == []
    assert InputSampler(tree, {"c"}).correlated == ["a", "b"]


def test_sobol_notes_name_the_dropped_and_the_ignored_correlations() -> None:
    """With c fixed the a-b correlation is kept and ignored (as without fixing); with a fixed
    it is dropped instead, and only that is said."""
    tree = kpitree.loads(CORRELATED)
    kept = sobol(tree, 64, seed=1, overrides={"c": 3})
    assert kept.notes[-1].startswith("the tree correlates a-b; these indices assume")
    dropped = sobol(tree, 64, seed=1, overrides={"a": 1})
    assert dropped.names == ("b", "c")
    assert dropped.notes[-1] == "correlation a-b (rho 0.7) dropped: a is fixed"
    assert not any("assume independent" in note for note in dropped.notes)


def test_per_period_values_of_a_distributed_input_are_accepted_once_fixed() -> None:
    """An input with one value per period and a distribution is refused when drawn, but fixed
    by an override its per-period values are used: y = 2x gives 6 and 8."""
    tree = kpitree.loads(
        """
        name: v
        kgi: y
        time: {periods: 2}
        nodes:
          x: {value: [1, 2], distribution: {dist: normal, mean: 1, sd: 0.1}}
          z: {value: 1, distribution: {dist: normal, mean: 1, sd: 0.1}}
          y: {formula: x * 2 + z - z}
        """
    )
    with pytest.raises(DataError, match="has one value per period and a distribution"):
        forecast(tree, 100, seed=1)
    result = forecast(tree, 100, seed=1, overrides={"x": [3, 4]})
    assert result.mean == pytest.approx([6, 8], rel=1e-12)
    assert result.to_dict()["fixed"] == {"x": [3.0, 4.0]}


def test_cli_forecast_json_table_and_csv_say_what_was_fixed(cli) -> None:
    """--scenario and --set reach the forecast: JSON has "scenario" and "fixed" (the note on
    stderr), the table ends with the fixed inputs and the notes, CSV puts both on stderr."""
    args = ("forecast", TREES / "saas_arr.yaml", "--samples", "300", "--seed", "3",
            "--scenario", "optimistic", "--set", "win_rate=30%")  # fmt: skip
    note = "the distributions of the fixed inputs are not drawn: win_rate (beta), churn_rate (beta)"
    status, out, err = cli(*args, "--format", "json")
    data = json.loads(out)
    assert status == 0
    assert data["scenario"] == "optimistic"
    assert data["fixed"] == {"sql_rate": 0.15, "win_rate": 0.3, "churn_rate": 0.008}
    assert err == f"kpitree: note: {note}\n"
    api = kpitree.load(TREES / "saas_arr.yaml").forecast(
        samples=300, seed=3, scenario="optimistic", overrides={"win_rate": 0.3}
    )
    assert data["mean"] == pytest.approx(api.mean, rel=1e-12)  # sums may differ by an ulp
    status, out, err = cli(*args)
    assert out.startswith("saas_arr (scenario optimistic): forecast of arr")
    assert out.splitlines()[-2:] == [
        "fixed inputs: sql_rate = 0.15, win_rate = 0.3, churn_rate = 0.008",
        f"note: {note}",
    ]
    status, out, err = cli(*args, "--format", "csv")
    assert status == 0
    assert err.splitlines() == [
        "kpitree: note: fixed inputs: sql_rate = 0.15, win_rate = 0.3, churn_rate = 0.008",
        f"kpitree: note: {note}",
    ]


def test_cli_sobol_on_a_scenario(cli) -> None:
    """sobol --scenario: the fixed inputs have no index, JSON lists them, the table says so."""
    args = ("sobol", TREES / "saas_arr.yaml", "--samples", "64", "--seed", "1",
            "--scenario", "pessimistic")  # fmt: skip
    status, out, err = cli(*args, "--format", "json")
    data = json.loads(out)
    assert status == 0
    assert data["scenario"] == "pessimistic"
    assert data["fixed"] == {"visit_cvr": 0.02, "win_rate": 0.2, "churn_rate": 0.015}
    assert [row["input"] for row in data["indices"]] == ["cpl", "outbound_leads"]
    assert err.startswith(
        "kpitree: note: the distributions of the fixed inputs are not drawn: visit_cvr"
    )
    status, out, err = cli(*args)
    assert "fixed inputs: visit_cvr = 0.02, win_rate = 0.2, churn_rate = 0.015" in out


@pytest.mark.parametrize("command", ["forecast", "sobol"])
@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            ["--scenario", "optimistc"],
            "kpitree: no scenario 'optimistc' (did you mean 'optimistic'?) "
            "(scenarios: optimistic, pessimistic)\n",
        ),
        (
            ["--set", "arr=1"],
            "kpitree: node 'arr' is derived (has a formula); only inputs take values\n",
        ),
        (["--set", "win_rate"], "kpitree: --set takes NAME=VALUE, found 'win_rate'\n"),
    ],
)
def test_cli_bad_scenario_or_set_exit_2(cli, tmp_path, command, arguments, message) -> None:
    """An unknown scenario or a --set of a derived node exits 2 with one line, no chart."""
    png = tmp_path / "never.png"
    status, out, err = cli(
        command, TREES / "saas_arr.yaml", "--samples", "64", "--plot", png, *arguments
    )
    assert (status, out, err) == (2, "", message)
    assert not png.exists()


def test_cli_sobol_with_every_uncertain_input_fixed(cli, write_tree) -> None:
    """Sobol with every distributed input fixed has nothing to vary: exit 2, one line."""
    path = write_tree(PLAN)
    status, out, err = cli(
        "sobol", path, "--samples", "64", "--set", "a=10", "--set", "b=4", "--set", "c=0.3"
    )
    assert (status, out) == (2, "")
    assert err == (
        "kpitree: tree 'plan': every input with a distribution is fixed by the scenario or "
        "the overrides (a, b, c), so there is nothing to vary\n"
    )


def test_report_forecast_follows_the_reports_values() -> None:
    """The report's forecast on --scenario and --set is the forecast with the same values:
    its last-period row is the analysis's, and it names the fixed inputs."""
    tree = kpitree.load(TREES / "saas_arr.yaml")
    options = {"scenario": "optimistic", "overrides": {"win_rate": 0.3}}
    html = build_report(tree, samples=200, seed=7, **options)
    start = html.index('<section id="forecast">')
    fragment = html[start : html.index("</section>", start)]
    result = tree.forecast(samples=200, seed=7, **options)
    last = re.findall(r"<tr>(<td>2027-12</td>.*?)</tr>", fragment)[0]
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", last)
    assert cells[1:] == [f"{v:,.0f}" for v in result.to_frame().iloc[-1]]
    assert (
        "Inputs set by scenario optimistic and --set are held at that value on every path: "
        "sql_rate = 0.15, win_rate = 0.3, churn_rate = 0.008. The distributions of the fixed "
        "inputs are not drawn: win_rate (beta), churn_rate (beta)." in fragment
    )
    assert "drawn: visit_cvr (beta), cpl (lognormal), outbound_leads (poisson, each period);" in (
        fragment
    )
    assert "do not apply" not in fragment


def test_charts_name_the_scenario() -> None:
    """The fan chart and the Sobol bar chart of a run on a scenario say which one."""
    tree = kpitree.loads(PLAN)
    fan = forecast(tree, 100, seed=1, scenario="sure").plot()
    assert fan.get_title() == "plan (scenario sure): forecast of y, 100 paths"
    bars = sobol(tree, 64, seed=1, scenario="sure").plot()
    assert bars.get_title() == "plan (scenario sure): Sobol indices of y, N = 64"
