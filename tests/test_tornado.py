"""Tornado: swings worked by hand, bounds clipping, benchmark and distribution ranges, the
chart, and the ``tornado`` command's output and errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import TREES

import kpitree
from kpitree.plots.tornado import plot_tornado

SMALL = """
name: small
kgi: k
nodes:
  a: {value: 2, owner: marketing}
  b: {value: 3}
  c: {value: 4, benchmark: [3, 6]}
  rate: {value: 0.95, bounds: [0, 1], benchmark: [0.5, null],
         distribution: {dist: normal, mean: 0.9, sd: 0.02}}
  unused: {value: 7}
  k: {formula: a * b + c + 10 * rate}
"""


def test_swing_values_by_hand() -> None:
    """±10 % on k = a*b + c + 10 rate (base 19.5): bars and order worked by hand (spreads
    rate 1.45, a 1.2, b 1.2, c 0.8)."""
    result = kpitree.loads(SMALL).tornado()
    assert result.kgi_value == pytest.approx(19.5)
    assert [bar.name for bar in result.bars] == ["rate", "a", "b", "c"]
    a = result["a"]
    assert (a.low_value, a.high_value) == pytest.approx((1.8, 2.2))
    assert (a.kgi_low, a.kgi_high) == pytest.approx((18.9, 20.1))
    assert a.spread == pytest.approx(1.2)
    c = result["c"]
    assert (c.kgi_low, c.kgi_high) == pytest.approx((19.1, 19.9))
    # rate 0.95 swung to 1.045 is clipped to its bound 1: 19.5 + 10 * 0.05.
    rate = result["rate"]
    assert rate.clipped
    assert not a.clipped
    assert (rate.low_value, rate.high_value) == pytest.approx((0.855, 1.0))
    assert (rate.kgi_low, rate.kgi_high) == pytest.approx((18.55, 20.0))
    assert result.not_upstream == ("unused",)


def test_benchmark_range_open_end_and_skipped() -> None:
    """--range benchmark: both ends of c's range; rate's open upper end stays at base; inputs
    with no benchmark are skipped and listed."""
    result = kpitree.loads(SMALL).tornado(range="benchmark")
    assert [bar.name for bar in result.bars] == ["rate", "c"]
    assert (result["c"].kgi_low, result["c"].kgi_high) == pytest.approx((18.5, 21.5))
    assert (result["rate"].low_value, result["rate"].high_value) == pytest.approx((0.5, 0.95))
    assert (result["rate"].kgi_low, result["rate"].kgi_high) == pytest.approx((15.0, 19.5))
    assert result.skipped == ("a", "b")


def test_distribution_range_is_the_5th_to_95th_percentile() -> None:
    """--range distribution: normal(0.9, 0.02) swings to 0.9 ∓ 1.6448536 x 0.02, clipped by the
    bounds where needed (not here)."""
    result = kpitree.loads(SMALL).tornado(range="distribution")
    z = 1.6448536269514722  # standard normal 95th percentile
    rate = result["rate"]
    assert (rate.low_value, rate.high_value) == pytest.approx((0.9 - z * 0.02, 0.9 + z * 0.02))
    assert rate.kgi_high == pytest.approx(19.5 + 10 * (0.9 + z * 0.02 - 0.95))
    assert result.skipped == ("a", "b", "c")


def test_per_period_input_swings_every_period() -> None:
    """A per-period input is swung in every period: cumulative customers by hand."""
    tree = kpitree.loads(
        """
        name: cumulative
        kgi: customers
        time: {periods: 3}
        nodes:
          leads: {value: [10, 20, 30]}
          rate: {value: 0.5}
          customers: {formula: prev(customers) + leads * rate, initial: 100}
        """
    )
    result = tree.tornado(swing=0.2)
    leads = result["leads"]
    assert leads.per_period
    assert (leads.kgi_low, leads.kgi_high) == pytest.approx((100 + 0.5 * 48, 100 + 0.5 * 72))


def test_saas_arr_bars_equal_single_evaluations() -> None:
    """Each saas_arr bar's KGI equals evaluating the tree with that one input swung."""
    tree = kpitree.load(TREES / "saas_arr.yaml")
    result = tree.tornado(range="benchmark", period="2027-06")
    churn = result["churn_rate"]
    # churn's monthly benchmark is [0.5 %, 1 %]: low end 0.005, high end its value 0.01.
    expected = tree.evaluate(overrides={"churn_rate": 0.005})["arr"][5]
    assert churn.kgi_low == pytest.approx(expected, rel=1e-14)
    assert churn.kgi_high == pytest.approx(tree.evaluate()["arr"][5], rel=1e-14)
    spreads = [bar.spread for bar in result.bars]
    assert spreads == sorted(spreads, reverse=True)


def test_plot_draws_each_bar_from_the_base() -> None:
    """The chart has two bars per input, starting at the base KGI, widths equal to the KGI
    changes, the largest spread on top."""
    result = kpitree.loads(SMALL).tornado()
    ax = plot_tornado(result)
    patches = ax.patches
    assert len(patches) == 2 * len(result.bars)
    assert all(patch.get_x() == pytest.approx(result.kgi_value) for patch in patches)
    widths = sorted(round(patch.get_width(), 9) for patch in patches)
    expected = sorted(
        round(kgi - result.kgi_value, 9)
        for bar in result.bars
        for kgi in (bar.kgi_low, bar.kgi_high)
    )
    assert widths == expected
    labels = [tick.get_text() for tick in ax.get_yticklabels()]
    top = max(range(len(labels)), key=lambda i: ax.get_yticks()[i])
    assert labels[top] == "rate *\n0.855 .. 1"  # largest spread on top, clipping marked


def test_cli_json_shape_and_plot(cli, tmp_path: Path) -> None:
    """``tornado --format json --plot`` prints kgi, kgi_value and bars with the issue's keys
    and writes a PNG."""
    chart = tmp_path / "tornado.png"
    status, out, err = cli("tornado", TREES / "saas_arr.yaml", "--format", "json", "--plot", chart)
    assert (status, err) == (0, "")
    data = json.loads(out)
    assert data["kgi"] == "arr"
    assert len(data["bars"]) == 11
    keys = {"input", "low_value", "high_value", "kgi_low", "kgi_high", "spread"}
    assert all(keys <= set(bar) for bar in data["bars"])
    assert data["bars"][0]["input"] == "win_rate"
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_table_marks_clipping(cli, write_tree) -> None:
    """The table marks a clipped swing with * and explains it, and lists skipped inputs."""
    path = write_tree(SMALL)
    status, out, _ = cli("tornado", path, "--swing", "10%")
    assert status == 0
    assert "rate *" in out
    assert "* swing clipped to the input's bounds" in out
    assert "not upstream of the KGI: unused" in out
    status, out, _ = cli("tornado", path, "--range", "benchmark")
    assert "no benchmark, not swung: a, b" in out


def test_cli_benchmark_range_without_benchmarks(cli) -> None:
    """--range benchmark on a tree whose inputs have no benchmark: exit 2, one line."""
    status, out, err = cli("tornado", TREES / "nrr.yaml", "--range", "benchmark")
    assert (status, out) == (2, "")
    assert err == "kpitree: tree 'nrr': no input the KGI 'nrr' depends on has a benchmark\n"


def test_cli_distribution_range_without_distributions(cli) -> None:
    """--range distribution on a tree with no distributions: exit 2, one line."""
    status, out, err = cli("tornado", TREES / "nrr.yaml", "--range", "distribution")
    assert (status, out) == (2, "")
    assert err == "kpitree: tree 'nrr': no input the KGI 'nrr' depends on has a distribution\n"


@pytest.mark.parametrize("swing", ["0", "-0.1", "1", "150%"])
def test_cli_swing_must_be_positive(cli, swing: str) -> None:
    """--swing outside (0, 1): exit 2, one line."""
    status, out, err = cli("tornado", TREES / "nrr.yaml", f"--swing={swing}")
    assert (status, out) == (2, "")
    assert err == f"kpitree: --swing: expected a number > 0 and < 1 (100%), found '{swing}'\n"


def test_cli_plot_needs_a_known_format(cli, tmp_path: Path) -> None:
    """--plot with an unknown file type: exit 2, one line, nothing written."""
    target = tmp_path / "chart.jpg"
    status, out, err = cli("tornado", TREES / "nrr.yaml", "--plot", target)
    assert (status, out) == (2, "")
    assert err == f"kpitree: --plot {target}: expected a .png, .svg or .pdf file, found '.jpg'\n"
    assert not target.exists()


def test_cli_plot_directory_missing(cli, tmp_path: Path) -> None:
    """--plot into a missing directory: exit 2, one line, no partial file."""
    target = tmp_path / "missing" / "chart.png"
    status, out, err = cli("tornado", TREES / "nrr.yaml", "--plot", target)
    assert (status, out) == (2, "")
    assert err == f"kpitree: --plot {target}: directory '{target.parent}' does not exist\n"
    assert not np.any([path.name.endswith(".tmp") for path in tmp_path.iterdir()])
