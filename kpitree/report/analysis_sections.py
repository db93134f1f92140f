"""The report's analysis sections: what moves the KGI (sensitivity and tornado, bottleneck), what
reaching the target takes (the cascade) and what to expect (the forecast).

Each section calls one analysis through the :class:`~kpitree.tree.Tree` API with the report's
values (``--set``, ``--scenario``; in the forecast the inputs these set are fixed, not drawn, as
:func:`kpitree.analysis.forecast.forecast` does) and shows its result; nothing is computed here.
"""

from __future__ import annotations

import math
from typing import Any

from kpitree.analysis.sampling import cut_share
from kpitree.distribution import Distribution
from kpitree.errors import KpiTreeError
from kpitree.plots.forecast import plot_fan
from kpitree.plots.tornado import plot_tornado
from kpitree.present.assumptions import fixed_values
from kpitree.present.numbers import format_number, format_percent, format_share, format_signed
from kpitree.present.solution import warning_text
from kpitree.report.context import Report
from kpitree.report.html import image, paragraph, result_table, section

CASCADE_TOP = 3
"""Levers of the cascade taken from the bottleneck ranking when no input has an effort."""


def sensitivity_section(report: Report) -> str:
    """Elasticity and derivative of the KGI to every input, and the tornado chart (±10 %)."""
    tree = report.tree
    options = _values(report)
    local = tree.sensitivity(**options)
    swings = tree.tornado(**options)
    kgi = tree.nodes[tree.kgi]
    upstream = [entry for entry in local.inputs if entry.upstream]
    parts = []
    if upstream and not math.isnan(upstream[0].elasticity):
        top = upstream[0]
        parts.append(
            paragraph(
                f"{kgi.title}{_when(local.period)} responds most to {top.name}: 1 % more of it "
                f"moves {tree.kgi} by {top.elasticity:+.2f} %."
            )
        )
    parts.append(result_table(local))
    ignored = [entry.name for entry in local.inputs if not entry.upstream]
    note = (
        "Elasticity: % change of the KGI per 1 % change of the input (an input given per period "
        "is scaled in every period); derivative: KGI units per input unit. Exact (chain rule "
        "through the formulas)."
    )
    if ignored:
        note += f" Not upstream of {tree.kgi}: {', '.join(ignored)}."
    parts.append(paragraph(note, "meta"))
    if swings.bars:
        swing = "over its range" if swings.swing is None else f"±{format_share(swings.swing, 0)}"
        caption = (
            f"Each input swung {swing} alone, every other input at its value; bars "
            "run from the base KGI to the KGI at the low (hatched) and high value, green where "
            "the KGI improves and red where it worsens."
        )
        parts.append(image(plot_tornado(swings).figure, f"Tornado chart of {tree.kgi}", caption))  # type: ignore[arg-type]
    return section("Sensitivity and tornado", *parts, anchor="sensitivity")


def bottleneck_section(report: Report) -> str:
    """Levers ranked by the KGI gain of a realistic move, gain per effort, the stalled stage."""
    tree = report.tree
    result = tree.bottlenecks(**_values(report))
    unit = result.kgi_unit
    parts = []
    if result.ranking and result.ranking[0].gain > 0:
        best = result.ranking[0]
        lower = result.direction == "lower"
        show_gain = format_number if lower else format_signed
        parts.append(
            paragraph(
                f"Largest gain: {best.name} ({best.owner or 'no owner'}) from "
                f"{format_number(best.from_value, best.unit)} to "
                f"{format_number(best.to_value, best.unit)} "
                f"{'lowers' if result.direction == 'lower' else 'raises'} {tree.kgi}"
                f"{_when(result.period)} by "
                f"{show_gain(best.gain, unit)} "
                f"({format_percent(-best.gain_pct if lower else best.gain_pct)}).",
                "verdict",
            )
        )
    stage = result.stalled_stage
    if stage is not None:
        parts.append(
            paragraph(
                f"Stalled stage: {stage.name} ({stage.owner or 'no owner'}) at "
                f"{_rate(stage.value)}, {_rate(stage.shortfall)} below the low end of its "
                f"benchmark ({_rate(stage.benchmark_low)})."
            )
        )
    else:
        parts.append(paragraph("Stalled stage: none (no conversion rate below its benchmark)."))
    parts.append(result_table(result))
    note = (
        "Move: an input worse than its benchmark range to the range's near edge (to benchmark); "
        "otherwise a relative step toward the better end, not past it from inside the range; "
        "capped: cut back to the input's bounds. Effort: the tree's relative cost of that move."
    )
    if result.flat:
        note += f" No effect at these values: {', '.join(result.flat)}."
    parts.append(paragraph(note, "meta"))
    return section("Bottleneck ranking", *parts, anchor="bottleneck")


def cascade_levers(report: Report) -> tuple[list[str], str, str]:
    """The cascade's levers, the solve mode, and the reason, in words.

    The inputs the KGI depends on that carry an ``effort`` (the levers the tree's author
    declared), moved with the least total effort; when none has one, the top
    :data:`CASCADE_TOP` levers of the bottleneck ranking with a gain, moved by the same
    relative change.
    """
    tree = report.tree
    declared = [name for name in tree.inputs_of(tree.kgi) if tree.nodes[name].effort is not None]
    if declared:
        return declared, "min-effort", "the inputs with an effort, least total effort"
    ranking = tree.bottlenecks(**_values(report)).ranking
    top = [lever.name for lever in ranking if lever.gain > 0][:CASCADE_TOP]
    why = f"no input has an effort: the top {len(top)} bottleneck levers, same relative change"
    return top, "uniform", why


def cascade_section(report: Report) -> str:
    """The lever values that reach the KGI's target and the target of every node that moves,
    by owner; left out when the KGI has no target."""
    tree = report.tree
    goal = tree.nodes[tree.kgi]
    if goal.target is None:
        return ""
    levers, mode, why = cascade_levers(report)
    title = "Targets cascade"
    intro = paragraph(f"Levers: {', '.join(levers) or 'none'} ({why}).", "meta")
    if not levers:
        return section(title, intro, paragraph("No input raises the KGI here."), anchor="cascade")
    try:
        solution = tree.solve(levers, mode=mode, **_values(report))
    except KpiTreeError as error:
        return section(title, intro, paragraph(f"Not solved: {error.message}"), anchor="cascade")
    when = _when(tree.periods[-1] if tree.periods else None)
    if solution.period is not None:  # a quarter or year target, met over its span
        when = f" in {solution.period}"
    target = format_number(solution.target, goal.unit)
    if solution.feasible:
        verdict = f"{goal.title} reaches its target {target}{when} with the levers below."
    elif mode == "min-effort" or len(levers) == 1:  # each lever at the bound that helps
        best = "comes down at most to" if tree.kgi_sign < 0 else "reaches at most"
        verdict = (
            f"NOT FEASIBLE: within the levers' bounds {goal.title} {best} "
            f"{format_number(solution.reached, goal.unit)}{when}, short of its target {target}. "
            "The tables show the closest point."
        )
    else:  # a common change stops at the first lever's bound: not the most reachable
        verdict = (
            f"NOT FEASIBLE: moved by the same relative change, the levers take {goal.title} to "
            f"{format_number(solution.reached, goal.unit)}{when} when the first of them reaches "
            f"its bound, short of its target {target}. The tables show that point."
        )
    parts = [intro, paragraph(verdict, "verdict")]
    if solution.plan.note:
        parts.append(paragraph(f"Note: {solution.plan.note}", "meta"))
    parts += [paragraph(f"Warning: {warning_text(solution, w)}") for w in solution.warnings]
    # The solution's own layout holds the targets by department (its cascade) too.
    parts.append(result_table(solution))
    return section(title, *parts, anchor="cascade")


def forecast_section(report: Report) -> str:
    """Fan chart of the KGI, the chance of its target and the last period's quantiles, on the
    report's values (the inputs set by ``--set`` or ``--scenario`` fixed); left out when no
    input has a distribution."""
    tree = report.tree
    uncertain = [name for name in tree.inputs if tree.nodes[name].distribution is not None]
    if not uncertain:
        return ""
    title = "Forecast"
    try:
        result = tree.forecast(samples=report.samples, seed=report.seed, **_values(report))
    except KpiTreeError as error:
        return section(title, paragraph(f"Not forecast: {error.message}"), anchor="forecast")
    drawn = [name for name in uncertain if name not in result.fixed]
    unit = result.unit
    last = result.periods[-1] if result.periods else None
    parts = []
    when = _when(last) if result.target_label is None else f" in {result.target_label}"
    if result.target is not None and result.p_target is not None:
        # Monte Carlo error of a share p over n paths: sqrt(p (1 - p) / n).
        error = math.sqrt(result.p_target * (1 - result.p_target) / result.samples)  # type: ignore[misc]
        parts.append(
            paragraph(
                f"P({tree.kgi} {'≤' if result.meets == '<=' else '≥'} "
                f"{format_number(result.target, unit)}{when}) = "
                f"{_rate(result.p_target)} (± {_rate(error)} Monte Carlo standard error).",  # type: ignore[misc]
                "verdict",
            )
        )
    laws = [f"{name} ({_law(tree.nodes[name].distribution)})" for name in drawn]
    parts.append(
        paragraph(
            f"{result.samples:,} paths, seed {result.seed}; drawn: {', '.join(laws) or 'none'}; "
            "every other input at its value.",
            "meta",
        )
    )
    if result.fixed:
        where = f"scenario {result.scenario}" if result.scenario else "--set"
        if result.scenario and report.overrides:
            where += " and --set"
        held = (
            f"Inputs set by {where} are held at that value on every path: "
            f"{fixed_values(tree, result.fixed)}."
        )
        notes = [f"{text[:1].upper()}{text[1:]}." for text in result.notes]
        parts.append(paragraph(" ".join([held, *notes]), "meta"))
    caption = "Median, mean and the 25-75, 10-90 and 5-95 % bands of the paths, per period."
    parts.append(image(plot_fan(result).figure, f"Fan chart of {tree.kgi}", caption))  # type: ignore[arg-type]
    value = format_number(report.evaluation.kgi_value, unit)
    whose = "the value on these inputs" if result.fixed else "the tree's value"
    over = f"{tree.kgi} per period over the paths ({whose}{_when(last)}: {value}):"
    parts.append(paragraph(over))
    parts.append(result_table(result))
    return section(title, *parts, anchor="forecast")


def _values(report: Report) -> dict[str, Any]:
    """The report's base values as analysis options."""
    return {"overrides": dict(report.overrides) or None, "scenario": report.scenario}


def _when(period: str | None) -> str:
    return f" at {period}" if period else ""


def _per_period(value: object) -> bool:
    return isinstance(value, tuple)


def _rate(fraction: float) -> str:
    """``0.128`` -> ``12.8 %``."""
    return f"{fraction * 100:.1f} %"


def _elasticity(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:+.3f}"


def _law(distribution: Distribution | None) -> str:
    if distribution is None:
        return ""
    text = distribution.dist + (", each period" if distribution.vary == "period" else "")
    if distribution.truncation != (None, None):
        text += f", truncated to its bounds: {cut_share(distribution.cut)} cut"
    return text


__all__ = [
    "bottleneck_section",
    "cascade_levers",
    "cascade_section",
    "forecast_section",
    "sensitivity_section",
]
