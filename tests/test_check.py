"""``kpitree check`` exits 1 when an alert fires on actuals, 0 otherwise."""

from __future__ import annotations

from conftest import TREES
from test_actuals import SHOP, write_csv


def test_alert_fires_exit_1_with_node_period_value_threshold_owner(
    write_tree, tmp_path, cli
) -> None:
    """cvr 1.4 % in February is below 1.5 %: one line naming all five, exit status 1."""
    tree = write_tree(SHOP)
    csv = write_csv(tmp_path, "period,cvr\n2027-01,1.8%\n2027-02,1.4%\n")
    status, out, err = cli("check", tree, "--actuals", csv)
    assert (status, err) == (1, "")
    assert _alerts(out) == "ALERT node 'cvr' at 2027-02: 0.014 is below 0.015 (owner: marketing)"


def test_no_alert_exit_0(write_tree, tmp_path, cli) -> None:
    """Actuals that stay above the threshold give exit 0 and say how many periods were checked."""
    tree = write_tree(SHOP)
    csv = write_csv(tmp_path, "period,cvr\n2027-01,1.8%\n2027-02,1.5%\n")
    status, out, err = cli("check", tree, "--actuals", csv)
    assert (status, _alerts(out), err) == (0, "ok: no alert fired in 2 periods with actuals", "")


def test_periods_without_actuals_are_not_checked(write_tree, tmp_path, cli) -> None:
    """A plan value crossing the threshold after the last actual does not fire."""
    tree = write_tree(SHOP.replace("cvr: {value: 0.02,", "cvr: {value: [0.02, 0.02, 0.01, 0.01],"))
    csv = write_csv(tmp_path, "period,visits\n2027-01,900\n2027-02,900\n")
    assert cli("check", tree, "--actuals", csv)[0] == 0
    csv3 = write_csv(tmp_path, "period,visits\n2027-03,900\n", "march.csv")
    assert _alerts(cli("check", tree, "--actuals", csv3)[1]) == (
        "ALERT node 'cvr' at 2027-03: 0.01 is below 0.015 (owner: marketing)"
    )


def test_sample_actuals_fire_the_opportunity_rate_alert(cli) -> None:
    """The bundled saas_arr export: the opportunity rate is below 15 % in all three months."""
    status, out, _ = cli(
        "check", TREES / "saas_arr.yaml", "--actuals", TREES / "saas_arr_actuals.csv"
    )
    assert status == 1
    assert _alerts(out).splitlines() == [
        "ALERT node 'sql_rate' at 2027-01: 0.095 is below 0.15 (owner: inside sales)",
        "ALERT node 'sql_rate' at 2027-02: 0.09 is below 0.15 (owner: inside sales)",
        "ALERT node 'sql_rate' at 2027-03: 0.115 is below 0.15 (owner: inside sales)",
    ]


def test_unknown_plan_scenario(write_tree, tmp_path, cli) -> None:
    """--plan naming no scenario is bad input (exit 2)."""
    tree = write_tree(SHOP)
    csv = write_csv(tmp_path, "period,cvr\n2027-01,2%\n")
    status, _, err = cli("check", tree, "--actuals", csv, "--plan", "nope")
    assert (status, err) == (2, "kpitree: no scenario 'nope' (scenarios: none)\n")


def _alerts(out: str) -> str:
    """The alert lines of check's table, before its status table."""
    return out.split("\n\n")[0].rstrip("\n")
