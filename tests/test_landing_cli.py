"""The command line of landing forecasts, learned rates and backtests, and the fan chart's
actuals line."""

from __future__ import annotations

import json

import matplotlib.pyplot as plt
import pytest
from conftest import TREES

import kpitree
from kpitree.actuals import read_actuals
from kpitree.analysis.forecast import forecast
from kpitree.analysis.landing import landing

TREE = TREES / "saas_arr.yaml"
ACTUALS = TREES / "saas_arr_actuals.csv"


def test_forecast_from_actuals_json(cli) -> None:
    """forecast --actuals reports actual_through, and its first periods are the actuals."""
    status, out, _ = cli("forecast", TREE, "--actuals", ACTUALS, "--samples", "4096",
                         "--seed", "1", "--format", "json")  # fmt: skip
    assert status == 0
    data = json.loads(out)
    assert data["actual_through"] == "2027-03"
    assert data["quantiles"]["p5"][:3] == data["quantiles"]["p95"][:3]
    assert "learned" not in data


def test_forecast_learn_lists_rates_and_trials(cli) -> None:
    """forecast --learn names the learned rates with their trials, in JSON and the table."""
    status, out, _ = cli("forecast", TREE, "--actuals", ACTUALS, "--learn", "--samples",
                         "4096", "--seed", "1", "--format", "json")  # fmt: skip
    assert status == 0
    learned = {entry["input"]: entry for entry in json.loads(out)["learned"]}
    assert set(learned) == {"visit_cvr", "sql_rate", "win_rate", "churn_rate"}
    status, out, _ = cli("forecast", TREE, "--actuals", ACTUALS, "--learn", "--as-of",
                         "2027-02", "--samples", "4096", "--seed", "1")  # fmt: skip
    assert status == 0
    assert "from actuals through 2027-02" in out
    assert "rates drawn from their posteriors: visit_cvr" in out


def test_learn_json_shape(cli) -> None:
    """learn --format json gives input, prior, successes, trials and posterior per rate."""
    status, out, _ = cli("learn", TREE, "--actuals", ACTUALS, "--window", "2", "--format", "json")
    assert status == 0
    rate = json.loads(out)["rates"][0]
    assert set(rate) >= {"input", "prior", "successes", "trials", "posterior"}
    assert set(rate["posterior"]) == {"a", "b", "mean", "p5", "p95"}
    assert rate["posterior"]["a"] == pytest.approx(rate["prior"]["a"] + rate["successes"])


def test_backtest_json_and_table(cli) -> None:
    """backtest prints cut-offs, coverage, CRPS and rows; the table gives a verdict."""
    status, out, _ = cli("backtest", TREE, "--actuals", ACTUALS, "--from", "2027-01",
                         "--samples", "500", "--seed", "2", "--format", "json")  # fmt: skip
    assert status == 0
    data = json.loads(out)
    assert data["cutoffs"] == ["2027-01", "2027-02"]
    assert set(data["coverage"]) == {"p50", "p90"}
    assert data["crps"] > 0
    assert data["rows"][0]["node"] == "arr"
    status, out, _ = cli("backtest", TREE, "--actuals", ACTUALS, "--from", "2027-01",
                         "--samples", "500", "--seed", "2", "--learn")  # fmt: skip
    assert status == 0
    assert "learned rates" in out
    assert "50 %" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["forecast", TREE, "--learn"], "--learn needs --actuals"),
        (["forecast", TREE, "--as-of", "2027-02"], "--as-of needs --actuals"),
        (["forecast", TREE, "--actuals", ACTUALS, "--as-of", "2031-01"], "not a period"),
        (
            ["forecast", TREE, "--actuals", ACTUALS, "--as-of", "2027-01", "--counts", "binomial"],
            "counts cannot",
        ),
        (["learn", TREE, "--actuals", ACTUALS, "--window", "0"], "--window"),
        (["learn", TREE, "--actuals", "missing.csv"], "does not exist"),
        (["backtest", TREE, "--actuals", ACTUALS, "--from", "2027-03"], "followed by"),
        (["backtest", TREE, "--actuals", ACTUALS, "--from", "May"], "not a period"),
    ],
)
def test_bad_options_exit_2(cli, argv, message) -> None:
    """Bad options and files: exit status 2 and one line that says what is wrong."""
    status, out, err = cli(*argv)
    assert status == 2
    assert message in err
    assert "Traceback" not in err
    assert out == ""


def test_fan_chart_draws_actuals_line() -> None:
    """The fan chart of a landing forecast draws the actuals as a line up to the cut-off and
    the bands from there on."""
    tree = kpitree.load(TREE)
    start = landing(tree, read_actuals(ACTUALS, tree))
    result = forecast(tree, 4096, seed=1, landing=start)
    ax = result.plot()
    (line,) = [line for line in ax.get_lines() if line.get_label().startswith("actual")]
    assert list(line.get_xdata()) == [0, 1, 2]
    assert list(line.get_ydata()) == pytest.approx(list(result.actual))
    median = next(line for line in ax.get_lines() if line.get_label() == "median")
    assert median.get_xdata()[0] == 2
    plt.close("all")
