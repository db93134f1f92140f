"""`kpitree report` with --actuals, --samples and --seed: the sections they add, bad input."""

from __future__ import annotations

import pytest
from conftest import TREES

import kpitree
from kpitree.present.numbers import format_number

SAAS = TREES / "saas_arr.yaml"
ACTUALS = TREES / "saas_arr_actuals.csv"


def test_actuals_add_plan_vs_actual_and_attribution(cli, tmp_path) -> None:
    """--actuals adds both sections, with ARR at 2027-03 as compare gives it; the title names
    the file; --samples and --seed reach the forecast."""
    out = tmp_path / "report.html"
    status, stdout, stderr = cli(
        "report", SAAS, "--actuals", ACTUALS, "--samples", "300", "--seed", "5", "-o", out
    )
    assert (status, stdout, stderr) == (0, "", "")
    html = out.read_text(encoding="utf-8")
    assert '<section id="actuals">' in html
    assert '<section id="attribution">' in html
    assert "actuals saas_arr_actuals.csv" in html
    tree = kpitree.load(SAAS)
    comparison = tree.compare(kpitree.read_actuals(ACTUALS, tree))
    plan, actual = comparison.plan["arr"][-1], comparison.actual["arr"][-1]
    assert (
        f"ARR at 2027-03: actual {format_number(actual)} against plan {format_number(plan)}" in html
    )
    assert "300 paths, seed 5" in html
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_without_actuals_no_actual_sections(cli, tmp_path) -> None:
    """Without --actuals the report has neither section; the default seed is 1."""
    out = tmp_path / "report.html"
    status, _, _ = cli("report", SAAS, "--samples", "200", "-o", out)
    html = out.read_text(encoding="utf-8")
    assert status == 0
    assert 'id="actuals"' not in html
    assert 'id="attribution"' not in html
    assert "200 paths, seed 1;" in html


def test_bad_actuals_exit_2_and_nothing_written(cli, tmp_path) -> None:
    """A cell that is not a number: exit 2, FILE:LINE: message, no report file."""
    bad = tmp_path / "actuals.csv"
    bad.write_text("period,sql_rate\n2027-01,9%\n2027-02,n/a\n", encoding="utf-8")
    out = tmp_path / "report.html"
    status, stdout, stderr = cli("report", SAAS, "--actuals", bad, "-o", out)
    assert (status, stdout) == (2, "")
    assert stderr == (
        f"{bad}:3: column 'sql_rate': 'n/a' is not a number "
        "(expected e.g. 1200, 1,200, 0.12 or 12%)\n"
    )
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["actuals.csv"]


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--samples", "1", "kpitree: samples must be a whole number >= 2, found 1\n"),
        ("--samples", "2.5", "kpitree: --samples: expected a whole number >= 0, found '2.5'\n"),
        ("--seed", "x", "kpitree: --seed: 'x' is not a number\n"),
    ],
)
def test_bad_sampling_options_exit_2(cli, tmp_path, option, value, message) -> None:
    """A forecast option that is not usable: exit 2, one line, no report file."""
    out = tmp_path / "report.html"
    status, _, stderr = cli("report", SAAS, option, value, "-o", out)
    assert (status, stderr) == (2, message)
    assert not out.exists()


def test_help_says_the_seed_is_fixed(cli) -> None:
    """--help explains --actuals, --samples and that the default seed is fixed."""
    status, out, _ = cli("report", "--help")
    assert status == 0
    text = " ".join(out.split())
    assert "--actuals FILE" in text
    assert "--samples N" in text
    assert "(default: 1, fixed, so the same tree and options give the same report)" in text
