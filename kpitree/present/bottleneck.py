"""A :class:`~kpitree.analysis.bottleneck.Bottleneck` as a terminal report, JSON or CSV."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from kpitree.analysis.alerts import AlertHit
from kpitree.analysis.bottleneck import Bottleneck
from kpitree.present.export import to_csv, to_json
from kpitree.present.kgi import kgi_formatter, kgi_heading
from kpitree.present.numbers import format_message, format_number, format_percent, format_signed
from kpitree.present.table import render_table


def bottleneck_table(result: Bottleneck) -> str:
    """The ranking by gain, the ranking by gain per effort, the stalled stage and the alerts."""
    unit = result.kgi_unit
    header = ["#", "lever", "owner", "from", "to", "unit", "move", "KGI after", "gain", "gain %"]
    rows = []
    show = kgi_formatter([lever.gain for lever in result.ranking], unit)
    for rank, lever in enumerate(result.ranking, start=1):
        move = move_text(lever.move, result.step) + (", capped" if lever.capped else "")
        rows.append(
            [str(rank), lever.name, lever.owner or "", format_number(lever.from_value, lever.unit),
             format_number(lever.to_value, lever.unit), lever.unit or "", move,
             show(lever.kgi_after), _signed(show, lever.gain),
             format_percent(lever.gain_pct)]
        )  # fmt: skip
    title = kgi_heading(result.tree, "bottlenecks of", result.kgi, result.period,
                        result.kgi_value, unit, result.scenario)  # fmt: skip
    lines = [render_table(header, rows, title=title, align="rllrrllrrr")]
    per_period = [lever.name for lever in result.ranking if lever.per_period]
    if result.to == "far":
        notes = [
            "move: to the better end of the benchmark range (far), or a relative step where it",
            "has none (or its better end is open); capped: cut back to the input's bounds",
        ]
    else:
        notes = [
            "move: an input worse than its benchmark range to the range's near edge",
            "(to benchmark); otherwise a relative step toward the better end, not past it when",
            "inside the range; capped: cut back to the input's bounds",
        ]
    if result.direction == "lower":
        notes.append(f"{result.kgi} is better lower: a gain is a fall of {result.kgi}")
    if per_period:
        notes.append(f"given per period (from/to are means): {', '.join(per_period)}")
    if result.flat:
        notes.append(f"no effect at base values (derivative 0): {', '.join(result.flat)}")
    lines += notes
    by_effort = result.by_effort
    if by_effort:
        effort_rows = [
            [str(rank), lever.name, lever.owner or "", format_number(lever.effort or 0.0),
             format_number(lever.effort_cost or 0.0),
             format_signed(lever.gain, unit), format_signed(lever.gain_per_effort or 0.0, unit)]
            for rank, lever in enumerate(by_effort, start=1)
        ]  # fmt: skip
        header = ["#", "lever", "owner", "effort", "cost", "gain", "gain / cost"]
        title = "By gain per effort (a move costs effort x |ln(to / from)|):"
        lines += ["", render_table(header, effort_rows, title=title, align="rllrrrr")]
    lines.append("")
    stage = result.stalled_stage
    if stage is None:
        lines.append("Stalled stage: none (no conversion rate below its benchmark range)")
    else:
        owner = f" (owner: {stage.owner})" if stage.owner else ""
        lines.append(
            f"Stalled stage: {stage.name}{owner}: {_rate(stage.value)} against a benchmark of at "
            f"least {_rate(stage.benchmark_low)}, {_rate(stage.shortfall)} short"
        )
    lines.append("")
    lines += _alert_lines(result.alerts)
    return "\n".join(lines) + "\n"


def move_text(move: str, step: float) -> str:
    """``to benchmark``, ``step 10 %`` or ``far`` for a lever's move."""
    if move == "step":
        return f"step {format_number(100 * step)} %"
    return move.replace("_", " ")


def _signed(show: Callable[[float], str], value: float) -> str:
    text = show(value)
    return f"+{text}" if value > 0 else text


def _rate(fraction: float) -> str:
    return f"{fraction * 100:,.1f} %"


def _alert_lines(hits: tuple[AlertHit, ...]) -> list[str]:
    """Alerts grouped per node and direction: one line each, with the periods they fire in."""
    if not hits:
        return ["Alerts at base values: none"]
    groups: dict[tuple[str, str], list[AlertHit]] = defaultdict(list)
    for hit in hits:
        groups[(hit.node, hit.direction)].append(hit)
    lines = ["Alerts at base values:"]
    for (node, direction), group in groups.items():
        first = group[0]
        worst = (
            min(hit.value for hit in group)
            if direction == "below"
            else max(hit.value for hit in group)
        )
        when = ""
        if first.period is not None:
            span = first.period if len(group) == 1 else f"{first.period} .. {group[-1].period}"
            when = f" in {len(group)} period{'s' * (len(group) > 1)} ({span})"
        owner = f" (owner: {first.owner})" if first.owner else ""
        extreme = "lowest" if direction == "below" else "highest"
        threshold, shown = (
            format_message(first.threshold, first.unit),
            format_message(worst, first.unit),
        )
        lines.append(f"  {node}: {direction} {threshold}{when}, {extreme} {shown}{owner}")
    return lines


def bottleneck_json(result: Bottleneck) -> str:
    """``{"kgi", "kgi_value", "ranking", "by_effort", "stalled_stage", "alerts", ...}``."""
    return to_json(result.to_dict()) + "\n"


def bottleneck_csv(result: Bottleneck) -> str:
    """One row per lever."""
    return to_csv(result.to_frame())
