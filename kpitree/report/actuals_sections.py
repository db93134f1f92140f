"""The report's sections on actuals: plan vs actual (the KGI and the nodes off track) and the
attribution of the KGI's gap to the inputs. Both are left out when the report has no actuals.

The plan is the tree's own values, or the report's scenario (as ``kpitree compare --plan``);
``--set`` values do not change the plan.
"""

from __future__ import annotations

from pathlib import Path

from kpitree.analysis.compare import AHEAD, OFF_TRACK, ON_TRACK
from kpitree.plots.waterfall import plot_waterfall
from kpitree.present.compare import plan_actual_cells
from kpitree.present.numbers import format_number, format_percent, format_signed
from kpitree.report.context import Report
from kpitree.report.html import image, paragraph, section, table

TOP_CONTRIBUTIONS = 10
"""Inputs listed one by one in the attribution table (the waterfall shows as many)."""

STATUS_CSS = {OFF_TRACK: "off-track", ON_TRACK: "on-track", AHEAD: "on-track"}


def actuals_section(report: Report) -> str:
    """Plan against actual at the last period with actuals: the KGI and every node that is off
    track in a period with actuals, with the periods it is off track in."""
    if report.actuals is None:
        return ""
    tree = report.tree
    comparison = tree.compare(report.actuals, plan=report.scenario)
    labels = comparison.periods or (None,)
    last = len(labels) - 1
    off = {name: [label for label, status in zip(labels, statuses, strict=True)
                  if status == OFF_TRACK]
           for name, statuses in comparison.status.items()}  # fmt: skip
    names = [tree.kgi] + [name for name in tree.nodes if off[name] and name != tree.kgi]
    rows, classes = [], []
    stocks = bool(comparison.change_plan)
    for name in names:
        node = tree.nodes[name]
        plan = float(comparison.plan[name][last])
        actual = float(comparison.actual[name][last])
        status = comparison.status[name][last]
        change = (
            [format_signed(float(comparison.change_plan[name][last]), node.unit),
             format_signed(float(comparison.change_actual[name][last]), node.unit)]
            if name in comparison.change_plan else ["", ""]
        )[: 2 if stocks else 0]  # fmt: skip
        rows.append([
            name, node.owner or "", node.unit or "", *plan_actual_cells(plan, actual, node.unit),
            format_percent(float(comparison.judged_relative(name)[last])), *change, status,
            ", ".join(label or "yes" for label in off[name]) or "-",
        ])  # fmt: skip
        classes.append([None] * (9 if stocks else 7) + [STATUS_CSS.get(status), None])  # type: ignore[arg-type, list-item]
    when = labels[last]
    header = ["node", "owner", "unit", f"plan {when}" if when else "plan",
              f"actual {when}" if when else "actual", "difference", "%",
              *(["net new plan", "net new actual"] if stocks else []), "status",
              "off track in"]  # fmt: skip
    kgi = tree.nodes[tree.kgi]
    plan_kgi, actual_kgi = comparison.plan[tree.kgi][last], comparison.actual[tree.kgi][last]
    span = f" for {len(labels)} periods ({labels[0]} to {when})" if when else ""
    if when and len(labels) == 1:
        span = f" for {when}"
    plan_name = f"scenario {report.scenario}" if report.scenario else "the tree's values"
    summary = (
        f"Actuals from {Path(report.actuals.source).name}{span}, against the plan ({plan_name})."
        f" {kgi.title}{' at ' + when if when else ''}: actual "
        f"{format_number(actual_kgi, kgi.unit)} against plan {format_number(plan_kgi, kgi.unit)}"
        f" ({format_percent(float(comparison.relative(tree.kgi)[last]))}). "
        f"{sum(1 for name in tree.nodes if off[name])} nodes off track in at least one period."
    )
    tolerance = format_percent(comparison.tolerance).lstrip("+")
    note = (
        f"Off track: an alert fires, or worse than plan by more than {tolerance} (as shown) in "
        "the direction that helps the KGI. A stock (ARR, MRR, customers) is judged by its change "
        "over the period (net new) against the plan's change, and % is of that change. A "
        "difference of rates is in percentage points (pp). A derived node's actual is what the "
        "tree makes of the actual inputs (plan values where an input has no actual)."
    )
    numeric = [False] * 3 + [True] * (6 if stocks else 4) + [False, False]
    parts = [paragraph(summary, "verdict"), table(header, rows, numeric=numeric, classes=classes)]
    return section("Plan vs actual", *parts, paragraph(note, "meta"), anchor="actuals")


def attribution_section(report: Report) -> str:
    """The KGI's gap between plan and actual split into one contribution per input: waterfall,
    the largest contributions and the sum per owner."""
    if report.actuals is None:
        return ""
    tree = report.tree
    result = tree.attribute(report.actuals, plan=report.scenario)
    unit = tree.nodes[result.node].unit
    title = "Attribution of the gap"
    when = f" at {result.period}" if result.period else ""
    summary = (
        f"{tree.nodes[result.node].title}{when}: {result.base_label} "
        f"{format_number(result.base, unit)} -> {result.new_label} "
        f"{format_number(result.new, unit)} ({format_signed(result.delta, unit)}), split "
        f"exactly into {result.method.capitalize()} values over {len(result.changed)} inputs "
        "that changed; they add up to the gap."
    )
    if not result.changed:
        return section(title, paragraph(summary), anchor="attribution")
    top = result.changed[:TOP_CONTRIBUTIONS]
    rows = [
        [name, tree.nodes[name].owner or "", format_signed(result.contributions[name], unit),
         _share(result.contributions[name], result.delta)]
        for name in top
    ]  # fmt: skip
    rest = result.changed[TOP_CONTRIBUTIONS:]
    if rest:
        others = sum(result.contributions[name] for name in rest)
        rows.append([f"{len(rest)} other inputs", "", format_signed(others, unit),
                     _share(others, result.delta)])  # fmt: skip
    total = format_signed(result.delta, unit)
    rows.append(["total", "", total, _share(result.delta, result.delta)])
    owners = sorted(result.by_owner.items(), key=lambda item: -abs(item[1]))
    owner_rows = [[owner, format_signed(value, unit), _share(value, result.delta)]
                  for owner, value in owners]  # fmt: skip
    caption = (
        "From plan to actual, one bar per input's contribution, largest first. An input's "
        "state is its whole series: plan values, or actuals where there are some."
    )
    figure = plot_waterfall(result, top=TOP_CONTRIBUTIONS).figure
    return section(
        title,
        paragraph(summary, "verdict"),
        image(figure, f"Waterfall of {result.node} from plan to actual", caption),  # type: ignore[arg-type]
        table(["input", "owner", "contribution", "share"], rows,
              numeric=[False, False, True, True]),
        paragraph("By owner (the contributions of each owner's inputs added up):"),
        table(["owner", "contribution", "share"], owner_rows, numeric=[False, True, True]),
        anchor="attribution",
    )  # fmt: skip


def _share(value: float, delta: float) -> str:
    return f"{value / delta * 100:,.1f} %" if delta else "-"
