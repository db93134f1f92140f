"""The report's analysis and actuals sections: their numbers are the analyses' own (saas_arr)
and worked by hand (a static three-input shop), and they are left out when they do not apply."""

from __future__ import annotations

import math
import re

import pytest
from conftest import TREES

import kpitree
from kpitree.present.numbers import format_number, format_percent, format_signed
from kpitree.report import build_report
from kpitree.report.analysis_sections import cascade_levers
from kpitree.report.context import Report

SAMPLES = 500  # a small forecast keeps the module quick; the numbers are compared, not judged

SHOP = """
name: shop
kgi: revenue
nodes:
  visitors: {value: 1000, bounds: [0, 2000], owner: marketing, effort: 1}
  cvr: {value: 0.02, bounds: [0, 0.05], benchmark: [0.02, 0.04], owner: web, effort: 4}
  price: {value: 50, bounds: [0, null], owner: sales}
  revenue: {formula: visitors * cvr * price, target: 1500, owner: CEO}
"""
"""revenue = 1000 x 0.02 x 50 = 1000 against a target of 1500."""


def _section(html: str, anchor: str) -> str:
    start = html.index(f'<section id="{anchor}">')
    return html[start : html.index("</section>", start)]


def _rows(fragment: str) -> list[list[str]]:
    """Cell texts of every body row of the tables in ``fragment``."""
    return [
        re.findall(r"<td[^>]*>([^<]*)</td>", row)
        for row in re.findall(r"<tr><td.*?</tr>", fragment)
    ]


def _anchors(html: str) -> list[str]:
    return re.findall(r'<section id="(\w+)">', html)


@pytest.fixture(scope="module")
def saas() -> kpitree.Tree:
    """The saas_arr tree."""
    return kpitree.load(TREES / "saas_arr.yaml")


@pytest.fixture(scope="module")
def actuals(saas) -> kpitree.Actuals:
    """The saas_arr actuals for January to March."""
    return kpitree.read_actuals(TREES / "saas_arr_actuals.csv", saas)


@pytest.fixture(scope="module")
def saas_html(saas, actuals) -> str:
    """The saas_arr report with actuals (built once)."""
    return build_report(saas, actuals=actuals, samples=SAMPLES, seed=7)


@pytest.fixture(scope="module")
def shop_html() -> str:
    """The shop report without actuals."""
    return build_report(kpitree.loads(SHOP))


def test_sections_in_page_order_with_contents(saas_html) -> None:
    """With actuals every section is there in page order, and the contents link to each."""
    order = ["kgi", "tree", "alerts", "periods", "actuals", "attribution", "sensitivity",
             "bottleneck", "cascade", "forecast"]  # fmt: skip
    assert _anchors(saas_html) == order
    nav = saas_html[saas_html.index("<nav") : saas_html.index("</nav>")]
    assert re.findall(r'<a href="#(\w+)">', nav) == order
    assert saas_html.index("</nav>") < saas_html.index('<section id="kgi">')


def test_sensitivity_rows_are_the_analysis(saas, saas_html) -> None:
    """One row per upstream input in the analysis's order, with its elasticity and derivative;
    inputs the KGI ignores are named below the table."""
    result = saas.sensitivity()
    rows = _rows(_section(saas_html, "sensitivity"))
    upstream = [entry for entry in result.inputs if entry.upstream]
    assert [row[0] for row in rows] == [entry.name for entry in upstream]
    for row, entry in zip(rows, upstream, strict=True):
        assert row[5] == f"{entry.elasticity:+.3f}"
        assert row[6] == format_number(entry.derivative)
    assert "Not upstream of arr: sales_cost, gross_margin." in _section(saas_html, "sensitivity")
    assert 'alt="Tornado chart of arr"' in saas_html


def test_sensitivity_by_hand_on_a_product(shop_html) -> None:
    """revenue = visitors x cvr x price: every elasticity is 1 and each derivative is the
    product of the other two inputs (1, 50,000 and 20)."""
    rows = _rows(_section(shop_html, "sensitivity"))
    assert [(r[0], r[5], r[6]) for r in rows] == [
        ("visitors", "+1.000", "1"), ("cvr", "+1.000", "50,000"), ("price", "+1.000", "20"),
    ]  # fmt: skip


def test_bottleneck_rows_are_the_analysis(saas, saas_html) -> None:
    """The ranking, gains and ranks by gain per effort are the analysis's; sql_rate moves to
    the near edge of its benchmark, 11 %, and is the stalled stage (10 % against at least
    11 %)."""
    result = saas.bottlenecks()
    fragment = _section(saas_html, "bottleneck")
    rows = _rows(fragment)
    assert [row[1] for row in rows] == [lever.name for lever in result.ranking]
    by_effort = [lever.name for lever in result.by_effort]
    for row, lever in zip(rows, result.ranking, strict=True):
        assert row[6] == format_signed(lever.gain, "JPY/year")
        assert row[7] == format_percent(lever.gain_pct)
        assert row[10] == (str(by_effort.index(lever.name) + 1) if lever.effort else "")
    sql = next(row for row in rows if row[1] == "sql_rate")
    assert sql[2:6] == ["inside sales", "0.1", "0.11", "to benchmark"]
    assert "Stalled stage: sql_rate (inside sales) at 10.0 %, 9.1 % below" in fragment


def test_bottleneck_by_hand(shop_html) -> None:
    """cvr at the near edge of its 2-4 % benchmark steps 10 % (to 2.2 %), as visitors and
    price do: +100 each (file order); a move costs effort x |ln(to/from)|, so by gain per cost
    visitors (100 / ln 1.1 = 1,049) leads cvr (100 / (4 ln 1.1) = 262.3)."""
    rows = _rows(_section(shop_html, "bottleneck"))
    assert [(r[1], r[5], r[6], r[9], r[10]) for r in rows] == [
        ("visitors", "step 10 %", "+100", "+1,049", "1"),
        ("cvr", "step 10 %", "+100", "+262.3", "2"),
        ("price", "step 10 %", "+100", "", ""),
    ]


def test_cascade_uses_the_levers_with_effort(saas, saas_html) -> None:
    """saas_arr's inputs with an effort are solved with min-effort; the values shown are the
    solve's, and putting them in the tree reaches the 1.4 bn target."""
    levers, mode, _ = cascade_levers(Report(saas, saas.evaluate()))
    assert (levers, mode) == (["visit_cvr", "ad_budget", "sql_rate", "win_rate", "churn_rate"],
                              "min-effort")  # fmt: skip
    solution = saas.solve(levers, mode=mode)
    fragment = _section(saas_html, "cascade")
    shown = {row[0]: row[4] for row in _rows(fragment)[: len(levers)]}
    assert shown == {name: format_number(value) for name, value in solution.values.items()}
    reached = saas.evaluate(overrides=solution.values).kgi_value
    assert reached == pytest.approx(1.4e9, rel=1e-6)
    assert "ARR reaches its target 1,400,000,000 at 2027-12" in fragment
    goal = next(row for row in _rows(fragment) if row[1] == "arr")
    assert goal[2:6] == ["goal", "JPY/year", "1,308,900,607", "1,400,000,000"]


def test_cascade_min_effort_by_hand(shop_html) -> None:
    """Raising revenue by half costs 1 x ln 1.5 through visitors and 4 x ln 1.5 through cvr:
    visitors go to 1,500 and cvr stays; the department table shows only what moves."""
    fragment = _section(shop_html, "cascade")
    rows = _rows(fragment)
    assert rows[:2] == [
        ["visitors", "marketing", "", "1,000", "1,500", "+50.0 %", ""],
        ["cvr", "web", "", "0.02", "0.02", "", ""],
    ]
    assert [row[:3] for row in rows[2:]] == [["CEO", "revenue", "goal"],
                                             ["marketing", "visitors", "lever"]]  # fmt: skip
    assert "2 others keep their plan" in fragment


def test_cascade_without_effort_takes_top_bottlenecks_uniformly() -> None:
    """With no effort anywhere the top three bottleneck levers move by one common factor:
    f^3 = 1.5, f = 1.1447, so visitors 1,144.7, cvr 0.02289 and price 57.24."""
    tree = kpitree.loads(SHOP.replace(", effort: 1", "").replace(", effort: 4", ""))
    fragment = _section(build_report(tree), "cascade")
    factor = 1.5 ** (1 / 3)
    assert "top 3 bottleneck levers, same relative change" in fragment
    needed = {row[0]: row[4] for row in _rows(fragment)[:3]}
    assert needed == {
        "cvr": format_number(0.02 * factor),
        "visitors": format_number(1000 * factor),
        "price": format_number(50 * factor),
    }


def test_cascade_infeasible_says_so() -> None:
    """A target of 6,000 is out of reach: visitors at most 2,000 and cvr at most 0.05 give
    2,000 x 0.05 x 50 = 5,000, shown with both levers at their high bound."""
    tree = kpitree.loads(SHOP.replace("target: 1500", "target: 6000"))
    fragment = _section(build_report(tree), "cascade")
    assert "NOT FEASIBLE: within the levers&#x27; bounds revenue reaches at most 5,000" in fragment
    bounds = [row[6] for row in _rows(fragment)[:2]]
    assert bounds == ["at high bound [0, 2000]", "at high bound [0, 0.05]"]


def test_cascade_left_out_without_target() -> None:
    """A KGI without a target has no cascade section (and the rest is still there)."""
    html = build_report(kpitree.loads(SHOP.replace(", target: 1500", "")))
    assert "cascade" not in _anchors(html)
    assert "bottleneck" in _anchors(html)


def test_forecast_numbers_are_the_analysis(saas, saas_html) -> None:
    """P(target) and the last month's mean, sd and quantiles are the forecast's with the same
    samples and seed; the fan chart is there."""
    result = saas.forecast(samples=SAMPLES, seed=7)
    fragment = _section(saas_html, "forecast")
    assert result.p_target is not None
    error = math.sqrt(result.p_target * (1 - result.p_target) / SAMPLES)
    p_text = f"{result.p_target * 100:.1f} % (± {error * 100:.1f} %"
    assert f"P(arr ≥ 1,400,000,000 at 2027-12) = {p_text}" in fragment
    last = result.to_frame().iloc[-1]
    assert _rows(fragment) == [["2027-12", *(format_number(float(v)) for v in last)]]
    assert "500 paths, seed 7" in fragment
    assert 'alt="Fan chart of arr"' in fragment


def test_forecast_left_out_without_distributions(shop_html) -> None:
    """A tree with no uncertain input has no forecast section."""
    assert "forecast" not in _anchors(shop_html)


def test_same_seed_same_report(saas) -> None:
    """The default seed is fixed: two reports of the same tree are the same page."""
    assert build_report(saas, samples=200) == build_report(saas, samples=200)


def test_bad_samples_and_seed_refused(saas) -> None:
    """Fewer than 2 forecast paths or a negative seed is refused before anything is drawn."""
    with pytest.raises(kpitree.KpiTreeError, match="samples must be a whole number >= 2"):
        build_report(saas, samples=1)
    with pytest.raises(kpitree.KpiTreeError, match="seed must be a whole number >= 0"):
        build_report(saas, seed=-1)


def test_no_actuals_no_actual_sections(shop_html) -> None:
    """Without actuals there is no plan-vs-actual and no attribution section."""
    assert not {"actuals", "attribution"} & set(_anchors(shop_html))


def test_plan_vs_actual_is_the_comparison(saas, actuals, saas_html) -> None:
    """The KGI row and every node off track in a month with actuals, with the comparison's
    March numbers; sql_rate (9.5, 9 and 11.5 %, alert below 15 %) is off track in all three."""
    comparison = saas.compare(actuals)
    fragment = _section(saas_html, "actuals")
    rows = _rows(fragment)
    off = {name for name, _ in comparison.off_track}
    assert [row[0] for row in rows] == ["arr"] + [n for n in saas.nodes if n in off and n != "arr"]
    for row in rows:
        name, unit = row[0], saas.nodes[row[0]].unit
        plan, actual = comparison.plan[name][-1], comparison.actual[name][-1]
        assert row[3:7] == [format_number(plan, unit), format_number(actual, unit),
                            format_signed(actual - plan, unit),
                            format_percent(comparison.judged_relative(name)[-1])]  # fmt: skip
        assert row[9] == comparison.status[name][-1]
    sql_rate = next(row for row in rows if row[0] == "sql_rate")
    assert sql_rate[9:] == ["off track", "2027-01, 2027-02, 2027-03"]
    assert f"{len(off)} nodes off track in at least one period" in fragment


def test_attribution_is_the_analysis_and_adds_up(saas, actuals, saas_html) -> None:
    """Each changed input's contribution is the attribution's, largest first; the total row is
    actual minus plan of ARR at 2027-03 as the comparison gives it; owners add up the same."""
    result = saas.attribute(actuals)
    fragment = _section(saas_html, "attribution")
    rows = _rows(fragment)
    unit = "JPY/year"
    inputs = rows[: len(result.changed)]
    assert [row[0] for row in inputs] == result.changed
    assert [row[2] for row in inputs] == [
        format_signed(result.contributions[name], unit) for name in result.changed
    ]
    comparison = saas.compare(actuals)
    gap = comparison.actual["arr"][-1] - comparison.plan["arr"][-1]
    assert rows[len(result.changed)] == ["total", "", format_signed(gap, unit), "100.0 %"]
    owners = rows[len(result.changed) + 1 :]
    assert {row[0]: row[1] for row in owners} == {
        owner: format_signed(value, unit) for owner, value in result.by_owner.items()
    }
    assert 'alt="Waterfall of arr from plan to actual"' in fragment


def test_actual_sections_by_hand_on_a_static_tree(tmp_path) -> None:
    """Shop actuals visitors 1,100 and cvr 1.5 %: revenue 825 against 1,000; Shapley values
    visitors (100 + 75) / 2 = +87.5 and cvr (-250 - 275) / 2 = -262.5."""
    tree = kpitree.loads(SHOP)
    path = tmp_path / "actuals.csv"
    path.write_text("visitors,cvr\n1100,1.5%\n", encoding="utf-8")
    html = build_report(tree, actuals=kpitree.read_actuals(path, tree))
    rows = _rows(_section(html, "actuals"))
    assert rows[0] == ["revenue", "CEO", "", "1,000", "825", "-175", "-17.5 %", "off track", "yes"]
    assert ["cvr", "web", "", "0.02", "0.015", "-0.005", "-25.0 %", "off track", "yes"] in rows
    contributions = _rows(_section(html, "attribution"))
    assert contributions[:3] == [
        ["cvr", "web", "-262.5", "150.0 %"],
        ["visitors", "marketing", "+87.5", "-50.0 %"],
        ["total", "", "-175", "100.0 %"],
    ]
