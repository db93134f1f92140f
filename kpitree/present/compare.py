"""A :class:`~kpitree.analysis.compare.Comparison` and alert hits as text for people and
programs."""

from __future__ import annotations

from kpitree.analysis.alert_list import Alerts
from kpitree.analysis.alerts import AlertHit
from kpitree.analysis.compare import Comparison, gap
from kpitree.node import PERCENT_UNITS
from kpitree.present.export import to_csv, to_json
from kpitree.present.numbers import (
    format_number,
    format_percent,
    format_points,
    format_rate_pair,
    format_signed,
    partial_mark,
)
from kpitree.present.table import render_table


def plan_actual_cells(plan: float, actual: float, unit: str | None) -> tuple[str, str, str]:
    """Plan, actual and their difference as shown in every plan-vs-actual table: a rate (unit
    ``%``) with the decimals its difference needs and the difference in percentage points."""
    difference = float(gap(plan, actual))
    if unit in PERCENT_UNITS:
        plan_text, actual_text = format_rate_pair(plan, actual)
        return plan_text, actual_text, format_points(difference, plan, actual)
    return (
        format_number(plan, unit),
        format_number(actual, unit),
        format_signed(difference, unit),
    )


def comparison_table(comparison: Comparison) -> str:
    """One table per reported period: plan, actual, difference, % and status of each node; a
    stock (marked ``~``) also its change over the period, on which % and status are judged."""
    tree = comparison.tree
    labels = comparison.periods or (None,)
    stocks = comparison.change_plan
    blocks = []
    for index, period in enumerate(labels):
        rows = []
        for name, node in tree.nodes.items():
            plan = float(comparison.plan[name][index])
            actual = float(comparison.actual[name][index])
            marker = ("* " if name == tree.kgi else "  ") + ("~" if name in stocks else "")
            change = (
                [format_signed(float(stocks[name][index]), node.unit),
                 format_signed(float(comparison.change_actual[name][index]), node.unit)]
                if name in stocks else ["", ""]
            )  # fmt: skip
            rows.append(
                [marker + name, node.owner or "", *plan_actual_cells(plan, actual, node.unit),
                 *(change if stocks else []),
                 format_percent(float(comparison.judged_relative(name)[index])),
                 comparison.status[name][index]]
            )  # fmt: skip
        plan_name = f"plan '{comparison.scenario}'" if comparison.scenario else "plan"
        when = f" at {period}" if period is not None else ""
        if period is not None and period == comparison.partial:
            when += " " + partial_mark(comparison.elapsed, comparison.paced)
        off = sum(1 for row in rows if row[-1] == "off track")
        title = f"{tree.name}{when}: actual vs {plan_name} ({off} off track)"
        header = ["node", "owner", "plan", "actual", "difference"]
        header += ["change plan", "change actual"] if stocks else []
        header += ["%", "status"]
        align = "llrrr" + ("rr" if stocks else "") + "rl"
        blocks.append(render_table(header, rows, title=title, align=align, marked=0))
    tolerance = format_percent(comparison.tolerance).lstrip("+")
    footer = (
        f"off track: an alert fires, or worse than plan by more than {tolerance} (as shown) in "
        "the direction that helps the KGI; '-': no such direction; pp: percentage points"
    )
    if comparison.partial is not None and comparison.paced:
        footer += (
            f"\npartial: {comparison.partial} is measured to date; its flows are divided by the "
            "share of the period elapsed (paced) and judged as a whole period"
        )
    elif comparison.partial is not None:
        footer += (
            f"\npartial: {comparison.partial} is measured to date and not judged (its actuals "
            "are to date, or empty when left out; --partial pace to judge it paced)"
        )
    if stocks:
        footer += (
            "\n~ a stock: judged by its change over the period (net new) against the plan's "
            "change; % is of that change"
        )
    return "\n\n".join(blocks) + "\n" + footer + "\n"


def comparison_json(comparison: Comparison) -> str:
    """``{"tree", "kgi", "scenario", "tolerance", "periods", "rows"}``."""
    return to_json(comparison.to_dict()) + "\n"


def comparison_csv(comparison: Comparison) -> str:
    """One row per period and node."""
    return to_csv(comparison.to_frame(), index=False)


def alerts_text(hits: list[AlertHit], periods: list[str] | None) -> str:
    """One line per alert fired, or a line saying none did."""
    if not hits:
        checked = f" in {len(periods)} periods with actuals" if periods else ""
        return f"ok: no alert fired{checked}\n"
    lines = [f"ALERT {hit.message()}" for hit in hits]
    return "\n".join(lines) + "\n"


def alerts_table(result: Alerts) -> str:
    """The text of :func:`alerts_text` for an :class:`~kpitree.analysis.alert_list.Alerts`."""
    periods = None if result.periods is None else list(result.periods)
    text = alerts_text(list(result.hits), periods)
    if result.partial is not None:
        how = "checked on flows paced" if result.paced else "not checked: measured to date"
        text += f"{result.partial} {partial_mark(result.elapsed)}: {how}\n"
    return text
