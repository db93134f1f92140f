"""``kpitree check`` as a terminal table: the alert lines, then the watched nodes' status."""

from __future__ import annotations

from kpitree.analysis.check_status import Check
from kpitree.present.compare import alerts_table, plan_actual_cells
from kpitree.present.numbers import format_percent, format_signed
from kpitree.present.table import render_table
from kpitree.render import register_layout


def check_table(check: Check) -> str:
    """The alert lines, then one row per watched node at the last period with actuals: plan,
    actual, a stock's (marked ``~``) change in plan and actual, the gap judged and status."""
    text = alerts_table(check)
    rows = []
    for row in check.status_rows():
        name = row["node"]
        node = check.tree.nodes[name]
        plan, actual, _ = plan_actual_cells(row["plan"], row["actual"], node.unit)
        stock = "change_plan" in row
        changes = (
            [format_signed(row["change_plan"], node.unit),
             format_signed(row["change_actual"], node.unit)]
            if stock else ["", ""]
        )  # fmt: skip
        marker = ("* " if name == check.tree.kgi else "  ") + ("~" if stock else "")
        relative = row["relative"]
        gap = "-" if relative is None else format_percent(relative)
        rows.append([marker + name, plan, actual, *changes, gap, row["status"]])
    if not rows:
        return text
    period = check.status_rows()[0]["period"]
    title = "Status" + (f" at {period}" if period else "") + " against plan"
    header = ["node", "plan", "actual", "change plan", "change actual", "gap", "status"]
    if any(row[0][2:3] == "~" for row in rows):
        title += " (~ stock: gap and status judged on its change over the period)"
        return (
            text + "\n" + render_table(header, rows, title=title, align="lrrrrrl", marked=0) + "\n"
        )
    # No stock watched: no change columns.
    rows = [[*row[:3], *row[5:]] for row in rows]
    table = render_table([*header[:3], *header[5:]], rows, title=title, align="lrrrl", marked=0)
    return text + "\n" + table + "\n"


register_layout(Check, table="kpitree.present.check:check_table")
