"""Guardrails on solve (beyond the benchmark, alerts, ``--within benchmark``) and a
lower-is-better KGI solved in the right direction, worked by hand."""

from __future__ import annotations

import json
import math

import pytest
from conftest import TREES

import kpitree
from kpitree.errors import SolveError

CAC = """
name: cac
kgi: cac
nodes:
  leads: {value: 1000}
  sql_rate: {value: 0.10, bounds: [0, 1], benchmark: [0.11, 0.20], alert: {below: 0.15},
             effort: 1}
  win_rate: {value: 0.25, bounds: [0, 1], benchmark: [0.20, 0.30], effort: 3}
  ad_budget: {value: 3_000_000, bounds: [0, null], benchmark: [2_500_000, 4_000_000]}
  sales_cost: {value: 2_000_000, bounds: [0, null]}
  won: {formula: leads * sql_rate * win_rate}
  cac: {formula: (ad_budget + sales_cost) / won, direction: lower, target: 150_000}
"""
"""CAC = 5,000,000 / (1000 x 0.1 x 0.25) = 200,000 today; the target is 150,000."""


def test_bundled_uniform_solve_warns_of_the_alert(cli) -> None:
    """The bundled uniform solve needs sql_rate 11.3 %, below its 15 % alert line: one
    warning of kind alert, in JSON and in the table; win_rate (28.3 %) is inside 20-30 %."""
    status, out, err = cli(
        "solve", TREES / "saas_arr.yaml", "--lever", "sql_rate", "--lever", "win_rate",
        "--format", "json",
    )  # fmt: skip
    assert (status, err) == (0, "")
    data = json.loads(out)
    assert data["levers"]["sql_rate"] == pytest.approx(0.1130, abs=5e-5)
    (warning,) = data["warnings"]
    assert set(warning) == {"lever", "kind", "value", "limit"}
    assert (warning["lever"], warning["kind"], warning["limit"]) == ("sql_rate", "alert", 0.15)
    assert warning["value"] == pytest.approx(data["levers"]["sql_rate"], rel=1e-12)
    _, table, _ = cli(
        "solve", TREES / "saas_arr.yaml", "--lever", "sql_rate", "--lever", "win_rate"
    )
    assert "  warning: sql_rate: 0.113 trips its alert (below 0.15)" in table


def test_one_lever_beyond_its_benchmark_is_a_stretch(cli) -> None:
    """win_rate alone must reach 31.4 % for 1.4 bn ARR: beyond the better end (30 %) of its
    20-30 % benchmark, a beyond_benchmark warning with limit 0.30."""
    tree = kpitree.load(TREES / "saas_arr.yaml")
    solution = tree.solve(["win_rate"])
    (warning,) = solution.warnings
    assert (warning.lever, warning.kind, warning.limit) == ("win_rate", "beyond_benchmark", 0.30)
    assert warning.value == pytest.approx(solution.values["win_rate"])
    _, table, _ = cli("solve", TREES / "saas_arr.yaml", "--lever", "win_rate")
    assert "  warning: win_rate: stretch: 0.3144 against a benchmark of 0.2-0.3" in table


def test_within_benchmark_bounds_the_lever() -> None:
    """--within benchmark caps win_rate at 30 %: the 1.4 bn target is out of reach there, and
    the node reached is ARR with win_rate 0.30; no stretch is left to warn of."""
    tree = kpitree.load(TREES / "saas_arr.yaml")
    solution = tree.solve(["win_rate"], within="benchmark")
    assert not solution.feasible
    assert solution.values["win_rate"] == pytest.approx(0.30)
    expected = tree.evaluate(overrides={"win_rate": 0.30}).kgi_value
    assert solution.reached == pytest.approx(expected, rel=1e-12)
    assert solution.warnings == ()
    assert solution.binding == {"win_rate": "high"}
    assert solution.to_dict()["within"] == "benchmark"


def test_within_benchmark_keeps_room_from_below_the_range() -> None:
    """sql_rate is 10 %, below its 11-20 % range: within benchmark it may move in [10 %,
    20 %]; with win_rate (capped at 30 %) uniform reaches 1.4 bn at the same +13 %."""
    tree = kpitree.load(TREES / "saas_arr.yaml")
    solution = tree.solve(["sql_rate", "win_rate"], within="benchmark")
    sql = solution.levers[0]
    assert (sql.low, sql.high, sql.limits) == (0.10, 0.20, "benchmark")
    free = tree.solve(["sql_rate", "win_rate"])
    assert solution.values == pytest.approx(free.values, rel=1e-9)


def test_cli_within_benchmark_not_feasible_exits_1(cli) -> None:
    """``--within benchmark`` with win_rate alone: NOT FEASIBLE, exit 1, the bound column
    names the benchmark's end."""
    status, out, _ = cli(
        "solve", TREES / "saas_arr.yaml", "--lever", "win_rate", "--within", "benchmark"
    )
    assert status == 1
    assert "NOT FEASIBLE" in out
    assert "at high end of benchmark [0.2, 0.3]" in out


def test_lower_is_better_kgi_is_solved_downward() -> None:
    """CAC 200,000 to 150,000 needs won = 5,000,000 / 150,000 = 33.33, 4/3 of today's 25:
    uniform raises both rates by sqrt(4/3) (sql_rate 11.55 %, under its 15 % alert)."""
    solution = kpitree.loads(CAC).solve(["sql_rate", "win_rate"])
    factor = math.sqrt(4 / 3)
    assert solution.feasible
    assert solution.values == pytest.approx({"sql_rate": 0.1 * factor, "win_rate": 0.25 * factor})
    assert solution.reached == pytest.approx(150_000)
    assert [(w.lever, w.kind) for w in solution.warnings] == [("sql_rate", "alert")]


def test_lower_is_better_stretch_is_below_the_benchmark() -> None:
    """ad_budget alone: 150,000 x 25 - 2,000,000 = 1,750,000, below the better (lower) end
    2,500,000 of its benchmark: a stretch whose limit is the low end."""
    solution = kpitree.loads(CAC).solve(["ad_budget"])
    assert solution.values["ad_budget"] == pytest.approx(1_750_000)
    (warning,) = solution.warnings
    assert (warning.kind, warning.limit) == ("beyond_benchmark", 2_500_000)


def test_lower_is_better_out_of_reach_reports_the_lowest() -> None:
    """CAC 40,000 needs 125 won, win_rate 1.25: out of reach; the closest is win_rate at its
    bound 1, CAC 5,000,000 / 100 = 50,000 (the lowest CAC within bounds)."""
    solution = kpitree.loads(CAC).solve(["win_rate"], target=40_000)
    assert not solution.feasible
    assert solution.values["win_rate"] == 1.0
    assert solution.reached == pytest.approx(50_000)


def test_unknown_within_is_refused() -> None:
    """within= other than bounds or benchmark is a SolveError naming the choices."""
    with pytest.raises(SolveError, match="within 'peers' is not one of bounds, benchmark"):
        kpitree.loads(CAC).solve(["win_rate"], within="peers")


def test_csv_puts_the_warnings_on_stderr(cli) -> None:
    """``--format csv`` writes the cascade to stdout and each warning to stderr."""
    status, out, err = cli(
        "solve", TREES / "saas_arr.yaml", "--lever", "sql_rate", "--lever", "win_rate",
        "--format", "csv",
    )  # fmt: skip
    assert status == 0
    assert "warning" not in out
    assert err == "warning: sql_rate: 0.113 trips its alert (below 0.15)\n"


def test_report_cascade_shows_the_warnings() -> None:
    """The report's cascade solves the CAC tree's levers with an effort by min-effort: the
    whole move on sql_rate (effort 1), to 0.1 x 4/3 = 0.1333, under its 0.15 alert; the
    section says so."""
    from kpitree.report import build_report
    from kpitree.report.analysis_sections import cascade_section

    html = build_report(kpitree.loads(CAC), sections=[cascade_section])
    assert "Warning: sql_rate: 0.1333 trips its alert (below 0.15)" in html


def test_a_target_already_met_is_said() -> None:
    """CAC 200,000 is already below a 250,000 target (lower is better): the solve still lands
    on 250,000 (win_rate 0.2), and its note says the target was met today."""
    solution = kpitree.loads(CAC).solve(["win_rate"], target=250_000)
    assert solution.values["win_rate"] == pytest.approx(0.2)
    assert solution.plan.note.startswith(
        "cac is already below its target today (200,000, lower is better)"
    )
    higher = kpitree.load(TREES / "saas_arr.yaml").solve(["win_rate"], target=1e9)
    assert "arr is already above its target today" in higher.plan.note
