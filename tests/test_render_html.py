"""render(result, "html") shows the terminal's tables: the same headers and formatted cells,
the goal/lever/stock gutter in a column of its own, status colours, notes as paragraphs, and
the frame for a result with no text layout."""

from __future__ import annotations

import pandas as pd

import kpitree
from kpitree.render import render
from tests.conftest import TREES
from tests.html_tables import tables

SHOP = """
name: shop
kgi: revenue
nodes:
  visitors: {value: 1000, unit: visits, owner: "<b>marketing</b>"}
  cvr: {value: 0.025, unit: "%", owner: web}
  price: {value: 40, unit: JPY, owner: sales}
  revenue: {formula: visitors * cvr * price, unit: JPY, target: 1500, owner: CEO}
"""
"""revenue = 1000 x 2.5 % x 40 = 1000 JPY against a target of 1500."""


def _html(result: object) -> str:
    text = render(result, "html")
    assert isinstance(text, str)
    return text


def test_evaluation_cells_are_the_terminals_with_units() -> None:
    """The evaluation's HTML table has the terminal's columns and cells: a rate in % (2.5 %),
    thousands separated, the goal marked * in a gutter column and its row bold."""
    html = _html(kpitree.loads(SHOP).evaluate())
    (table,) = tables(html)
    assert table.header == ["", "node", "unit", "owner", "value"]
    assert table.cells == [
        ["", "visitors", "visits", "<b>marketing</b>", "1,000"],
        ["", "cvr", "%", "web", "2.5 %"],
        ["", "price", "JPY", "sales", "40"],
        ["*", "revenue", "JPY", "CEO", "1,000"],
    ]
    assert all("goal" in names for names in table.classes[3])
    assert all("mark" in row[0] and "mark" not in row[1] for row in table.classes)
    assert not any("goal" in names for row in table.classes[:3] for names in row)
    assert "&lt;b&gt;marketing&lt;/b&gt;" in html  # the owner is text, not markup
    assert "<b>" not in html
    text = render(kpitree.loads(SHOP).evaluate(), "table")
    assert isinstance(text, str)
    assert "* revenue" in text  # the terminal keeps its gutter


def test_comparison_marks_stocks_and_colours_status(write_tree, tmp_path) -> None:
    """A stock is marked ~ in the gutter (with * for a goal that is one); off track and
    ahead cells get the status colours' classes; the legend's lines stay lines of a note."""
    path = write_tree(
        """
        name: t
        kgi: base
        time: {periods: 2, unit: month, start: 2027-01}
        nodes:
          new: {value: 10, owner: sales}
          base: {formula: prev(base) + new, initial: 100, owner: ceo}
        """
    )
    tree = kpitree.load(path)
    actuals = tmp_path / "actuals.csv"
    actuals.write_text("period,new\n2027-01,5\n2027-02,20\n", encoding="utf-8")
    html = _html(tree.compare(kpitree.read_actuals(actuals, tree)))
    january, february = tables(html)
    assert january.title.startswith("t at 2027-01: actual vs plan")
    rows = {row["node"]: row for row in january.rows}
    assert rows["base"][""] == "* ~"
    assert rows["new"][""] == ""
    # new: 5 against 10 is -50 %, off track; in February 20 against 10 is ahead.
    assert (rows["new"]["actual"], rows["new"]["%"], rows["new"]["status"]) == (
        "5", "-50.0 %", "off track",
    )  # fmt: skip
    status_at = january.header.index("status")
    assert "off-track" in january.classes[0][status_at]
    assert {row["node"]: row["status"] for row in february.rows}["new"] == "ahead"
    assert "on-track" in february.classes[0][status_at]
    assert "<br>~ a stock: judged by its change over the period" in html  # the legend's lines


def test_indented_note_lines_are_a_list() -> None:
    """The bottleneck's alert lines, indented under their heading in the terminal, are the
    items of a list after a paragraph; the wrapped legend above is one paragraph."""
    tree = kpitree.load(TREES / "saas_arr.yaml")
    html = _html(tree.bottlenecks())
    assert (
        '<p class="note">Alerts at base values:</p>\n<ul class="note"><li>sql_rate: below' in html
    )
    assert "<li> " not in html
    assert "near edge<br>(to benchmark); otherwise" in html


def test_a_result_without_a_text_layout_shows_its_frame() -> None:
    """An object with only the result contract (to_frame) is shown as its frame's table."""

    class Plain:
        def to_frame(self) -> pd.DataFrame:
            return pd.DataFrame({"node": ["a", "b"], "value": [1.5, 2500.0]}).set_index("node")

        def to_dict(self) -> dict[str, object]:
            return {}

    (table,) = tables(_html(Plain()))
    assert table.header == ["node", "value"]
    assert table.cells == [["a", "1.5"], ["b", "2,500"]]


def test_status_colours_are_the_tree_diagrams() -> None:
    """A result's own page colours status cells as the tree diagram and the report do."""
    from kpitree.analysis.status import Status
    from kpitree.plots.tree_diagram import COLOURS
    from kpitree.present.html import PAGE_STYLE, STATUS_FILLS
    from kpitree.report.html import STATUS_CLASSES

    judged = [Status.ON_TRACK, Status.AT_RISK, Status.OFF_TRACK]
    assert {STATUS_CLASSES[status]: COLOURS[status] for status in judged} == STATUS_FILLS
    assert "td.off-track { background: #f9d0d0;" in PAGE_STYLE


def test_check_page_has_alert_notes_and_a_marked_status_table(cli) -> None:
    """check --format html: the alert lines are notes (not a heading) under the result's
    title, and the status table has the gutter: ARR, the goal and a stock, is '* ~'."""
    status, out, _ = cli("check", TREES / "saas_arr.yaml", "--actuals",
                         TREES / "saas_arr_actuals.csv", "--format", "html")  # fmt: skip
    assert status == 1  # sql_rate's alert fires
    assert (
        '<h3>Check of saas_arr (arr)</h3>\n<p class="note">ALERT node &#x27;sql_rate&#x27;' in out
    )
    (table,) = tables(out)
    assert table.title.startswith("Status at 2027-03 against plan")
    rows = {row["node"]: row for row in table.rows}
    assert rows["arr"][""] == "* ~"
    assert (rows["sql_rate"]["gap"], rows["sql_rate"]["status"]) == ("+15.0 %", "off track")


def test_a_solve_verdict_heads_its_details() -> None:
    """A solve's first line (its verdict) is the heading, its indented details a list, and
    no generic title is added above it."""
    solution = kpitree.load(TREES / "saas_arr.yaml").solve(["win_rate"])
    html = render(solution, "html", page=False)
    assert isinstance(html, str)
    assert html.startswith(
        '<div class="kpitree-result"><h4>saas_arr: ARR (arr) target 1,400,000,000 JPY/year at '
        '2027-12: feasible</h4>\n<ul class="note"><li>reached 1,400,000,000 JPY/year'
    )
    assert "<h3>" not in html
