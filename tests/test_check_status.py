"""check judges stocks by their movement: the net-new case of issue 12 (ARR 0.7 % short in
level, 11 % short in net new) is off track in check as in compare. Numbers worked by hand."""

from __future__ import annotations

import json

import pytest
from test_actuals import write_csv

NET_NEW = """
name: netnew
kgi: arr
time: {periods: 2, unit: month, start: 2027-01}
nodes:
  new_mrr: {value: 70_000, unit: JPY/month, owner: field sales}
  mrr: {formula: prev(mrr) + new_mrr, initial: 1_000_000, unit: JPY/month}
  arr: {formula: mrr * 12, unit: JPY/year, owner: CRO}
"""


def test_net_new_eleven_percent_short_is_off_track_in_check_json(write_tree, tmp_path, cli) -> None:
    """New MRR 62,300 against 70,000 (-11 %): ARR 12,747,600 against 12,840,000 is -0.72 %
    in level, but its change 747,600 against 840,000 is -11 %: off track; no alert, exit 0."""
    tree = write_tree(NET_NEW)
    csv = write_csv(tmp_path, "period,new_mrr\n2027-01,62300\n")
    status, out, err = cli("check", tree, "--actuals", csv, "--format", "json")
    assert (status, err) == (0, "")
    data = json.loads(out)
    assert data["alerts"] == []
    (row,) = data["status"]
    assert row["node"] == "arr"
    assert row["period"] == "2027-01"
    assert row["plan"] == pytest.approx(12_840_000)
    assert row["actual"] == pytest.approx(12_747_600)
    assert (row["actual"] - row["plan"]) / row["plan"] == pytest.approx(-0.0072, abs=1e-4)
    assert row["change_plan"] == pytest.approx(840_000)
    assert row["change_actual"] == pytest.approx(747_600)
    assert row["relative"] == pytest.approx(-0.11)
    assert row["status"] == "off track"


def test_check_table_shows_level_change_and_verdict(write_tree, tmp_path, cli) -> None:
    """The table row of ARR (a stock, ~) shows both levels, both changes, -11.0 % and off
    track."""
    tree = write_tree(NET_NEW)
    csv = write_csv(tmp_path, "period,new_mrr\n2027-01,62300\n")
    _, out, _ = cli("check", tree, "--actuals", csv)
    (line,) = [line for line in out.splitlines() if "arr" in line]
    for cell in ("12,840,000", "12,747,600", "+840,000", "+747,600", "-11.0 %", "off track"):
        assert cell in line
    assert "Status at 2027-01 against plan" in out


def test_a_non_stock_is_judged_on_its_value(write_tree, tmp_path, cli) -> None:
    """A node with a target that is a flow (new_mrr, 62,300 against 70,000: -11 %) has no
    change columns and is off track on its value."""
    tree = write_tree(NET_NEW.replace("owner: field sales}", "owner: field sales, target: 1}"))
    csv = write_csv(tmp_path, "period,new_mrr\n2027-01,62300\n")
    _, out, _ = cli("check", tree, "--actuals", csv, "--format", "json")
    rows = {row["node"]: row for row in json.loads(out)["status"]}
    assert "change_plan" not in rows["new_mrr"]
    assert rows["new_mrr"]["relative"] == pytest.approx(-0.11)
    assert rows["new_mrr"]["status"] == "off track"
