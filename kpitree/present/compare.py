"""A :class:`~kpitree.analysis.compare.Comparison` and alert hits as text for people and
programs."""

from __future__ import annotations

from kpitree.analysis.alerts import AlertHit
from kpitree.analysis.compare import Comparison
from kpitree.present.export import to_csv, to_json
from kpitree.present.numbers import format_number, format_percent, format_signed
from kpitree.present.table import render_table


def comparison_table(comparison: Comparison) -> str:
    """One table per reported period: plan, actual, difference, % and status of each node."""
    tree = comparison.tree
    labels = comparison.periods or (None,)
    blocks = []
    for index, period in enumerate(labels):
        rows = []
        for name, node in tree.nodes.items():
            plan = float(comparison.plan[name][index])
            actual = float(comparison.actual[name][index])
            marker = "* " if name == tree.kgi else "  "
            rows.append(
                [marker + name, node.owner or "", format_number(plan, node.unit),
                 format_number(actual, node.unit), format_signed(actual - plan, node.unit),
                 format_percent(float(comparison.relative(name)[index])),
                 comparison.status[name][index]]
            )  # fmt: skip
        plan_name = f"plan '{comparison.scenario}'" if comparison.scenario else "plan"
        when = f" at {period}" if period is not None else ""
        off = sum(1 for row in rows if row[-1] == "off track")
        title = f"{tree.name}{when}: actual vs {plan_name} ({off} off track)"
        header = ["node", "owner", "plan", "actual", "difference", "%", "status"]
        blocks.append(render_table(header, rows, title=title, align="llrrrrl"))
    tolerance = format_percent(comparison.tolerance).lstrip("+")
    footer = (
        f"off track: an alert fires, or worse than plan by more than {tolerance} in the "
        "direction that helps the KGI; '-': no such direction"
    )
    return "\n\n".join(blocks) + "\n" + footer + "\n"


def comparison_json(comparison: Comparison) -> str:
    """``{"tree", "kgi", "plan_scenario", "tolerance", "periods", "rows"}``."""
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
