"""Targets per period and per quarter, stocks judged by their movement, lower-is-better status,
and numbers shown and read as people do; every expected number worked by hand."""

from __future__ import annotations

import json

import pytest

import kpitree
from kpitree.actuals import Actuals
from kpitree.analysis.alerts import AlertHit
from kpitree.analysis.status import Status, node_status, statuses, target_at
from kpitree.analysis.stocks import FLOW, RATE, STOCK, kind, stocks
from kpitree.node import Node
from kpitree.present.compare import plan_actual_cells
from kpitree.present.numbers import format_message, format_number

MONTHLY = """
name: m
kgi: customers
time: {periods: 6, unit: month, start: 2027-01}
nodes:
  leads: {value: 100, unit: leads/month, target: {2027-Q1: 330, 2027-06: 90}}
  rate: {value: [0.1, 0.2, 0.3, 0.3, 0.3, 0.3], unit: ratio, target: {2027-Q1: 0.2}}
  won: {formula: leads * rate, unit: customers/month, target: [null, 25, null, null, null, null]}
  customers: {formula: prev(customers) + won, initial: 1000, unit: customers,
              target: {2027-Q1: 1070}}
  arr: {formula: customers * 12, unit: JPY/year}
"""


def _actuals(tree: kpitree.Tree, values: dict[str, dict[int, float]]) -> Actuals:
    periods = tuple(sorted({index for column in values.values() for index in column})) or (0,)
    return Actuals(tree.name, "test", periods, values, tree.periods)


def test_quarterly_target_is_judged_on_the_quarter_roll_up() -> None:
    """Leads (a flow) sum to 300 over Q1 against 330: 9.1 % short, at risk, judged in March
    only; the rate's mean (0.1 + 0.2 + 0.3) / 3 = 0.2 meets 0.2; customers (a stock) end Q1 at
    1000 + 10 + 20 + 30 = 1060 against 1070: 10 short of the 70 asked, 14 %, off track."""
    tree = kpitree.loads(MONTHLY)
    evaluation = tree.evaluate()
    january, march = statuses(evaluation, "2027-01"), statuses(evaluation, "2027-03")
    assert january["leads"] is Status.NONE
    assert march["leads"] is Status.AT_RISK
    assert march["rate"] is Status.ON_TRACK
    assert march["customers"] is Status.OFF_TRACK
    assert target_at(tree, "leads", 2) == 330
    assert target_at(tree, "leads", 0) is None
    assert target_at(tree, "leads", 5) == 90
    assert tree.nodes["leads"].target == 90  # the last period's target, for solve and forecast


def test_per_period_list_target() -> None:
    """won = 100 x 0.2 = 20 in February against its target 25: 20 % short, off track; no
    target in the other months."""
    tree = kpitree.loads(MONTHLY)
    evaluation = tree.evaluate()
    assert statuses(evaluation, 2)["won"] is Status.OFF_TRACK
    assert statuses(evaluation, 3)["won"] is Status.NONE
    assert target_at(tree, "won", 1) == 25
    assert tree.nodes["won"].target is None


def test_stocks_flows_and_rates_are_told_apart() -> None:
    """customers reads its own prev (a stock), arr reads it in the same period (a stock), won
    counts per month (a flow), rate is a ratio."""
    tree = kpitree.loads(MONTHLY)
    assert stocks(tree) == {"customers", "arr"}
    assert [kind(tree, n) for n in ("customers", "won", "rate")] == [STOCK, FLOW, RATE]


def test_a_stock_on_track_in_level_is_off_track_in_change() -> None:
    """Plan: customers rise by 100 x 0.1 = 10 in January (1010); actual rate 0.06 makes 6
    (1006): the level is -0.4 % (on track) but the net new is -40 %, off track; JSON rows of
    stocks carry change_plan 10 and change_actual 6, others none."""
    tree = kpitree.loads(MONTHLY)
    result = tree.compare(_actuals(tree, {"rate": {0: 0.06}}))
    assert result.relative("customers")[0] == pytest.approx(-4 / 1010)
    assert result.judged_relative("customers")[0] == pytest.approx(-0.4)
    assert result.status["customers"] == ("off track",)
    assert result.status["arr"] == ("off track",)
    rows = {row["node"]: row for row in json.loads(json.dumps(result.to_dict()))["rows"]}
    assert rows["customers"]["change_plan"] == pytest.approx(10)
    assert rows["customers"]["change_actual"] == pytest.approx(6)
    assert rows["arr"]["change_plan"] == pytest.approx(120)  # 12 x 10, from 12,000
    assert "change_plan" not in rows["won"]


LOWER = """
name: l
kgi: profit
nodes:
  revenue: {value: 100}
  cost: {value: 40, target: 40, direction: lower}
  churn: {value: 0.02, target: 0.02, alert: {above: 0.05}}
  quality: {value: 0.5, target: 0.5, alert: {above: 0.9}, direction: higher}
  profit: {formula: revenue - cost - 100 * churn + quality}
"""


def test_lower_is_better_status_follows_direction() -> None:
    """cost (direction lower, target 40): 41 is 2.5 % over, at risk; 39 on track; quality's
    direction higher beats its alert above: 0.45 is 10 % under 0.5, at risk, 0.55 on track."""
    tree = kpitree.loads(LOWER)
    cost, quality = tree.nodes["cost"], tree.nodes["quality"]
    assert node_status(cost, 41.0) is Status.AT_RISK
    assert node_status(cost, 39.0) is Status.ON_TRACK
    assert node_status(cost, 45.0) is Status.OFF_TRACK
    assert node_status(quality, 0.45) is Status.AT_RISK
    assert node_status(quality, 0.55) is Status.ON_TRACK
    churn = tree.nodes["churn"]  # no direction: the alert above makes lower better, as before
    assert node_status(churn, 0.019) is Status.ON_TRACK


def test_compare_follows_a_given_direction() -> None:
    """cost 44 against 40 (direction lower) is 10 % worse: off track; 36 is ahead."""
    tree = kpitree.loads(LOWER)
    assert tree.compare(_actuals(tree, {"cost": {0: 44.0}})).status["cost"] == ("off track",)
    assert tree.compare(_actuals(tree, {"cost": {0: 36.0}})).status["cost"] == ("ahead",)


@pytest.mark.parametrize(("actual", "shown"), [(0.315, "+5.0 %"), (0.285, "-5.0 %")])
def test_tolerance_applies_to_the_value_as_shown(actual: float, shown: str) -> None:
    """0.315 against 0.3 is +0.050000000000000044 in floats and -5.0 % for 0.285: both read
    5.0 % and are on track at the 5 % tolerance; 0.3 -> 0.3153 (+5.1 %) is ahead."""
    tree = kpitree.loads("name: t\nkgi: y\nnodes:\n  x: {value: 0.3}\n  y: {formula: x}\n")
    result = tree.compare(_actuals(tree, {"x": {0: actual}}))
    assert result.status["x"] == ("on track",)
    assert kpitree.present.compare.format_percent(result.relative("x")[0]) == shown
    assert tree.compare(_actuals(tree, {"x": {0: 0.3153}})).status["x"] == ("ahead",)


def test_rates_show_enough_digits() -> None:
    """0.748 % keeps three figures; 1.20 % vs 1.25 % differ by +0.05 pp (not 1.2 % twice
    and +0.1 %)."""
    assert format_number(0.00748, "%") == "0.748 %"
    assert format_number(0.05, "%") == "5.0 %"
    assert format_number(0.153, "%") == "15.3 %"
    assert plan_actual_cells(0.012, 0.0125, "%") == ("1.20 %", "1.25 %", "+0.05 pp")
    # 9.5 % needs two decimals for three figures, so its pair and difference show two.
    assert plan_actual_cells(0.10, 0.095, "%") == ("10.00 %", "9.50 %", "-0.50 pp")


def test_messages_format_numbers_like_the_tables() -> None:
    """0.112779 reads 0.1128, 5,333,333.3 reads 5,333,333 and 1.72328e-15 reads 0."""
    low = AlertHit("ltv_cac", "2027-01", 0.112779, 0.15, "below", "finance")
    assert low.message() == "node 'ltv_cac' at 2027-01: 0.1128 is below 0.15 (owner: finance)"
    high = AlertHit("cost", None, 16e6 / 3, 5e6, "above", None)
    assert high.message() == "node 'cost': 5,333,333 is above 5,000,000"
    assert format_message(1.72328e-15, "ratio") == "0"
    near = AlertHit("sql_rate", None, 0.149996, 0.15, "below", None)
    assert near.message() == "node 'sql_rate': 0.149996 is below 0.15"  # never "0.15 below 0.15"
    assert format_message(9.5e-5, "%") == "0.0095 %"


def test_values_read_as_people_write_them() -> None:
    """value: 12% is 0.12, a scenario's '1,200' is 1200 and the API's override '15 %' is
    0.15 (evaluated: 0.15 x 1200 = 180)."""
    tree = kpitree.loads(
        "name: p\nkgi: y\nnodes:\n  r: {value: 12%}\n  n: {value: 1000}\n"
        "  y: {formula: r * n}\nscenarios:\n  s: {n: '1,200'}\n"
    )
    assert tree.nodes["r"].value == pytest.approx(0.12)
    assert tree.scenarios["s"]["n"] == 1200
    value = tree.evaluate(scenario="s", overrides={"r": "15 %"}).kgi_value
    assert value == pytest.approx(180)


@pytest.mark.parametrize(
    ("target", "message"),
    [
        (
            "{2027-Q3: 5}",
            "target '2027-Q3' covers 3 months, 0 of them in the tree (2027-01 .. 2027-06)",
        ),
        ("{2027: 5}", "target '2027' covers 12 months, 6 of them in the tree (2027-01 .. 2027-06)"),
        (
            "{foo: 5}",
            "target 'foo' is not a period of the tree (2027-01 .. 2027-06) nor a "
            "quarter or year of it",
        ),
        ("[1, 2]", "expected 6 targets (one per period, null for none), found 2"),
        (
            "{2027-03: 1, 2027-Q1: 2}",
            "targets '2027-03' and '2027-Q1' are both judged at 2027-03: give one",
        ),
        ("abc", "target must be a number, found 'abc' (12%, 1,200 and 1.2e6 are read)"),
    ],
)
def test_bad_targets_are_errors_at_their_line(write_tree, target: str, message: str) -> None:
    """Each bad target names the node and the file's line of its target."""
    path = write_tree(
        "name: b\nkgi: y\ntime: {periods: 6, unit: month, start: 2027-01}\nnodes:\n"
        f"  y:\n    value: 1\n    target: {target}\n"
    )
    with pytest.raises(kpitree.KpiTreeError) as error:
        kpitree.load(path)
    assert str(error.value) == f"{path}:7: node 'y': {message}"


def test_targets_by_period_need_a_timed_tree(write_tree, cli) -> None:
    """A static tree with a list target is refused with exit status 2."""
    path = write_tree("name: s\nkgi: y\nnodes:\n  y: {value: 1, target: [1]}\n")
    status, out, err = cli("eval", path)
    assert status == 2
    assert out == ""
    assert "node 'y': targets by period need a timed tree" in err


def test_static_node_status_keeps_today_rule() -> None:
    """A node built in Python with one target is judged against it (95 of 100: at risk)."""
    assert node_status(Node("x", value=1.0, target=100.0), 95.0) is Status.AT_RISK


def test_diagram_shows_the_target_of_the_period_drawn() -> None:
    """In March the leads box shows its Q1 target 330, in June its June target 90."""
    from kpitree.plots.tree_diagram import plot_tree

    tree = kpitree.loads(MONTHLY)
    march = [t.get_text() for t in plot_tree(tree, tree.evaluate(), period="2027-03").texts]
    june = [t.get_text() for t in plot_tree(tree, tree.evaluate(), period="2027-06").texts]
    assert "target 2027-Q1 330" in march
    assert "target 2027-06 90" in june


def test_compare_table_marks_stocks_and_shows_points(cli, write_tree, tmp_path) -> None:
    """A rate of 1.20 % against 1.25 % reads 1.20 %, 1.25 %, +0.05 pp; the stock customers
    (1000 + 100 x 1.2 % = 1001.2 plan, 1001.25 actual) is marked ~ with its net new +1.2 and
    +1.25, and its +4.2 % is of that change."""
    tree = write_tree(
        "name: c\nkgi: customers\ntime: {periods: 2, unit: month, start: 2027-01}\nnodes:\n"
        "  leads: {value: 100, unit: leads/month}\n  rate: {value: 1.2%, unit: '%'}\n"
        "  won: {formula: leads * rate, unit: customers/month}\n"
        "  customers: {formula: prev(customers) + won, initial: 1000, unit: customers}\n"
    )
    csv = tmp_path / "a.csv"
    csv.write_text("period,rate\n2027-01,1.25%\n", encoding="utf-8")
    status, out, _ = cli("compare", tree, "--actuals", csv)
    assert status == 0
    rate = next(line for line in out.splitlines() if line.startswith("  rate"))
    assert rate.split()[1:4] == ["1.20", "%", "1.25"]
    assert "+0.05 pp" in rate
    stock = next(line for line in out.splitlines() if "~customers" in line)
    assert stock.split()[-6:] == ["+1.2", "+1.25", "+4.2", "%", "on", "track"]


def test_report_lists_the_kgi_milestones(write_tree) -> None:
    """ARR = 12 x MRR, MRR from 100 up 10 a month: 1,560 at March against Q1's 1,600 is 40
    short of the 400 asked from 1,200 (10 %, at risk); 1,920 at June against Q2's 2,000 is
    80 short of the 440 asked from 1,560 (18 %, off track)."""
    from kpitree.report import build_report

    tree = kpitree.loads(
        "name: q\nkgi: arr\ntime: {periods: 12, unit: month, start: 2027-01}\nnodes:\n"
        "  new: {value: 10, unit: JPY/month}\n"
        "  mrr: {formula: prev(mrr) + new, initial: 100, unit: JPY/month}\n"
        "  arr: {formula: mrr * 12, target: {2027-Q1: 1600, 2027-Q2: 2000, 2027: 2600}}\n"
    )
    html = build_report(tree)
    kgi = html[html.index('<section id="kgi">') :]
    kgi = kgi[: kgi.index("</section>")]
    assert '<td>target 2027-Q1</td><td class="number">1,600 (reached 1,560: at risk)' in kgi
    assert '<td>target 2027-Q2</td><td class="number">2,000 (reached 1,920: off track)' in kgi
    assert "target 2027<" not in kgi  # the year's target is the last period's, shown once


def test_a_node_built_in_python_checks_its_targets() -> None:
    """A target that is no number is refused by Node; a label the tree lacks is a DataError
    naming the node when judged."""
    with pytest.raises(kpitree.KpiTreeError, match="node 'x': target 2027-Q1 must be a finite"):
        Node("x", value=1.0, targets=(("2027-Q1", float("nan")),))
    tree = kpitree.Tree(
        "p",
        "x",
        [Node("x", value=1.0, targets=(("2030-Q1", 1.0),))],
        time=kpitree.timeaxis.TimeAxis(3, "month", "2027-01"),
    )
    with pytest.raises(kpitree.KpiTreeError, match="node 'x': target '2030-Q1' covers 3 months"):
        target_at(tree, "x", 2)
