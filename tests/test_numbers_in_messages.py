"""Numbers in messages read as the tables show them: solve's warnings in the lever's unit,
compare's float noise as 0, and plot's refusal of a quarter label naming the month to give."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import TREES

import kpitree
from kpitree.analysis.compare import gap
from kpitree.errors import DataError
from kpitree.plots.tree_diagram import plot_tree
from kpitree.present.numbers import format_number


def test_solve_warning_uses_the_tables_format(cli) -> None:
    """sql_rate (unit ratio) reads 0.111 in the warning as in the levers table, not 11.1 %."""
    status, out, _ = cli(
        "solve", TREES / "saas_arr.yaml",
        "--lever", "sql_rate", "--lever", "win_rate", "--lever", "churn_rate",
    )  # fmt: skip
    assert status == 0
    solution = kpitree.load(TREES / "saas_arr.yaml").solve(["sql_rate", "win_rate", "churn_rate"])
    shown = format_number(float(solution.values["sql_rate"]), "ratio")
    assert shown == "0.111"
    assert f"warning: sql_rate: {shown} trips its alert (below 0.15)" in out
    row = next(line for line in out.splitlines() if line.startswith("sql_rate"))
    assert f" {shown} " in row


def test_solve_warning_of_a_percent_node_stays_a_percentage(write_tree, cli) -> None:
    """A lever in unit % is shown as a percentage in its warning, as its table shows it."""
    path = write_tree(
        """
        name: p
        kgi: won
        nodes:
          leads: {value: 1000}
          rate: {value: 0.1, unit: "%", bounds: [0, 1], alert: {above: 0.12}}
          won: {formula: leads * rate, target: 130}
        """
    )
    _, out, _ = cli("solve", path, "--lever", "rate")
    assert "warning: rate: 13.0 % trips its alert (above 12.0 %)" in out


def test_gap_is_zero_within_a_few_ulps() -> None:
    """0.25 against 0.25 minus one ulp is 0; a real difference of 1e-12 on 0.25 is kept."""
    plan = 0.25
    noisy = np.nextafter(plan, 0.0) - 2e-17  # two ulps below
    assert gap(plan, noisy) == 0.0
    assert gap(plan, plan + 1e-12) == pytest.approx(1e-12)
    # Relative to the values compared: 1e-9 on a billion is noise-sized, on 1 it is not.
    assert gap(1e9, 1e9 + 1e-7) == 0.0
    assert gap(1.0, 1.0 + 1e-9) != 0.0


def test_compare_shows_an_implied_rates_noise_as_zero(write_tree, tmp_path, cli) -> None:
    """won = delay(sql) * win_rate with actual won 3 and sql 12 implies win_rate 0.25 up to
    float noise: the table shows difference 0 and +0.0 %, no -2.22e-16 nor -0.0 %."""
    path = write_tree(
        """
        name: j
        kgi: won
        time: {periods: 3, unit: month, start: 2027-01}
        nodes:
          mql: {value: 100, unit: leads/month}
          sql_rate: {value: 0.1, bounds: [0, 1]}
          sql: {formula: mql * sql_rate, calibrates: sql_rate, unit: opportunities/month}
          win_rate: {value: 0.25, bounds: [0, 1]}
          won: {formula: "delay(sql, 1) * win_rate", unit: customers/month}
        """
    )
    actuals = tmp_path / "j.csv"
    actuals.write_text("period,sql,won\n2027-01,12,\n2027-02,15,3\n", encoding="utf-8")
    status, out, _ = cli("compare", path, "--actuals", actuals)
    assert status == 0
    assert "e-16" not in out
    assert "-0.0 %" not in out
    block = out.split("j at 2027-02")[1]
    row = next(line for line in block.splitlines() if line.strip().startswith("win_rate"))
    assert row.split()[1:5] == ["0.25", "0.25", "0", "+0.0"]


def test_plot_refuses_a_quarter_naming_its_last_month(write_tree) -> None:
    """A quarter label is refused with the month that shows its judged target."""
    tree = kpitree.load(
        write_tree(
            """
            name: f
            kgi: won
            time: {periods: 12, unit: month, start: 2027-01}
            nodes:
              leads: {value: 1000}
              won: {formula: leads * 0.1, target: {2027-Q4: 330}}
            """
        )
    )
    with pytest.raises(DataError, match=r"'2027-Q4' spans 2027-10 \.\. 2027-12: .* 2027-12"):
        plot_tree(tree, tree.evaluate(), period="2027-Q4")


def test_plot_cli_refuses_a_year_with_status_2(write_tree, tmp_path, cli) -> None:
    """On the command line a year label exits 2 with the message and writes no file."""
    path = write_tree(
        """
        name: f
        kgi: won
        time: {periods: 12, unit: month, start: 2027-01}
        nodes:
          won: {value: 1}
        """
    )
    image = tmp_path / "t.png"
    status, _, err = cli("plot", path, "--period", "2027", "-o", image)
    assert status == 2
    assert "'2027' spans 2027-01 .. 2027-12" in err
    assert not image.exists()
