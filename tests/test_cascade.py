"""The target cascade and the solve command: department table, per-period targets, JSON, CSV."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest
from conftest import TREES

import kpitree

SAAS = TREES / "saas_arr.yaml"


def test_cascade_is_the_tree_evaluated_at_the_solved_inputs() -> None:
    """Every cascade row's per-period target equals a fresh evaluation at the solved levers."""
    tree = kpitree.load(SAAS)
    solution = tree.solve(["win_rate"])
    fresh = tree.evaluate(overrides=solution.values)
    cascade = solution.cascade()
    assert len(cascade.rows) == len(tree.nodes)
    for row in cascade.rows:
        assert np.allclose(row.periods, fresh[row.node], rtol=1e-12)
        assert row.target == pytest.approx(fresh.final(row.node), rel=1e-12)
        assert row.plan == pytest.approx(tree.evaluate().final(row.node), rel=1e-12)


def test_cascade_runs_from_the_goal_down_the_funnel() -> None:
    """The goal comes first, then what it reads: won before sql before mql before leads before visits."""
    names = [row.node for row in kpitree.load(SAAS).solve(["win_rate"]).cascade().rows]
    assert names[0] == "arr"
    funnel = ["won", "sql", "mql", "leads", "visits"]
    assert [names.index(n) for n in funnel] == sorted(names.index(n) for n in funnel)
    # nodes that do not feed ARR (CAC, customers) come after every node that does
    assert names.index("cac") > names.index("visits")


def test_totals_follow_the_rollup_rule() -> None:
    """leads/month adds up over the year; the year's SQL rate is year SQLs / year MQLs; MRR (a
    balance), JPY/year ARR, ARPU in JPY/customer/month and churn (a rate of a stock) have none."""
    rows = {row.node: row for row in kpitree.load(SAAS).solve(["win_rate"]).cascade().rows}
    assert rows["leads"].total == pytest.approx(sum(rows["leads"].periods))
    sql, mql = sum(rows["sql"].periods), sum(rows["mql"].periods)
    assert rows["sql_rate"].total == pytest.approx(sql / mql, rel=1e-12)
    for name in ("churn_rate", "mrr", "arr", "customers", "arpu"):
        assert rows[name].total is None, name


def test_departments_group_every_node_by_owner() -> None:
    """Owners partition the nodes; marketing owns visits and leads, CRO owns arr."""
    tree = kpitree.load(SAAS)
    owners = tree.solve(["win_rate"]).cascade().owners()
    assert sorted(n for names in owners.values() for n in names) == sorted(tree.nodes)
    assert {"visits", "leads"} <= set(owners["marketing"])
    assert owners["CRO"] == ["arr"]


def test_solve_json_has_the_documented_keys(cli) -> None:
    """kpitree solve --format json: kgi, target, feasible, levers, changes, kgi_reached,
    values (per period for a timed tree), owners."""
    status, out, err = cli(
        "solve", SAAS, "--lever", "sql_rate", "--lever", "win_rate", "--format", "json"
    )
    assert status == 0, err
    data = json.loads(out)
    documented = {
        "kgi",
        "target",
        "feasible",
        "levers",
        "changes",
        "kgi_reached",
        "values",
        "owners",
    }
    assert documented <= set(data)
    assert data["kgi"] == "arr"
    assert data["target"] == 1_400_000_000
    assert data["feasible"] is True
    assert set(data["levers"]) == {"sql_rate", "win_rate"}
    assert data["changes"]["sql_rate"] == pytest.approx(data["changes"]["win_rate"], rel=1e-12)
    assert data["kgi_reached"] == pytest.approx(1.4e9, rel=1e-9)
    assert len(data["values"]["leads"]) == 12
    assert data["values"]["arr"][-1] == pytest.approx(1.4e9, rel=1e-9)
    assert "leads" in data["owners"]["marketing"]


def test_solve_csv_is_the_cascade(cli) -> None:
    """CSV: one row per node with owner, unit, plan, target, change, each period and total."""
    status, out, _ = cli("solve", SAAS, "--lever", "win_rate", "--format", "csv")
    assert status == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 30
    assert rows[0]["node"] == "arr"
    assert list(rows[0])[:9] == [
        "node",
        "label",
        "owner",
        "unit",
        "lever",
        "plan",
        "target",
        "change",
        "2027-01",
    ]
    assert float(rows[0]["2027-12"]) == pytest.approx(1.4e9, rel=1e-9)
    win = next(row for row in rows if row["node"] == "win_rate")
    assert win["lever"] == "True"


def test_static_tree_json_has_numbers(cli) -> None:
    """A static tree's values are numbers; --target overrides the node's target."""
    status, out, _ = cli("solve", TREES / "unit_economics.yaml", "--lever", "monthly_churn",
                         "--target", "5", "--format", "json")  # fmt: skip
    assert status == 0
    data = json.loads(out)
    # ltv_to_cac = arpu x margin / churn / cac = 300,000 x 0.8 / churn / 4.8e6 = 0.05 / churn
    assert data["levers"]["monthly_churn"] == pytest.approx(0.05 / 5, rel=1e-12)
    assert data["values"]["ltv_to_cac"] == pytest.approx(5, rel=1e-9)


def test_table_reads_as_a_handout(cli) -> None:
    """The table states the verdict, the lever change, and the department and period tables."""
    status, out, err = cli("solve", SAAS, "--lever", "win_rate")
    assert status == 0
    assert err == ""
    assert "target 1,400,000,000 JPY/year at 2027-12: feasible" in out
    assert "Targets by department" in out
    assert "Target cascade per period" in out
    lever_line = next(line for line in out.splitlines() if line.startswith("win_rate "))
    assert "0.25" in lever_line
    assert "+25.8 %" in lever_line


def test_infeasible_target_exits_1_with_the_best_reachable(cli) -> None:
    """A target the win rate cannot reach within [0, 1]: exit 1, NOT FEASIBLE, lever at 1."""
    status, out, err = cli("solve", SAAS, "--lever", "win_rate", "--target", "5e9")
    assert status == 1
    assert err == ""
    assert "NOT FEASIBLE" in out
    assert "at high bound [0, 1]" in out
    status, out, _ = cli(
        "solve", SAAS, "--lever", "win_rate", "--target", "5e9", "--format", "json"
    )
    data = json.loads(out)
    assert data["feasible"] is False
    assert data["levers"]["win_rate"] == 1.0
    assert data["binding"]["win_rate"] == "high"


def test_node_option_solves_for_another_node(cli) -> None:
    """--node sql with --target: sql_rate so that December SQLs are 50 (320 MQLs that month)."""
    status, out, _ = cli("solve", SAAS, "--node", "sql", "--target", "50", "--lever", "sql_rate",
                         "--format", "json")  # fmt: skip
    assert status == 0
    data = json.loads(out)
    assert (data["kgi"], data["node"]) == ("arr", "sql")
    assert data["levers"]["sql_rate"] == pytest.approx(50 / 320, rel=1e-12)


def test_weights_and_set_are_used(cli) -> None:
    """--mode weighted --weight: changes in the ratio of the weights; --set changes the start."""
    status, out, _ = cli("solve", SAAS, "--lever", "sql_rate", "--lever", "win_rate", "--mode",
                         "weighted", "--weight", "sql_rate=3", "--set", "win_rate=0.2",
                         "--format", "json")  # fmt: skip
    assert status == 0
    data = json.loads(out)
    assert data["changes"]["sql_rate"] == pytest.approx(3 * data["changes"]["win_rate"], rel=1e-9)
    assert data["before"]["win_rate"] == 0.2
