"""Actual vs plan per node and period, checked by hand on a small tree."""

from __future__ import annotations

import json

import numpy as np
import pytest
from test_actuals import SHOP, write_csv

import kpitree
from kpitree.analysis.compare import good_directions


@pytest.fixture
def shop_files(write_tree, tmp_path):
    """The shop tree and two months of actuals: Jan visits 1,100 and cvr 1.8 %, Feb cvr 1.4 %."""
    tree = write_tree(SHOP)
    csv = write_csv(tmp_path, 'period,visits,cvr\n2027-01,"1,100",1.8%\n2027-02,,1.4%\n')
    return tree, csv


def test_values_by_hand(shop_files) -> None:
    """revenue = visits * cvr * price: Jan 1100 * 0.018 * 50 = 990 vs 1000; Feb 700 vs 1000."""
    tree = kpitree.load(shop_files[0])
    result = tree.compare(kpitree.read_actuals(shop_files[1], tree))
    assert result.periods == ("2027-01", "2027-02")
    np.testing.assert_allclose(result.plan["revenue"], [1000.0, 1000.0], rtol=1e-12)
    np.testing.assert_allclose(result.actual["revenue"], [990.0, 700.0], rtol=1e-12)
    np.testing.assert_allclose(result.difference("orders"), [-0.2, -6.0], rtol=1e-12)
    np.testing.assert_allclose(result.relative("revenue"), [-0.01, -0.3], rtol=1e-12)
    np.testing.assert_allclose(result.actual["visits"], [1100.0, 1000.0])  # blank keeps plan


def test_status_by_direction_tolerance_and_alert(shop_files) -> None:
    """Visits +10 % is ahead, cvr -10 % off track, revenue -1 % on track, price without change
    on track; in February cvr 1.4 % fires its alert (below 1.5 %)."""
    tree = kpitree.load(shop_files[0])
    result = tree.compare(kpitree.read_actuals(shop_files[1], tree))
    assert {name: statuses[0] for name, statuses in result.status.items()} == {
        "visits": "ahead",
        "cvr": "off track",
        "orders": "on track",
        "price": "on track",
        "revenue": "on track",
    }
    assert result.status["cvr"][1] == "off track"
    assert result.status["revenue"][1] == "off track"
    looser = tree.compare(kpitree.read_actuals(shop_files[1], tree), tolerance=0.5)
    assert looser.status["cvr"] == ("on track", "off track")  # the alert still fires in Feb


def test_directions_read_from_the_tree(write_tree) -> None:
    """A cost that lowers the KGI is better lower; a node that inputs move both ways has none."""
    tree = kpitree.loads(
        """
        name: d
        kgi: profit
        nodes:
          units: {value: 10}
          price: {value: 5}
          cost: {value: 2}
          revenue: {formula: units * price}
          spend: {formula: units * cost}
          profit: {formula: revenue - spend}
          unrelated: {value: 1}
          ratio: {formula: unrelated * 2}
        """
    )
    directions = good_directions(tree, tree.input_values())
    assert directions["cost"] == -1
    assert directions["spend"] == 0  # more units: more spend and more profit; more cost: less
    assert directions["revenue"] == 1
    assert directions["ratio"] == 0  # does not reach the KGI


def test_period_limits_the_report(shop_files, cli) -> None:
    """--period reports only the periods with actuals up to it."""
    status, out, _ = cli(
        "compare",
        shop_files[0],
        "--actuals",
        shop_files[1],
        "--period",
        "2027-01",
        "--format",
        "json",
    )
    assert status == 0
    data = json.loads(out)
    assert data["periods"] == ["2027-01"]
    revenue = next(row for row in data["rows"] if row["node"] == "revenue")
    assert (revenue["plan"], revenue["actual"], revenue["status"]) == (
        1000.0,
        pytest.approx(990.0),
        "on track",
    )


def test_plan_scenario_and_csv(write_tree, tmp_path, cli) -> None:
    """--plan compares with a scenario; CSV has one row per period and node."""
    tree = write_tree(SHOP + "scenarios:\n  big: {visits: 2000}\n")
    csv = write_csv(tmp_path, "period,cvr\n2027-01,2%\n")
    status, out, _ = cli("compare", tree, "--actuals", csv, "--plan", "big", "--format", "csv")
    assert status == 0
    lines = out.splitlines()
    assert lines[0] == "period,node,plan,actual,difference,relative,status,partial"
    assert "2027-01,revenue,2000.0,2000.0,0.0,0.0,on track,False" in lines
    assert len(lines) == 1 + 5


def test_table_names_off_track_count(shop_files, cli) -> None:
    """The table has one block per period, each saying how many nodes are off track."""
    status, out, _ = cli("compare", shop_files[0], "--actuals", shop_files[1])
    assert status == 0
    assert "shop at 2027-01: actual vs plan (1 off track)" in out
    assert "shop at 2027-02: actual vs plan (3 off track)" in out


def test_bad_tolerance_and_period(shop_files, cli) -> None:
    """A tolerance that is not a number, a negative one, or a period before the actuals: exit 2."""
    tree, csv = shop_files
    assert (
        cli("compare", tree, "--actuals", csv, "--tolerance", "x")[2]
        == "kpitree: --tolerance: 'x' is not a number\n"
    )
    assert (
        cli("compare", tree, "--actuals", csv, "--tolerance=-1%")[2]
        == "kpitree: tolerance must be 0 or more, found -0.01\n"
    )
    other = write_csv(csv.parent, "period,cvr\n2027-03,2%\n", "late.csv")
    err = cli("compare", tree, "--actuals", other, "--period", "2027-02")[2]
    assert (
        err
        == "kpitree: no actuals up to period 2027-02 (the first period with actuals is 2027-03)\n"
    )
