"""The report's sections on actuals: plan vs actual (the KGI and the nodes off track) and the
attribution of the KGI's gap to the inputs. Both are left out when the report has no actuals.

The plan is the tree's own values, or the report's scenario (as ``kpitree compare --plan``);
``--set`` values do not change the plan. The tables are the results' own, from the renderer.
"""

from __future__ import annotations

from pathlib import Path

from kpitree.analysis.compare import OFF_TRACK
from kpitree.plots.waterfall import plot_waterfall
from kpitree.present.numbers import format_number, format_percent, format_signed, partial_mark
from kpitree.report.context import Report
from kpitree.report.html import image, paragraph, result_table, section

TOP_CONTRIBUTIONS = 10
"""Inputs drawn one by one in the waterfall."""


def actuals_section(report: Report) -> str:
    """Plan against actual at the last judged period (and the partial one, if any), every
    node off track in a period with actuals named with its periods."""
    if report.actuals is None:
        return ""
    tree = report.tree
    comparison = tree.compare(report.actuals, plan=report.scenario)
    judged = comparison.judged_periods
    labels = comparison.periods or (None,)
    when = judged[-1] if judged else None
    shown = [p for p in (when, comparison.partial) if p is not None]
    index = labels.index(when) if when in labels else len(labels) - 1
    off = {name: [label for label, status in zip(labels, statuses, strict=True)
                  if status == OFF_TRACK]
           for name, statuses in comparison.status.items()}  # fmt: skip
    kgi = tree.nodes[tree.kgi]
    plan_kgi, actual_kgi = comparison.plan[tree.kgi][index], comparison.actual[tree.kgi][index]
    span = f" for {len(labels)} periods ({labels[0]} to {labels[-1]})" if when else ""
    if when and len(labels) == 1:
        span = f" for {when}"
    plan_name = f"scenario {report.scenario}" if report.scenario else "the tree's values"
    names = [name for name in tree.nodes if off[name]]
    listed = "; ".join(f"{name} ({', '.join(p or 'yes' for p in off[name])})" for name in names)
    summary = (
        f"Actuals from {Path(report.actuals.source).name}{span}, against the plan ({plan_name})."
        f" {kgi.title}{' at ' + when if when else ''}: actual "
        f"{format_number(actual_kgi, kgi.unit)} against plan {format_number(plan_kgi, kgi.unit)}"
        f" ({format_percent(float(comparison.relative(tree.kgi)[index]))}). "
        f"{len(names)} nodes off track in at least one period"
        f"{': ' + listed if listed else ''}."
    )
    parts = [paragraph(summary, "verdict")]
    if comparison.partial is not None:
        how = (
            "its flows are divided by the share elapsed and it is judged as a whole period"
            if comparison.paced
            else "measured to date, it is not judged (status partial)"
        )
        mark = partial_mark(comparison.elapsed, comparison.paced)
        parts.append(paragraph(f"{comparison.partial} {mark}: {how}.", "meta"))
    tolerance = format_percent(comparison.tolerance).lstrip("+")
    note = (
        f"The table: every node at {', '.join(shown) or 'the actuals'}. Off track: an alert "
        f"fires, or worse than plan by more than {tolerance} (as shown) in the direction that "
        "helps the KGI. A stock (ARR, MRR, customers) is judged by its change over the period "
        "(net new) against the plan's change. A derived node's actual is what the tree makes "
        "of the actual inputs (plan values where an input has no actual)."
    )
    table = result_table(comparison.only(shown) if shown else comparison)
    return section("Plan vs actual", *parts, table, paragraph(note, "meta"), anchor="actuals")


def attribution_section(report: Report) -> str:
    """The KGI's gap between plan and actual split into one contribution per input: waterfall,
    the contributions and their sum per owner."""
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
    owners = sorted(result.by_owner.items(), key=lambda item: -abs(item[1]))
    by_owner = "; ".join(
        f"{owner} {format_signed(value, unit)} ({_share(value, result.delta)})"
        for owner, value in owners
    )
    caption = (
        "From plan to actual, one bar per input's contribution, largest first. An input's "
        "state is its whole series: plan values, or actuals where there are some."
    )
    figure = plot_waterfall(result, top=TOP_CONTRIBUTIONS).figure
    return section(
        title,
        paragraph(summary, "verdict"),
        image(figure, f"Waterfall of {result.node} from plan to actual", caption),  # type: ignore[arg-type]
        paragraph(f"By owner (the contributions of each owner's inputs added up): {by_owner}."),
        result_table(result),
        anchor="attribution",
    )


def _share(value: float, delta: float) -> str:
    return f"{value / delta * 100:,.1f} %" if delta else "-"
