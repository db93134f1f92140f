"""Bottleneck: the ranking of levers worked by hand, gain per effort, the stalled stage,
alerts, and the ``bottleneck`` command's output and errors."""

from __future__ import annotations

import json
import math

import pytest
from conftest import TREES

import kpitree

FUNNEL = """
name: funnel
kgi: profit
nodes:
  leads: {value: 100, effort: 2, owner: marketing}
  sql_rate: {value: 0.10, bounds: [0, 1], benchmark: [0.11, 0.20], effort: 1,
             alert: {below: 0.15}, owner: inside sales}
  win_rate: {value: 0.25, bounds: [0, 1], benchmark: [0.20, 0.30], effort: 3,
             owner: field sales}
  acv: {value: 1_000, owner: field sales}
  cost: {value: 500, benchmark: [300, 800], owner: finance}
  notes: {value: 1}
  profit: {formula: leads * sql_rate * win_rate * acv - cost}
"""


def test_ranking_by_hand_near_move() -> None:
    """Base 2000. sql_rate (below its range) to the near edge 0.11 (+250), win_rate (inside)
    +10 % to 0.275 (+250), leads and acv +10 % (+250 each), cost (inside, lower is better)
    -10 % to 450 (+50); equal gains keep file order."""
    result = kpitree.loads(FUNNEL).bottlenecks()
    assert [lever.name for lever in result.ranking] == [
        "leads", "sql_rate", "win_rate", "acv", "cost",
    ]  # fmt: skip
    assert [lever.gain for lever in result.ranking] == pytest.approx([250, 250, 250, 250, 50])
    moves = {lever.name: (lever.to_value, lever.move) for lever in result.ranking}
    assert moves["sql_rate"] == (pytest.approx(0.11), "to_benchmark")
    assert moves["win_rate"] == (pytest.approx(0.275), "step")
    assert moves["cost"] == (pytest.approx(450), "step")
    assert moves["leads"] == (pytest.approx(110), "step")


def test_ranking_by_hand() -> None:
    """With to="far": base 100 x 0.1 x 0.25 x 1000 - 500 = 2000. sql_rate to 0.20 (+2500),
    win_rate to 0.30 (+500), leads and acv +10 % (+250 each, file order), cost to its lower
    benchmark end 300 (+200)."""
    result = kpitree.loads(FUNNEL).bottlenecks(to="far")
    assert result.kgi_value == pytest.approx(2000)
    assert [lever.name for lever in result.ranking] == [
        "sql_rate", "win_rate", "leads", "acv", "cost",
    ]  # fmt: skip
    gains = [lever.gain for lever in result.ranking]
    assert gains == pytest.approx([2500, 500, 250, 250, 200])
    sql = result["sql_rate"]
    assert (sql.from_value, sql.to_value, sql.move) == (0.10, 0.20, "far")
    assert sql.kgi_after == pytest.approx(4500)
    assert sql.gain_pct == pytest.approx(1.25)
    assert sql.owner == "inside sales"
    assert result["cost"].to_value == 300
    assert result["leads"].move == "step"
    assert "notes" not in {lever.name for lever in result.ranking}


def test_gain_per_effort_by_hand() -> None:
    """A move costs effort x |ln(to/from)|: with to="far", sql_rate 2500 / (1 ln 2) = 3607,
    leads 250 / (2 ln 1.1) = 1312, win_rate 500 / (3 ln 1.2) = 914; inputs without an effort
    are left out."""
    result = kpitree.loads(FUNNEL).bottlenecks(to="far")
    assert [lever.name for lever in result.by_effort] == ["sql_rate", "leads", "win_rate"]
    assert result["sql_rate"].effort_cost == pytest.approx(math.log(2))
    assert result["sql_rate"].gain_per_effort == pytest.approx(2500 / math.log(2))
    assert result["leads"].gain_per_effort == pytest.approx(250 / (2 * math.log(1.1)))
    assert result["win_rate"].gain_per_effort == pytest.approx(500 / (3 * math.log(1.2)))


def test_stalled_stage_and_alerts() -> None:
    """sql_rate 0.10 is 1/11 short of its 0.11 benchmark: the stalled stage; its alert below
    0.15 fires, with the owner."""
    result = kpitree.loads(FUNNEL).bottlenecks()
    stage = result.stalled_stage
    assert stage is not None
    assert (stage.name, stage.owner) == ("sql_rate", "inside sales")
    assert stage.shortfall == pytest.approx(1 / 11)
    assert [(hit.node, hit.direction, hit.owner) for hit in result.alerts] == [
        ("sql_rate", "below", "inside sales")
    ]


def test_stalled_stage_is_the_largest_relative_shortfall() -> None:
    """Of two conversion rates below their ranges, the one furthest below relatively is named;
    a churn rate below its range is good news, not a stalled stage; a derived rate counts."""
    tree = kpitree.loads(
        """
        name: stages
        kgi: won
        nodes:
          leads: {value: 1000}
          mql_rate: {value: 0.45, bounds: [0, 1], benchmark: [0.5, 0.7]}
          sql_rate: {value: 0.10, bounds: [0, 1], benchmark: [0.11, 0.2]}
          churn: {value: 0.01, bounds: [0, 1], benchmark: [0.03, 0.1]}
          sql: {formula: leads * mql_rate * sql_rate}
          won: {formula: sql * 0.25 * (1 - churn)}
          lead_to_sql: {formula: sql / leads, bounds: [0, 1], benchmark: [0.08, 0.2]}
        """
    )
    # mql_rate is 10 % short, sql_rate 9.1 %, lead_to_sql (0.045 against 0.08) 43.75 %.
    stage = tree.bottlenecks().stalled_stage
    assert stage is not None
    assert stage.name == "lead_to_sql"
    assert stage.shortfall == pytest.approx(0.4375)


def test_moves_are_capped_by_bounds_and_never_worsen() -> None:
    """A step past a bound is capped (and says so); an input already past the better end of
    its benchmark moves by a step (0.35 to 0.385), and with to="far" does not move."""
    tree = kpitree.loads(
        """
        name: caps
        kgi: won
        nodes:
          show_rate: {value: 0.95, bounds: [0, 1]}
          win_rate: {value: 0.35, bounds: [0, 1], benchmark: [0.2, 0.3]}
          deals: {value: 40}
          won: {formula: deals * show_rate * win_rate}
        """
    )
    result = tree.bottlenecks()
    show = result["show_rate"]
    assert (show.to_value, show.capped, show.move) == (1.0, True, "step")
    assert show.gain == pytest.approx(40 * 0.05 * 0.35)
    win = result["win_rate"]
    assert (win.to_value, win.move) == (pytest.approx(0.385), "step")
    assert win.gain == pytest.approx(40 * 0.95 * 0.035)
    far = tree.bottlenecks(to="far")["win_rate"]
    assert (far.to_value, far.move, far.gain) == (0.35, "far", 0.0)


def test_saas_arr_top_lever_equals_an_evaluation() -> None:
    """On saas_arr with to="far" the top lever is the opportunity rate to 20 %, its KGI equal to
    evaluating the tree with sql_rate 0.20; the stalled stage is sql_rate; lower CPL is better;
    by default sql_rate moves to 11 % and CPL (inside its range) 10 % down."""
    tree = kpitree.load(TREES / "saas_arr.yaml")
    near = tree.bottlenecks()
    assert near["sql_rate"].to_value == 0.11
    assert near["sql_rate"].kgi_after == pytest.approx(
        tree.evaluate(overrides={"sql_rate": 0.11}).kgi_value, rel=1e-14
    )
    assert near["cpl"].to_value == pytest.approx(72_000)
    result = tree.bottlenecks(to="far")
    top = result.ranking[0]
    assert (top.name, top.to_value) == ("sql_rate", 0.20)
    expected = tree.evaluate(overrides={"sql_rate": 0.20}).kgi_value
    assert top.kgi_after == pytest.approx(expected, rel=1e-14)
    assert result.stalled_stage is not None
    assert result.stalled_stage.name == "sql_rate"
    assert result["cpl"].to_value == 50_000
    assert result["churn_rate"].to_value == 0.005  # the monthly benchmark's better end
    assert len(result.alerts) == 12


def test_cli_json_shape(cli) -> None:
    """``bottleneck --format json`` has kgi, kgi_value, the ranking with the issue's keys,
    the stalled stage and the alerts."""
    status, out, err = cli("bottleneck", TREES / "saas_arr.yaml", "--format", "json")
    assert (status, err) == (0, "")
    data = json.loads(out)
    assert data["kgi"] == "arr"
    keys = {"input", "from", "to", "move", "kgi_after", "gain", "gain_pct", "owner"}
    assert all(keys <= set(lever) for lever in data["ranking"])
    assert data["stalled_stage"]["name"] == "sql_rate"
    assert data["alerts"][0] == {
        "node": "sql_rate", "period": "2027-01", "value": 0.1, "threshold": 0.15,
        "direction": "below", "owner": "inside sales",
    }  # fmt: skip


def test_cli_table_reads_well(cli, write_tree) -> None:
    """The report ranks the levers with owners, then by gain per effort, names the stalled
    stage and groups the alerts."""
    status, out, _ = cli("bottleneck", write_tree(FUNNEL), "--step", "20%", "--to", "far")
    assert status == 0
    lines = out.splitlines()
    assert lines[0] == "funnel: bottlenecks of profit = 2,000"
    assert lines[3].split()[:3] == ["1", "sql_rate", "inside"]
    assert "step 20 %" in out
    assert "By gain per effort (a move costs effort x |ln(to / from)|):" in out
    assert (
        "Stalled stage: sql_rate (owner: inside sales): 10.0 % against a benchmark of at least "
        "11.0 %, 9.1 % short" in out
    )
    assert "  sql_rate: below 0.15, lowest 0.1 (owner: inside sales)" in out


@pytest.mark.parametrize("step", ["0", "-5%"])
def test_cli_step_must_be_positive(cli, step: str) -> None:
    """--step 0 or negative: exit 2, one line."""
    status, out, err = cli("bottleneck", TREES / "nrr.yaml", f"--step={step}")
    assert (status, out) == (2, "")
    assert err == f"kpitree: --step: expected a number > 0, found '{step}'\n"
