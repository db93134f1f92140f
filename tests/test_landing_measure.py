"""The landing commands (forecast, learn, backtest) start from measured records as they start
from a file: ``--measure`` gives what the measure CSV read back as ``--actuals`` gives (to
1e-12: the CSV holds the implied rates to its printed digits)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import TREES

TREE = TREES / "saas_arr_measured.yaml"
AS_OF = "2027-06-20"


@pytest.fixture
def measured_csv(cli, tmp_path: Path) -> Path:
    """The sample tree measured as of AS_OF, written as an actuals CSV (June is partial and
    left out, so the CSV runs through May)."""
    target = tmp_path / "measured.csv"
    status, _, _ = cli("measure", TREE, "--as-of", AS_OF, "--format", "csv", "-o", target)
    assert status == 0
    return target


def test_forecast_from_measure_equals_forecast_from_its_csv(cli, measured_csv: Path) -> None:
    """A landing forecast from --measure is the one from the measure CSV, to the last digit,
    and both start after May (the partial June is not an actual)."""
    common = ("--samples", "3000", "--seed", "11", "--format", "json")
    first = cli("forecast", TREE, "--measure", "--as-of", AS_OF, *common)
    second = cli("forecast", TREE, "--actuals", measured_csv, "--as-of", "2027-05", *common)
    assert first[0] == second[0] == 0
    measured, from_file = json.loads(first[1]), json.loads(second[1])
    assert measured["actual_through"] == from_file["actual_through"] == "2027-05"
    assert measured["p_target"] == from_file["p_target"]
    for key in ("mean", "sd"):
        assert measured[key] == pytest.approx(from_file[key], rel=1e-12), key
    for key, values in measured["quantiles"].items():
        assert values == pytest.approx(from_file["quantiles"][key], rel=1e-12), key


def test_learn_from_measure_equals_learn_from_its_csv(cli, measured_csv: Path) -> None:
    """Rates learned from measured counts are those learned from the same counts in a file."""
    first = cli("learn", TREE, "--measure", "--as-of", AS_OF, "--format", "json")
    second = cli("learn", TREE, "--actuals", measured_csv, "--as-of", "2027-05", "--format", "json")
    assert first[0] == second[0] == 0
    measured, from_file = json.loads(first[1])["rates"], json.loads(second[1])["rates"]
    assert [rate["input"] for rate in measured] == [rate["input"] for rate in from_file]
    for rate, other in zip(measured, from_file, strict=True):
        for part in ("prior", "posterior"):
            assert rate[part] == pytest.approx(other[part], rel=1e-12), (rate["input"], part)
        assert rate["successes"] == pytest.approx(other["successes"], rel=1e-12)
        assert rate["trials"] == pytest.approx(other["trials"], rel=1e-12)


def test_backtest_from_measure_runs_over_the_measured_periods(cli, tmp_path: Path) -> None:
    """A backtest from --measure scores the same cut-offs as one from the measure CSV of the
    same full periods (measured as of the first of June, so no period is partial)."""
    target = tmp_path / "through_may.csv"
    as_of = "2027-05-31"
    assert cli("measure", TREE, "--as-of", as_of, "--format", "csv", "-o", target)[0] == 0
    common = ("--from", "2027-03", "--samples", "500", "--seed", "3", "--format", "json")
    first = cli("backtest", TREE, "--measure", "--as-of", as_of, *common)
    second = cli("backtest", TREE, "--actuals", target, *common)
    assert first[0] == second[0] == 0
    measured, from_file = json.loads(first[1]), json.loads(second[1])
    assert measured["cutoffs"] == from_file["cutoffs"]
    assert measured["coverage"] == from_file["coverage"]
    assert measured["crps"] == pytest.approx(from_file["crps"], rel=1e-9)


def test_backtest_refuses_as_of_with_a_file(cli, measured_csv: Path) -> None:
    """--as-of would silently do nothing to a backtest from a file: it is refused."""
    status, _, err = cli("backtest", TREE, "--actuals", measured_csv, "--from", "2027-03",
                         "--as-of", "2027-04")  # fmt: skip
    assert status == 2
    assert "--as-of goes with --measure" in err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("--actuals", "x.csv", "--measure"), "give either --actuals FILE or --measure, not both"),
        (("--partial", "pace"), "--partial needs --actuals FILE or --measure"),
        (("--learn",), "--learn needs --actuals FILE or --measure"),
    ],
)
def test_landing_options_that_do_not_go_together_exit_2(cli, extra, message) -> None:
    """Clashing or orphaned actuals options are one line and exit 2."""
    status, out, err = cli("forecast", TREE, "--samples", "100", *extra)
    assert status == 2
    assert message in err
    assert out == ""
