"""``kpitree compare --by``: plan and actual rolled up over the periods with actuals."""

from __future__ import annotations

import json

import numpy as np
import pytest

import kpitree
from kpitree.analysis.compare import OFF_TRACK
from kpitree.analysis.compare_by import compare_by
from kpitree.errors import DataError

SAAS = "trees/saas_arr.yaml"
ACTUALS = "trees/saas_arr_actuals.csv"


def test_quarter_to_date_sums_flows_and_recomputes_rates_from_the_monthly_comparison() -> None:
    """Up to February, 2027-Q1 holds January and February: visits are their sum, the SQL rate
    is their SQLs over their MQLs and MRR is February's, in plan and in actual."""
    tree = kpitree.load(SAAS)
    actuals = kpitree.read_actuals(ACTUALS, tree)
    monthly = tree.compare(actuals, period="2027-02")
    rolled = compare_by(tree, actuals, "quarter", period="2027-02")
    assert rolled.comparison.periods == ("2027-Q1",)
    assert rolled.partial == {"2027-Q1": ("2027-01", "2027-02")}
    got = rolled.comparison
    for side in ("plan", "actual"):
        month, quarter = getattr(monthly, side), getattr(got, side)
        assert quarter["visits"][0] == pytest.approx(month["visits"].sum())
        sql_rate = month["sql"].sum() / month["mql"].sum()
        assert quarter["sql_rate"][0] == pytest.approx(sql_rate, rel=1e-12)
        assert quarter["mrr"][0] == pytest.approx(month["mrr"][-1])
    assert got.actual["visits"][0] == pytest.approx(18_450 + 16_200)


def test_the_rolled_up_status_is_judged_like_a_period() -> None:
    """The quarter's SQL rate is below the 15 % alert line: off track, as in each month."""
    tree = kpitree.load(SAAS)
    rolled = compare_by(tree, kpitree.read_actuals(ACTUALS, tree), "quarter")
    assert rolled.partial == {}
    assert rolled.comparison.status["sql_rate"] == (OFF_TRACK,)
    actual = rolled.comparison.actual
    np.testing.assert_allclose(actual["won"], [actual["new_mrr"][0] / actual["new_arpu"][0]])


def test_cli_compare_by_json_and_table(cli, tmp_path) -> None:
    """JSON is compare's with bucket labels as periods plus by and partial; the table says
    which periods a partial bucket was compared on."""
    status, out, _ = cli("compare", SAAS, "--actuals", ACTUALS, "--by", "fiscal-year",
                           "--format", "json")  # fmt: skip
    assert status == 0
    data = json.loads(out)
    assert data["periods"] == ["FY2027"]
    assert data["by"] == "fiscal-year"
    assert data["partial"] == ["FY2027"]
    assert {row["node"] for row in data["rows"]} == set(kpitree.load(SAAS).nodes)
    status, out, _ = cli("compare", SAAS, "--actuals", ACTUALS, "--by", "year")
    assert status == 0
    assert "saas_arr at 2027: actual vs plan" in out
    assert "2027: partial, compared on 2027-01 to 2027-03 (3 with actuals)" in out
    status, out, _ = cli("compare", SAAS, "--actuals", ACTUALS, "--by", "year", "--format",
                           "csv")  # fmt: skip
    assert out.splitlines()[0].startswith("period,partial,node,plan,actual")
    assert out.splitlines()[1].startswith("2027,True,visits,")


def test_compare_by_on_a_static_tree_is_refused(write_tree) -> None:
    """A static tree has no periods to roll up."""
    path = write_tree("name: s\nkgi: a\nnodes:\n  a: {value: 1}\n")
    (path.parent / "a.csv").write_text("period,a\n1,2\n", encoding="utf-8")
    tree = kpitree.load(path)
    actuals = kpitree.read_actuals(path.parent / "a.csv", tree)
    with pytest.raises(DataError, match="tree 's' is static"):
        compare_by(tree, actuals, "year")
