"""The report's analysis and actuals sections: their numbers are the analyses' own (saas_arr)
and worked by hand (a static three-input shop), and they are left out when they do not apply."""

from __future__ import annotations

import math
import re

import pytest
from conftest import TREES
from html_tables import tables

import kpitree
from kpitree.present.numbers import format_number, format_signed
from kpitree.render import render
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


def _table(fragment: str, number: int = 0) -> list[dict[str, str]]:
    """The body rows of table ``number`` in ``fragment``, each a mapping of header to cell."""
    return tables(fragment)[number].rows


def _rendered(result) -> str:
    """What the one renderer makes of ``result`` for a page: the report must hold it as is."""
    text = render(result, "html", page=False)
    assert isinstance(text, str)
    return text


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
    """The table is the renderer's of the sensitivity: one row per input in the analysis's
    order with its elasticity; inputs the KGI ignores are also named below the table."""
    result = saas.sensitivity()
    fragment = _section(saas_html, "sensitivity")
    assert _rendered(result) in fragment
    rows = _table(fragment)
    assert [row["input"] for row in rows] == [entry.name for entry in result.inputs]
    for row, entry in zip(rows, result.inputs, strict=True):
        assert row["elasticity"] == (f"{entry.elasticity:+.3f}" if entry.upstream else "0")
        assert row["dKGI/dinput"] == format_number(entry.derivative)
        assert row["value"] == format_number(entry.mean_value, entry.unit)
    assert "Not upstream of arr: sales_cost, gross_margin." in fragment
    assert 'alt="Tornado chart of arr"' in saas_html


def test_sensitivity_by_hand_on_a_product(shop_html) -> None:
    """revenue = visitors x cvr x price: every elasticity is 1 and each derivative is the
    product of the other two inputs (1, 50,000 and 20)."""
    rows = _table(_section(shop_html, "sensitivity"))
    assert [(r["input"], r["elasticity"], r["dKGI/dinput"]) for r in rows] == [
        ("visitors", "+1.000", "1"), ("cvr", "+1.000", "50,000"), ("price", "+1.000", "20"),
    ]  # fmt: skip


def test_bottleneck_rows_are_the_analysis(saas, saas_html) -> None:
    """The table is the renderer's of the ranking; sql_rate moves to the near edge of its
    benchmark, 11 %, and is the stalled stage (10 % against at least 11 %)."""
    result = saas.bottlenecks()
    fragment = _section(saas_html, "bottleneck")
    assert _rendered(result) in fragment
    rows = _table(fragment)
    assert [row["lever"] for row in rows] == [lever.name for lever in result.ranking]
    assert [row["#"] for row in rows] == [str(rank) for rank in range(1, len(rows) + 1)]
    sql = next(row for row in rows if row["lever"] == "sql_rate")
    assert (sql["owner"], sql["from"], sql["to"], sql["move"]) == (
        "inside sales", "0.1", "0.11", "to benchmark",
    )  # fmt: skip
    assert "Stalled stage: sql_rate (inside sales) at 10.0 %, 9.1 % below" in fragment


def test_bottleneck_by_hand(shop_html) -> None:
    """cvr at the near edge of its 2-4 % benchmark steps 10 % (to 2.2 %), as visitors and
    price do: +100 each (file order); a move costs effort x |ln(to/from)|, so by gain per cost
    visitors (100 / ln 1.1 = 1,049) leads cvr (100 / (4 ln 1.1) = 262.3)."""
    fragment = _section(shop_html, "bottleneck")
    rows = _table(fragment)
    assert [(r["lever"], r["to"], r["gain"], r["gain %"]) for r in rows] == [
        ("visitors", "1,100", "+100.00", "+10.0 %"),
        ("cvr", "0.022", "+100.00", "+10.0 %"),
        ("price", "55", "+100.00", "+10.0 %"),
    ]
    by_effort = tables(fragment)[1]  # price has no effort: it is not ranked by cost
    assert by_effort.title.startswith("By gain per effort")
    assert [(r["lever"], r["gain"], r["gain / cost"]) for r in by_effort.rows] == [
        ("visitors", "+100", "+1,049"), ("cvr", "+100", "+262.3"),
    ]  # fmt: skip


def test_cascade_uses_the_levers_with_effort(saas, saas_html) -> None:
    """saas_arr's inputs with an effort are solved with min-effort; the tables are the
    renderer's of the solution (levers, then the cascade by department, goal * and levers >)
    and the values reach the 1.4 bn target."""
    levers, mode, _ = cascade_levers(Report(saas, saas.evaluate()))
    assert (levers, mode) == (["visit_cvr", "ad_budget", "sql_rate", "win_rate", "churn_rate"],
                              "min-effort")  # fmt: skip
    solution = saas.solve(levers, mode=mode)
    fragment = _section(saas_html, "cascade")
    assert _rendered(solution) in fragment
    levers = tables(fragment)[0]
    assert levers.title == "Levers"
    shown = {row["lever"]: row["needed"] for row in levers.rows}
    units = {name: saas.nodes[name].unit for name in shown}
    assert shown == {name: format_number(v, units[name]) for name, v in solution.values.items()}
    reached = saas.evaluate(overrides=solution.values).kgi_value
    assert reached == pytest.approx(1.4e9, rel=1e-6)
    assert "ARR reaches its target 1,400,000,000 at 2027-12" in fragment
    departments = tables(fragment)[1]
    assert departments.title.startswith("Targets by department")
    goal = next(row for row in departments.rows if row["node"] == "arr")
    assert (goal[""], goal["plan 2027-12"], goal["target 2027-12"]) == (
        "*", "1,308,900,607", "1,400,000,000",
    )  # fmt: skip
    assert {row["node"] for row in departments.rows if row[""] == ">"} == set(shown)


def test_cascade_min_effort_by_hand(shop_html) -> None:
    """Raising revenue by half costs 1 x ln 1.5 through visitors and 4 x ln 1.5 through cvr:
    visitors go to 1,500 and cvr stays; revenue's target is 1,500."""
    fragment = _section(shop_html, "cascade")
    levers = _table(fragment, 0)
    assert [(r["lever"], r["now"], r["needed"], r["change"]) for r in levers] == [
        ("visitors", "1,000", "1,500", "+50.0 %"), ("cvr", "0.02", "0.02", ""),
    ]  # fmt: skip
    targets = {row["node"]: (row["plan"], row["target"]) for row in _table(fragment, 1)}
    assert targets["revenue"] == ("1,000", "1,500")
    assert targets["price"] == ("50", "50")
    assert len(tables(fragment)) == 2  # the cascade is shown once, inside the solution


def test_cascade_without_effort_takes_top_bottlenecks_uniformly() -> None:
    """With no effort anywhere the top three bottleneck levers move by one common factor:
    f^3 = 1.5, f = 1.1447, so visitors 1,144.7, cvr 0.02289 and price 57.24."""
    tree = kpitree.loads(SHOP.replace(", effort: 1", "").replace(", effort: 4", ""))
    fragment = _section(build_report(tree), "cascade")
    factor = 1.5 ** (1 / 3)
    assert "top 3 bottleneck levers, same relative change" in fragment
    needed = {row["lever"]: row["needed"] for row in _table(fragment, 0)}
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
    levers = _table(fragment, 0)
    assert [(r["needed"], r["bound"]) for r in levers] == [
        ("2,000", "at high bound [0, 2,000]"), ("0.05", "at high bound [0, 0.05]"),
    ]  # fmt: skip


def test_cascade_left_out_without_target() -> None:
    """A KGI without a target has no cascade section (and the rest is still there)."""
    html = build_report(kpitree.loads(SHOP.replace(", target: 1500", "")))
    assert "cascade" not in _anchors(html)
    assert "bottleneck" in _anchors(html)


def test_forecast_numbers_are_the_analysis(saas, saas_html) -> None:
    """P(target) and the table (the renderer's of the forecast, every month) are the
    forecast's with the same samples and seed; the fan chart is there."""
    result = saas.forecast(samples=SAMPLES, seed=7)
    fragment = _section(saas_html, "forecast")
    assert result.p_target is not None
    error = math.sqrt(result.p_target * (1 - result.p_target) / SAMPLES)
    p_text = f"{result.p_target * 100:.1f} % (± {error * 100:.1f} %"
    assert f"P(arr ≥ 1,400,000,000 at 2027-12) = {p_text}" in fragment
    assert _rendered(result) in fragment
    last = result.to_frame().iloc[-1]
    assert _rows(fragment)[-1] == ["2027-12", *(format_number(float(v)) for v in last)]
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
    """The table is the renderer's of the comparison at the last month with actuals (every
    node); sql_rate (9.5, 9 and 11.5 %, alert below 15 %) is named off track in all three."""
    comparison = saas.compare(actuals)
    fragment = _section(saas_html, "actuals")
    assert _rendered(comparison.only(["2027-03"])) in fragment
    (table,) = tables(fragment)
    assert table.title.startswith("saas_arr at 2027-03: actual vs plan")
    rows = table.rows
    assert [row["node"] for row in rows] == list(saas.nodes)
    for row in rows:
        name, unit = row["node"], saas.nodes[row["node"]].unit
        assert row["plan"] == format_number(float(comparison.plan[name][-1]), unit)
        assert row["actual"] == format_number(float(comparison.actual[name][-1]), unit)
        assert row["status"] == comparison.status[name][-1]
        stock = name in comparison.change_plan
        assert row[""] == ("* " if name == saas.kgi else "") + ("~" if stock else "")
    marks = {row["node"]: row[""] for row in rows}
    assert (marks["arr"], marks["mrr"], marks["visits"]) == ("* ~", "~", "")
    assert "sql_rate (2027-01, 2027-02, 2027-03)" in fragment
    off = {name for name, _ in comparison.off_track}
    assert f"{len(off)} nodes off track in at least one period" in fragment


def test_attribution_is_the_analysis_and_adds_up(saas, actuals, saas_html) -> None:
    """The table is the renderer's of the attribution; the contributions add up to actual
    minus plan of ARR at 2027-03 as the comparison gives it; the owners' sums are named."""
    result = saas.attribute(actuals)
    fragment = _section(saas_html, "attribution")
    assert _rendered(result) in fragment
    comparison = saas.compare(actuals)
    gap = comparison.actual["arr"][-1] - comparison.plan["arr"][-1]
    assert sum(result.contributions.values()) == pytest.approx(gap, rel=1e-9)
    rows = _table(fragment)
    assert rows[-1] == {"input": "total", "owner": "", "contribution": format_signed(gap),
                        "share": ""}  # fmt: skip
    shown = {row["input"]: row["contribution"] for row in rows[:-1]}
    assert shown == {name: format_signed(result.contributions[name]) for name in result.changed}
    assert all(v == 0 for name, v in result.contributions.items() if name not in shown)
    by_owner = {row["owner"]: row["contribution"] for row in _table(fragment, 1)}
    assert by_owner == {owner: format_signed(v) for owner, v in result.by_owner.items()}
    for owner in result.by_owner:
        assert f"{owner} " in fragment
    assert 'alt="Waterfall of arr from plan to actual"' in fragment


def test_actual_sections_by_hand_on_a_static_tree(tmp_path) -> None:
    """Shop actuals visitors 1,100 and cvr 1.5 %: revenue 825 against 1,000; Shapley values
    visitors (100 + 75) / 2 = +87.5 and cvr (-250 - 275) / 2 = -262.5."""
    tree = kpitree.loads(SHOP)
    path = tmp_path / "actuals.csv"
    path.write_text("visitors,cvr\n1100,1.5%\n", encoding="utf-8")
    html = build_report(tree, actuals=kpitree.read_actuals(path, tree))
    rows = {row["node"]: row for row in _table(_section(html, "actuals"))}
    revenue, cvr = rows["revenue"], rows["cvr"]
    assert (revenue["plan"], revenue["actual"], revenue["status"]) == ("1,000", "825", "off track")
    assert (revenue["difference"], revenue["%"]) == ("-175", "-17.5 %")
    assert (cvr["actual"], cvr["difference"], cvr["status"]) == ("0.015", "-0.005", "off track")
    assert (revenue[""], cvr[""]) == ("*", "")
    contributions = {
        row["input"]: row["contribution"] for row in _table(_section(html, "attribution"))
    }
    assert contributions == {"visitors": "+87.5", "cvr": "-262.5", "total": "-175"}


def test_script_in_tree_text_is_escaped_in_every_section(tmp_path) -> None:
    """A label, owner and unit of <script> are shown as text in every section (the tables
    come from the renderer with escaping on): the page holds no script element at all."""
    evil = "<script>alert(1)</script>"
    tree = kpitree.loads(
        f"""
name: evil
description: "{evil}"
kgi: revenue
time: {{periods: 3, unit: month, start: 2027-01}}
nodes:
  visitors: {{value: 1000, bounds: [0, 2000], owner: "{evil}", unit: "{evil}", effort: 1,
             label: "{evil}", distribution: {{dist: normal, mean: 1000, sd: 50}}}}
  cvr: {{value: 0.02, bounds: [0, 0.05], benchmark: [0.02, 0.04], owner: "{evil}", effort: 4,
        alert: {{below: 0.021}}}}
  revenue: {{formula: visitors * cvr * 50, target: 1500, owner: "{evil}", label: "{evil}"}}
"""
    )
    path = tmp_path / "actuals.csv"
    path.write_text("period,visitors,cvr\n2027-01,1100,1.5%\n", encoding="utf-8")
    html = build_report(tree, actuals=kpitree.read_actuals(path, tree), samples=100)
    anchors = _anchors(html)
    expected = {"kgi", "tree", "alerts", "periods", "actuals", "attribution", "sensitivity",
                "bottleneck", "cascade", "forecast"}  # fmt: skip
    assert set(anchors) == expected
    assert "<script" not in html.lower()
    for anchor in set(anchors) - {"tree", "forecast"}:  # those two show no owner or label
        assert "&lt;script&gt;" in _section(html, anchor), anchor
