"""The realistic move of the bottleneck ranking (near edge, step, far) and a lower-is-better
KGI, worked by hand."""

from __future__ import annotations

import json

import pytest

import kpitree
from kpitree.errors import DataError

CVR = """
name: cvr
kgi: leads
nodes:
  visits: {value: 10_000}
  cvr: {value: VALUE, bounds: [0, 1], benchmark: [0.02, 0.05]}
  leads: {formula: visits * cvr}
"""


@pytest.mark.parametrize(
    ("value", "near", "move", "far"),
    [
        (0.012, 0.02, "to_benchmark", 0.05),  # below the range: to its near edge, not 4.2x
        (0.03, 0.033, "step", 0.05),  # inside: +10 %
        (0.048, 0.05, "step", 0.05),  # inside: +10 % would pass 5 %, stops at it
        (0.05, 0.055, "step", 0.05),  # at the better end: +10 %
        (0.06, 0.066, "step", 0.06),  # beyond it: +10 %; far does not move
    ],
)
def test_move_below_inside_and_above_the_range(
    value: float, near: float, move: str, far: float
) -> None:
    """A CVR below 2-5 % moves to 2 %, one inside moves 10 % up but not past 5 %, one at or
    above 5 % moves 10 %; to="far" moves to 5 % (or stays beyond it)."""
    tree = kpitree.loads(CVR.replace("VALUE", str(value)))
    lever = tree.bottlenecks()["cvr"]
    assert (lever.to_value, lever.move) == (pytest.approx(near), move)
    assert lever.gain == pytest.approx(10_000 * (near - value))
    far_lever = tree.bottlenecks(to="far")["cvr"]
    assert (far_lever.to_value, far_lever.move) == (pytest.approx(far), "far")


def test_lower_is_better_input_moves_down_to_the_near_edge() -> None:
    """A churn of 8 % a month against a benchmark of at most 5 % moves to 5 % (its near and
    only edge); one of 1 % (inside) moves 10 % down, to 0.9 %."""
    text = """
    name: keep
    kgi: kept
    nodes:
      customers: {value: 1000}
      churn: {value: VALUE, bounds: [0, 1], benchmark: [null, 0.05]}
      kept: {formula: customers * (1 - churn)}
    """
    high = kpitree.loads(text.replace("VALUE", "0.08")).bottlenecks()["churn"]
    assert (high.to_value, high.move, high.gain) == (0.05, "to_benchmark", pytest.approx(30))
    low = kpitree.loads(text.replace("VALUE", "0.01")).bottlenecks()["churn"]
    assert (low.to_value, low.move, low.gain) == (pytest.approx(0.009), "step", pytest.approx(1))


def test_per_period_input_moves_each_period_by_the_rule() -> None:
    """One value per period: 1 % moves to 2 %, 3 % to 3.3 %, 6 % to 6.6 % (mean 3.97 %)."""
    tree = kpitree.loads(
        """
        name: seasonal
        kgi: leads
        time: {periods: 3, unit: month}
        nodes:
          visits: {value: 1000}
          cvr: {value: [0.01, 0.03, 0.06], bounds: [0, 1], benchmark: [0.02, 0.05]}
          leads: {formula: visits * cvr}
        """
    )
    lever = tree.bottlenecks(period=1)["cvr"]
    assert (lever.to_value, lever.move) == (pytest.approx(0.119 / 3), "to_benchmark")
    assert lever.gain == pytest.approx(1000 * 0.01)
    assert tree.bottlenecks(period=2)["cvr"].gain == pytest.approx(1000 * 0.003)
    assert tree.bottlenecks(period=3)["cvr"].gain == pytest.approx(1000 * 0.006)
    assert lever.per_period


CAC = """
name: cac
kgi: cac
nodes:
  leads: {value: 1000, benchmark: [1500, 3000], owner: marketing}
  sql_rate: {value: 0.10, bounds: [0, 1], benchmark: [0.11, 0.20], owner: inside sales}
  win_rate: {value: 0.25, bounds: [0, 1], benchmark: [0.20, 0.30], owner: field sales}
  ad_budget: {value: 3_000_000, bounds: [0, null]}
  sales_cost: {value: 2_000_000, bounds: [0, null]}
  won: {formula: leads * sql_rate * win_rate}
  cac: {formula: (ad_budget + sales_cost) / won, direction: lower, target: 150_000}
"""


def test_lower_is_better_kgi_is_ranked_by_its_fall() -> None:
    """CAC = 5,000,000 / (1000 x 0.1 x 0.25) = 200,000. Leads to 1500 (won 37.5): CAC
    133,333, gain 66,667; sql_rate to 0.11 and win_rate to 0.275 (won 27.5): 181,818, gain
    18,182 each; ad_budget 10 % down: 188,000 (gain 12,000); sales_cost 10 % down: 192,000
    (gain 8,000). Costs move down and rates up because lower CAC is better."""
    result = kpitree.loads(CAC).bottlenecks()
    assert result.direction == "lower"
    assert [lever.name for lever in result.ranking] == [
        "leads", "sql_rate", "win_rate", "ad_budget", "sales_cost",
    ]  # fmt: skip
    assert [lever.gain for lever in result.ranking] == pytest.approx(
        [200_000 - 400_000 / 3, 200_000 - 2_000_000 / 11, 200_000 - 2_000_000 / 11, 12_000, 8_000]
    )
    assert result["ad_budget"].to_value == pytest.approx(2_700_000)
    assert result["ad_budget"].kgi_after == pytest.approx(188_000)
    assert result["sql_rate"].to_value == pytest.approx(0.11)
    # sql_rate lowers CAC as it rises: a conversion rate, and the stalled stage.
    assert result.stalled_stage is not None
    assert result.stalled_stage.name == "sql_rate"


def test_cli_to_far_and_json_move(cli, write_tree) -> None:
    """``--to far`` moves to the better end; JSON rows carry "move", the result "to" and the
    KGI's direction; the table says a gain is a fall of a lower-is-better KGI."""
    path = write_tree(CAC)
    status, out, err = cli("bottleneck", path, "--format", "json")
    assert (status, err) == (0, "")
    data = json.loads(out)
    assert (data["to"], data["direction"]) == ("near", "lower")
    moves = {row["input"]: row["move"] for row in data["ranking"]}
    assert moves == {
        "leads": "to_benchmark", "sql_rate": "to_benchmark", "win_rate": "step",
        "ad_budget": "step", "sales_cost": "step",
    }  # fmt: skip
    status, out, _ = cli("bottleneck", path, "--to", "far", "--format", "json")
    far = {row["input"]: (row["to"], row["move"]) for row in json.loads(out)["ranking"]}
    assert far["leads"] == (3000, "far")
    assert far["win_rate"] == (0.3, "far")
    status, out, _ = cli("bottleneck", path)
    assert status == 0
    assert "cac is better lower: a gain is a fall of cac" in out
    assert "to benchmark" in out


def test_unknown_to_is_refused() -> None:
    """to= other than near or far is a DataError naming the choices."""
    with pytest.raises(DataError, match="to must be one of near, far, found 'middle'"):
        kpitree.loads(CAC).bottlenecks(to="middle")


def test_cli_unknown_to_exits_2(cli, write_tree) -> None:
    """``--to middle`` is a usage error: exit 2, no output."""
    status, out, err = cli("bottleneck", write_tree(CAC), "--to", "middle")
    assert (status, out) == (2, "")
    assert "--to" in err


def test_report_says_a_lower_is_better_kgi_falls() -> None:
    """The report's bottleneck section on the CAC tree: leads to 1,500 lowers CAC by 66,667,
    a third of 200,000."""
    from kpitree.report import build_report
    from kpitree.report.analysis_sections import bottleneck_section

    html = build_report(kpitree.loads(CAC), sections=[bottleneck_section])
    assert "leads (marketing) from 1,000 to 1,500 lowers cac by 66,667 (-33.3 %)" in html
