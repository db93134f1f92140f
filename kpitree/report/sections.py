"""The report's sections, in order: each a function ``(Report) -> str`` returning an HTML
fragment (``""`` to leave the section out).

A section calls the analyses it shows through the public API and renders the result with
:mod:`kpitree.report.html`; to add one, write the function and append it to :data:`SECTIONS`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import networkx as nx
import numpy as np

from kpitree import __version__
from kpitree.analysis.alert_list import Alerts
from kpitree.analysis.alerts import check_alerts
from kpitree.analysis.status import (
    MARGIN,
    Status,
    final_judgement,
    judged_value,
    node_status,
    statuses,
)
from kpitree.analysis.stocks import level_before, stocks
from kpitree.facade import Tree
from kpitree.plots.tree_diagram import plot_tree
from kpitree.present.numbers import format_number, format_percent, format_share, format_signed
from kpitree.report.actuals_sections import actuals_section, attribution_section
from kpitree.report.analysis_sections import (
    bottleneck_section,
    cascade_section,
    forecast_section,
    sensitivity_section,
)
from kpitree.report.context import Report, Section
from kpitree.report.html import (
    STATUS_CLASSES,
    badge,
    escape,
    image,
    paragraph,
    result_table,
    section,
    table,
)
from kpitree.rollup import partial_note
from kpitree.targets import milestones


def title_section(report: Report) -> str:
    """Tree name, KGI, description and what was evaluated."""
    tree = report.tree
    goal = tree.nodes[tree.kgi]
    facts = [f"{len(tree.nodes)} nodes ({len(tree.inputs)} inputs, {len(tree.derived)} derived)"]
    if tree.time is not None and tree.periods is not None:
        facts.append(
            f"{tree.time.periods} {tree.time.unit}s, {tree.periods[0]} to {tree.periods[-1]}"
        )
    if tree.source:
        facts.append(f"file {Path(tree.source).name}")
    facts.append(f"scenario {report.scenario}" if report.scenario else "the tree's own values")
    if report.actuals is not None:
        facts.append(f"actuals {Path(report.actuals.source).name}")
    if report.overrides:
        facts.append(
            "set " + ", ".join(f"{name}={value}" for name, value in report.overrides.items())
        )
    facts.append(f"kpitree {__version__}")
    parts = [
        f"<h1>{escape(tree.name)}: {escape(goal.title)}</h1>",
        paragraph(" · ".join(facts), "meta"),
    ]
    if tree.description:
        parts.append(paragraph(tree.description))
    return "<header>\n" + "\n".join(parts) + "\n</header>"


def kgi_section(report: Report) -> str:
    """The KGI at the last period against its target, and its milestones (targets of earlier
    periods, quarters or years) with the value each is judged on and its status."""
    tree, evaluation = report.tree, report.evaluation
    goal = tree.nodes[tree.kgi]
    value, target = evaluation.kgi_value, goal.target
    when = f" at {tree.periods[-1]}" if tree.periods else ""
    start = float("nan")
    judged = final_judgement(tree, tree.kgi, evaluation.values)
    if judged is not None and judged[0].is_span:
        # A quarter or year target: the KGI's roll-up over it is what meets it, as statuses
        # judge it, not its last month.
        milestone = judged[0]
        value, target, when = judged[1], milestone.value, f" in {milestone.label}"
        needed = judged_value(tree, tree.kgi, evaluation.values, milestone, stocks(tree))[1]
        start = float("nan") if needed is None else milestone.value - needed
    elif target is not None and tree.kgi in stocks(tree):
        start = level_before(tree, tree.kgi, evaluation.values, stocks(tree))
    rows = [["value" + when, format_number(value, goal.unit)]]
    if target is not None:
        rows.append(["target", format_number(target, goal.unit)])
        rows.append(["gap (value - target)", format_number(value - target, goal.unit)])
        if target:
            rows.append(["value / target - 1", format_percent(value / target - 1)])
        if tree.kgi in stocks(tree) and np.isfinite(start):
            rows.append(
                ["change planned (target - start)", format_signed(target - start, goal.unit)]
            )
            rows.append(["change reached (value - start)", format_signed(value - start, goal.unit)])
    rows += _milestone_rows(report)
    status = statuses(evaluation)[tree.kgi]
    verdict = f"<p>{escape(goal.title)}{escape(when)}: {badge(status)}</p>"
    unit = paragraph(f"Unit: {goal.unit}.", "meta") if goal.unit else ""
    return section(
        f"KGI: {goal.title}",
        verdict,
        table(["", ""], rows, numeric=[False, True]),
        unit,
        anchor="kgi",
    )


def _milestone_rows(report: Report) -> list[list[str]]:
    tree, evaluation = report.tree, report.evaluation
    goal = tree.nodes[tree.kgi]
    rows = []
    stock_names = stocks(tree)
    for milestone in milestones(goal, tree.time):
        if milestone.last == tree.period_count - 1:
            continue  # the last period's target, shown above
        judged, needed = judged_value(tree, tree.kgi, evaluation.values, milestone, stock_names)
        status = node_status(goal, judged, target=milestone.value, scale=needed)
        rows.append(
            [
                f"target {milestone.label}",
                f"{format_number(milestone.value, goal.unit)} (reached "
                f"{format_number(judged, goal.unit)}: {status.value})",
            ]
        )
    return rows


MAX_DIAGRAM_NODES = 100
"""The most nodes the report draws: beyond it the boxes are too many to read on a page and
drawing them takes longer than the rest of the report."""


def diagram_section(report: Report) -> str:
    """The tree diagram, coloured by status; a note instead for a tree of more than
    :data:`MAX_DIAGRAM_NODES` nodes."""
    count = len(report.tree.nodes)
    if count > MAX_DIAGRAM_NODES:
        note = (
            f"The tree has {count:,} nodes, more than the {MAX_DIAGRAM_NODES} a diagram on "
            "this page can show legibly, so it is left out: draw it alone with kpitree plot."
        )
        return section("The tree", paragraph(note), anchor="tree")
    figure = plot_tree(report.tree, report.evaluation).figure
    caption = (
        "Each box: label, value (at the last period), unit, target or alert, owner. "
        "Off track: the alert fires or the value misses its target by more than "
        f"{format_share(MARGIN, 0)}; at risk: within {format_share(MARGIN, 0)} of the target or "
        "of the alert threshold; "
        "on track otherwise; grey: no target and no alert. Dashed arrows read an earlier period "
        "(prev, delay)."
    )
    alt = f"Tree diagram of {report.tree.name}"
    return section("The tree", image(figure, alt, caption), anchor="tree")  # type: ignore[arg-type]


def alerts_section(report: Report) -> str:
    """Every alert that fires, one row per node."""
    hits = check_alerts(report.evaluation)
    watched = [name for name, node in report.tree.nodes.items() if node.alert is not None]
    if not watched:
        return section("Alerts", paragraph("No node of this tree has an alert."), anchor="alerts")
    if not hits:
        names = ", ".join(watched)
        return section("Alerts", paragraph(f"No alert fires (watched: {names})."), anchor="alerts")
    fired = {hit.node for hit in hits}
    summary = paragraph(
        f"{len(fired)} of {len(watched)} watched nodes fire, in {len(hits)} node-periods."
    )
    periods = None if report.tree.periods is None else tuple(report.tree.periods)
    result = Alerts(report.tree, tuple(hits), periods)
    return section("Alerts", summary, result_table(result), anchor="alerts")


def periods_section(report: Report) -> str:
    """The KGI and its main KPIs period by period, each cell coloured by status."""
    if report.by is not None:
        return rollup_section(report)
    tree, evaluation = report.tree, report.evaluation
    names = main_kpis(tree)
    labels = list(tree.periods or ["value"])
    per_period = [
        statuses(evaluation, index + 1 if tree.is_timed else None) for index in range(len(labels))
    ]
    rows, classes = [], []
    for name in names:
        node = tree.nodes[name]
        values = np.atleast_1d(evaluation.values[name])
        rows.append([node.title, node.unit or "", *(_format(v, node.unit) for v in values)])
        classes.append([None, None, *(_status_class(s[name]) for s in per_period)])
    table_html = table(
        ["KPI", "unit", *labels],
        rows,
        numeric=[False, False] + [True] * len(labels),
        classes=classes,
    )
    intro = paragraph(
        "The KGI, the KPIs it is computed from (nearest first) and every node with a target or "
        "an alert. Cells are coloured by status in that period (a target counts at the period "
        "it is set for; a stock such as ARR is judged by the change its target asks for)."
    )
    return section("KGI and main KPIs by period", intro, table_html, anchor="periods")


def rollup_section(report: Report) -> str:
    """Every node per quarter or (fiscal) year (the roll-up's own table), with each node's
    roll-up rule and the partial buckets named above it."""
    tree, by = report.tree, report.by or ""
    rolled = report.evaluation.rollup(by)
    notes = " ".join(f"{partial_note(tree, b)}." for b in rolled.buckets if b.partial)
    grouped: dict[str, list[str]] = {}
    for name, rule in rolled.rules.items():
        grouped.setdefault(rule.describe(), []).append(name)
    rules = "; ".join(f"{rule}: {', '.join(names)}" for rule, names in grouped.items())
    intro = paragraph(
        "Every node rolled up: flows sum, stocks take their last period, rates are recomputed "
        "from the flows they divide, anything else is the mean. Statuses are judged per "
        f"period, so cells are not coloured. {notes}".rstrip()
    )
    table_html = result_table(rolled)
    intro += "\n" + paragraph(f"Roll-up rules: {rules}.", "meta")
    title = f"Every node by {by.replace('-', ' ')}"
    return section(title, intro, table_html, anchor="periods")


def main_kpis(tree: Tree) -> list[str]:
    """The KGI, the derived nodes it depends on (fewest steps away first, then file order),
    then the other nodes that have a target or an alert."""
    distance = dict(nx.single_target_shortest_path_length(tree.graph, tree.kgi))
    position = {name: index for index, name in enumerate(tree.nodes)}
    upstream = [name for name in tree.derived if name in distance]
    upstream.sort(key=lambda name: (distance[name], position[name]))
    watched = [
        name
        for name, node in tree.nodes.items()
        if (node.target is not None or node.alert is not None) and name not in upstream
    ]
    return upstream + watched


def _status_class(status: Status) -> str | None:
    return None if status is Status.NONE else STATUS_CLASSES[status]


def _format(value: float, unit: str | None) -> str:
    return format_number(float(value), unit)


SECTIONS: Sequence[Section] = (
    title_section,
    kgi_section,
    diagram_section,
    alerts_section,
    periods_section,
    actuals_section,
    attribution_section,
    sensitivity_section,
    bottleneck_section,
    cascade_section,
    forecast_section,
)
"""The report's sections in page order: where the goal stands (KGI, tree, alerts, periods),
how actuals differ from plan and why, then what to move (sensitivity, bottleneck), what it
takes (cascade) and what to expect (forecast)."""

__all__ = ["SECTIONS", "Report", "Section", "main_kpis"]
