"""Monte Carlo forecast against closed forms, binomial count noise against its variance, the
result objects, charts, progress bar and the command line."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from conftest import TREES
from scipy import stats

import kpitree
from kpitree.analysis.counts import binomial_flows
from kpitree.analysis.forecast import QUANTILES, forecast
from kpitree.cli.progress import ProgressBar
from kpitree.errors import DataError, UnknownNodeError

PRODUCT = """
name: product
kgi: y
nodes:
  a: {value: 10, distribution: {dist: normal, mean: 10, sd: 1}}
  b: {value: 4, distribution: {dist: gamma, mean: 4, sd: 1}}
  c: {value: 0.3, bounds: [0, 1], distribution: {dist: beta, mean: 0.3, sd: 0.05}}
  y: {formula: a * b * c, target: 13}
"""

FUNNEL = """
name: funnel
kgi: customers
time: {periods: 6}
nodes:
  leads: {value: 200, unit: leads/month}
  mql_rate: {value: 0.5, bounds: [0, 1]}
  win_rate: {value: 0.1, bounds: [0, 1]}
  mql: {formula: leads * mql_rate, unit: leads/month}
  won: {formula: mql * win_rate, unit: customers/month}
  customers: {formula: prev(customers) + won, initial: 0, unit: customers}
  revenue: {formula: won * price, unit: JPY/month}
  price: {value: 1000, unit: JPY/customer}
"""


def _variance_tolerance(x: np.ndarray) -> float:
    """4 standard errors of the sample variance: Var(s^2) ~ (m4 - s^4) / n, moments from x."""
    centred = x - x.mean()
    m4, s2 = np.mean(centred**4), np.mean(centred**2)
    return 4 * np.sqrt((m4 - s2**2) / len(x))


def test_mean_of_a_product_of_independent_inputs() -> None:
    """E[abc] = E[a] E[b] E[c] = 12, within 4 standard errors (sd of the product from
    Var = prod(m^2 + s^2) - prod(m^2))."""
    tree = kpitree.loads(PRODUCT)
    samples = 20_000
    result = forecast(tree, samples, seed=11)
    means, sds = np.array([10, 4, 0.3]), np.array([1, 1, 0.05])
    sd = np.sqrt(np.prod(means**2 + sds**2) - np.prod(means**2))
    assert result.mean[0] == pytest.approx(12, abs=4 * sd / np.sqrt(samples))
    assert result.sd[0] == pytest.approx(sd, rel=0.05)


def test_quantiles_of_a_lognormal_product() -> None:
    """log(X1 X2) is normal with mu1 + mu2 and s1^2 + s2^2; each percentile within 4 SE,
    SE(q_p) = sqrt(p (1 - p) / n) / f(q_p); the chance of exceeding the 90th is 10 %."""
    tree = kpitree.loads(
        """
        name: ln
        kgi: y
        nodes:
          x1: {value: 1, distribution: {dist: lognormal, mean: 1, sd: 0.5}}
          x2: {value: 2, distribution: {dist: lognormal, mean: 2, sd: 0.4}}
          y: {formula: x1 * x2}
        """
    )
    samples = 40_000
    s2 = np.log1p(0.25) + np.log1p(0.04)
    mu = (np.log(1) - np.log1p(0.25) / 2) + (np.log(2) - np.log1p(0.04) / 2)
    law = stats.lognorm(s=np.sqrt(s2), scale=np.exp(mu))
    result = forecast(tree, samples, seed=3, target=law.ppf(0.9))
    # P(Y >= q90) = 0.1, a proportion with standard error sqrt(0.1 * 0.9 / n).
    assert result.p_target == pytest.approx(0.1, abs=4 * np.sqrt(0.09 / samples))
    for q in QUANTILES:
        p = q / 100
        exact = law.ppf(p)
        se = np.sqrt(p * (1 - p) / samples) / law.pdf(exact)
        assert abs(result.quantiles[q][0] - exact) < 4 * se, q


@pytest.mark.parametrize(("vary", "growth"), [("period", 0.5), ("path", 1.0)])
def test_vary_period_adds_noise_vary_path_adds_drift(vary, growth) -> None:
    """A running total of x ~ N(10, 2): sd at period t is 2 sqrt(t) when x is drawn each period
    and 2 t when drawn once per path (SE of a normal sd: sd / sqrt(2 (n - 1)), 4 SE)."""
    tree = kpitree.loads(
        f"""
        name: walk
        kgi: total
        time: {{periods: 9}}
        nodes:
          x: {{value: 10, distribution: {{dist: normal, mean: 10, sd: 2, vary: {vary}}}}}
          total: {{formula: prev(total) + x, initial: 0}}
        """
    )
    samples = 8_000
    result = forecast(tree, samples, seed=2)
    periods = np.arange(1, 10)
    expected = 2 * periods**growth
    assert np.all(np.abs(result.sd - expected) < 4 * expected / np.sqrt(2 * (samples - 1)))
    assert np.all(np.abs(result.mean - 10 * periods) < 4 * expected / np.sqrt(samples))


def test_binomial_flows_rule_finds_counts_times_rates_only() -> None:
    """Counts times a [0, 1] rate are flows; money times a rate (churned MRR) is not."""
    tree = kpitree.load(TREES / "saas_arr.yaml")
    flows = {(rule.node, rule.count, rule.rate) for rule in binomial_flows(tree)}
    assert flows == {
        ("web_leads", "visits", "visit_cvr"),
        ("mql", "leads", "mql_rate"),
        ("sql", "mql", "sql_rate"),
        ("won", "sql", "win_rate"),
        ("churned_customers", "customers", "churn_rate"),
    }


def test_binomial_counts_have_the_binomial_variance() -> None:
    """With fixed rates, won ~ Binomial(200, 0.5 * 0.1) each month (variance 9.5) and the
    customers after 6 months sum 6 independent months (variance 57); without --counts there is
    no noise at all."""
    tree = kpitree.loads(FUNNEL)
    samples = 20_000
    won = forecast(tree, samples, seed=4, counts="binomial", node="won")
    # won is a whole number: a binomial draw, not 200 * 0.05 = 10 exactly.
    assert np.all(won.final == np.round(won.final))
    for period in range(6):
        assert won.mean[period] == pytest.approx(10, abs=4 * np.sqrt(9.5 / samples))
    assert won.sd[-1] ** 2 == pytest.approx(9.5, abs=_variance_tolerance(won.final))
    customers = forecast(tree, samples, seed=4, counts="binomial")
    assert customers.sd[-1] ** 2 == pytest.approx(57, abs=_variance_tolerance(customers.final))
    plain = forecast(tree, 100, seed=4)
    assert np.all(plain.sd == 0)
    assert plain.mean[-1] == pytest.approx(60)


def test_binomial_counts_with_an_uncertain_rate() -> None:
    """Leads x beta win rate: Var = n E[p(1-p)] + n^2 Var(p) = 17.92 + 16 with count noise,
    n^2 Var(p) = 16 without."""
    tree = kpitree.loads(
        """
        name: f
        kgi: won
        nodes:
          leads: {value: 200, unit: leads}
          win_rate: {value: 0.1, bounds: [0, 1], distribution: {dist: beta, mean: 0.1, sd: 0.02}}
          won: {formula: leads * win_rate, unit: deals}
        """
    )
    noisy = forecast(tree, 20_000, seed=8, counts="binomial")
    assert noisy.sd[0] ** 2 == pytest.approx(33.92, abs=_variance_tolerance(noisy.final))
    smooth = forecast(tree, 20_000, seed=8)
    assert smooth.sd[0] ** 2 == pytest.approx(16, abs=_variance_tolerance(smooth.final))


def test_result_dict_frame_and_immutability() -> None:
    """A static tree gives one entry per list; arrays are read-only; --node adds "node"."""
    tree = kpitree.loads(PRODUCT)
    result = tree.forecast(samples=500, seed=1, target=12)
    data = result.to_dict()
    assert list(data) == ["tree", "kgi", "node", "samples", "seed", "scenario", "fixed",
                          "by", "periods", "mean", "sd", "quantiles", "target", "p_target"]  # fmt: skip
    assert data["scenario"] is None
    assert data["fixed"] == {}
    assert data["periods"] is None
    assert [len(v) for v in data["quantiles"].values()] == [1] * 7
    assert data["target"] == 12
    assert list(result.to_frame().columns) == ["mean", "sd", *(f"p{q}" for q in QUANTILES)]
    with pytest.raises(ValueError, match="read-only"):
        result.mean[0] = 0
    other = tree.forecast(samples=500, seed=1, node="a")
    assert other.to_dict()["node"] == "a"
    assert other.target is None
    assert other.p_target is None


def test_progress_is_reported_per_chunk() -> None:
    """The callback sees each chunk's end, finishing at the total."""
    seen: list[tuple[int, int]] = []
    forecast(
        kpitree.loads(PRODUCT),
        10_000,
        seed=1,
        chunk=4096,
        progress=lambda d, t: seen.append((d, t)),
    )
    assert seen == [(4096, 10_000), (8192, 10_000), (10_000, 10_000)]


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"samples": 1}, DataError, "samples must be a whole number >= 2, found 1"),
        ({"counts": "poisson"}, DataError, "counts must be one of binomial or None"),
        ({"chunk": 1000}, DataError, "chunk must be a positive multiple of 4096"),
        (
            {"node": "yy"},
            UnknownNodeError,
            "no node 'yy' in tree 'product' \\(did you mean 'y'\\?\\)",
        ),
    ],
)
def test_bad_options(options, error, message) -> None:
    """Options that do not describe a run are refused with the reason."""
    with pytest.raises(error, match=message):
        forecast(kpitree.loads(PRODUCT), **({"samples": 100} | options))


def test_progress_bar_only_on_a_terminal_after_the_delay() -> None:
    """Nothing before the delay or off a terminal; a bar after it; the line cleared at the end."""

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    now = [0.0]
    stream = Terminal()
    with ProgressBar("forecast", stream=stream, delay=1.5, clock=lambda: now[0]) as bar:
        bar(1, 4)
        assert stream.getvalue() == ""
        now[0] = 2.0
        bar(2, 4)
        assert "forecast [###############...............]  50%" in stream.getvalue()
    assert stream.getvalue().endswith("\r")
    pipe = io.StringIO()
    now[0] = 0.0
    silent = ProgressBar("forecast", stream=pipe, clock=lambda: now[0])
    now[0] = 9.0
    silent(1, 2)
    assert pipe.getvalue() == ""


def test_charts_show_bands_target_and_histogram() -> None:
    """The fan chart has the three bands and the target line; the histogram counts every path."""
    from kpitree.plots.forecast import forecast_figure, plot_fan, plot_histogram

    tree = kpitree.load(TREES / "saas_arr.yaml")
    result = tree.forecast(samples=2_000, seed=1)
    ax = plot_fan(result)
    assert len(ax.collections) == 3
    assert [line.get_ydata()[0] for line in ax.lines if line.get_linestyle() == "--"] == [1.4e9]
    assert [t.get_text() for t in ax.get_xticklabels()][:2] == ["2027-01", "2027-02"]
    hist = plot_histogram(result)
    assert sum(patch.get_height() for patch in hist.patches) == 2_000
    assert len(forecast_figure(result).axes) == 2


def test_cli_forecast_json_table_csv_and_plot(cli, tmp_path) -> None:
    """JSON has the issue's keys and one entry per period; the table ends with the chance of
    the target; CSV has one row per period; --plot writes a PNG."""
    tree = TREES / "saas_arr.yaml"
    status, out, err = cli(
        "forecast", tree, "--samples", "2_000", "--seed", "3", "--format", "json"
    )
    assert (status, err) == (0, "")
    data = json.loads(out)
    assert list(data) == ["tree", "kgi", "node", "samples", "seed", "scenario", "fixed",
                          "by", "periods", "mean", "sd", "quantiles", "target", "p_target"]  # fmt: skip
    assert data["scenario"] is None
    assert data["fixed"] == {}
    assert (data["kgi"], data["samples"], data["seed"], data["target"]) == ("arr", 2000, 3, 1.4e9)
    assert list(data["quantiles"]) == ["p5", "p10", "p25", "p50", "p75", "p90", "p95"]
    assert all(len(data[key]) == 12 for key in ("periods", "mean", "sd"))
    again = json.loads(
        cli("forecast", tree, "--samples", "2000", "--seed", "3", "--format", "json")[1]
    )
    assert again == data
    status, out, _ = cli("forecast", tree, "--samples", "2000", "--seed", "3", "--target", "1.3e9")
    assert status == 0
    assert out.splitlines()[-1].startswith("P(arr >= 1,300,000,000 at 2027-12) = ")
    status, out, _ = cli("forecast", tree, "--samples", "2000", "--format", "csv", "--node", "won",
                         "--counts", "binomial")  # fmt: skip
    assert out.splitlines()[0] == "period,mean,sd,p5,p10,p25,p50,p75,p90,p95"
    assert len(out.splitlines()) == 13
    png = tmp_path / "fan.png"
    assert cli("forecast", tree, "--samples", "2000", "--plot", png)[0] == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--samples", "many"], "kpitree: --samples: 'many' is not a number\n"),
        (["--samples", "2.5"], "kpitree: --samples: expected a whole number >= 0, found '2.5'\n"),
        (["--samples", "1"], "kpitree: samples must be a whole number >= 2, found 1\n"),
        (["--seed", "-1"], "kpitree: --seed: expected a whole number >= 0, found '-1'\n"),
        (
            ["--plot", "x.txt"],
            "kpitree: --plot x.txt: expected a .png, .svg or .pdf file, found '.txt'\n",
        ),
        (["--node", "ar"], "kpitree: no node 'ar' in tree 'saas_arr' (did you mean 'arr'?)\n"),
        (["--target", "lots"], "kpitree: --target: 'lots' is not a number\n"),
    ],
)
def test_cli_forecast_bad_arguments(cli, tmp_path, arguments, message) -> None:
    """Bad arguments exit 2 with one line and write no chart."""
    png = tmp_path / "never.png"
    plot = [] if "--plot" in arguments else ["--plot", png]
    status, out, err = cli(
        "forecast", TREES / "saas_arr.yaml", "--samples", "100", *arguments, *plot
    )
    assert (status, out, err) == (2, "", message)
    assert not png.exists()


def test_cli_forecast_per_period_values_with_distribution(cli, write_tree) -> None:
    """The refusal of a per-period input with a distribution names the file and line."""
    path = write_tree(
        """
        name: v
        kgi: y
        time: {periods: 2}
        nodes:
          x: {value: [1, 2], distribution: {dist: normal, mean: 1, sd: 0.1}}
          y: {formula: x * 2}
        """
    )
    status, out, err = cli("forecast", path)
    assert (status, out) == (2, "")
    assert err == (
        f"{path}:5: node 'x': has one value per period and a distribution; give one value "
        "(the distribution then applies in every period) or remove the distribution\n"
    )


def test_engine_runs_only_what_a_node_needs() -> None:
    """``nodes=`` evaluates only the node's upstream, so a division by zero elsewhere (CAC with
    no deals) does not stop it; without it, that node fails as before."""
    from kpitree.errors import EvaluationError

    tree = kpitree.load(TREES / "saas_arr.yaml")
    inputs = tree.input_values() | {"win_rate": 0.0}
    out = tree.engine.run(inputs, nodes=("arr",))
    assert "cac" not in out
    assert set(out) == tree.upstream("arr") | {"arr"}
    # No deals: the base only compounds by 1 + expansion - churn = 1.005 a month.
    assert out["arr"][0, -1] == pytest.approx(12 * 75e6 * 1.005**12, rel=1e-12)
    with pytest.raises(EvaluationError, match="node 'cac'"):
        tree.engine.run(inputs)


def test_engine_replacement_names_its_arguments_and_refuses_inputs() -> None:
    """A replacement receives the formula's arguments in the order ``arguments`` names them;
    only derived nodes can be replaced."""
    from kpitree.engine import Engine

    tree = kpitree.load(TREES / "saas_arr.yaml")
    assert tree.engine.arguments("won") == ("win_rate", "delay(sql,2,25.0)")
    doubled = Engine(tree, replacements={"won": lambda rate, sql: 2 * rate * sql})
    base = tree.evaluate()
    assert doubled.run(tree.input_values())["won"][0, 0] == pytest.approx(2 * base["won"][0])
    with pytest.raises(DataError, match="only a derived node's formula can be replaced, not 'cpl'"):
        Engine(tree, replacements={"cpl": lambda: 1})
