"""A :class:`~kpitree.analysis.solution.Solution` as terminal tables, JSON or CSV.

The table has three parts: the levers (before, after, change, binding bound), the department
table (each owner's nodes with plan, target and change: what a planning session hands out),
and for a timed tree the target of every node per period.
"""

from __future__ import annotations

from kpitree.analysis.cascade import Cascade
from kpitree.analysis.guardrails import LeverWarning
from kpitree.analysis.levers import Lever
from kpitree.analysis.solution import Solution
from kpitree.present.export import to_csv, to_json
from kpitree.present.numbers import PERCENT_UNITS, format_message, format_number, format_percent
from kpitree.present.table import render_table


def solution_table(solution: Solution) -> str:
    """Headline, levers, department table and (timed trees) the per-period cascade."""
    tree = solution.tree
    node = tree.nodes[solution.node]
    unit = node.unit
    when = f" at {solution.period or tree.periods[-1]}" if tree.periods else ""
    verdict = "feasible" if solution.feasible else "NOT FEASIBLE"
    lines = [
        f"{tree.name}: {node.title} ({solution.node}) target {_with_unit(solution.target, unit)}"
        f"{when}: {verdict}",
        f"  reached {_with_unit(solution.reached, unit)}, from "
        f"{_with_unit(solution.today, unit)} today",
        f"  mode: {solution.mode}; method: {solution.plan.method}",
    ]
    if solution.plan.effort is not None:
        measure = "ln(new/old)^2" if solution.mode == "balanced" else "|ln(new/old)|"
        lines.append(f"  total effort (sum of effort x {measure}): {solution.plan.effort:.4g}")
    if solution.plan.note:
        lines.append(f"  note: {solution.plan.note}")
    if solution.within == "benchmark":
        lines.append("  levers kept within their benchmark ranges (and bounds)")
    lines += [f"  warning: {warning_text(solution, warning)}" for warning in solution.warnings]
    lines += ["", _levers(solution), "", _departments(solution.cascade())]
    if tree.is_timed:
        lines += ["", _per_period(solution)]
    return "\n".join(lines) + "\n"


def _levers(solution: Solution) -> str:
    changes, binding = solution.changes, solution.binding
    rows = []
    for lever in solution.levers:
        found = solution.tree.nodes[lever.name]
        after = solution.plan.values[lever.name]
        per_period = isinstance(after, tuple)
        rows.append(
            [
                lever.name + (" (every period)" if per_period else ""),
                found.owner or "",
                found.unit or "",
                _value(lever.base, found.unit),
                _value(after, found.unit),
                _change(changes[lever.name]),
                _binding(lever, binding[lever.name], found.unit) if binding[lever.name] else "",  # type: ignore[arg-type]
            ]
        )
    header = ["lever", "owner", "unit", "now", "needed", "change", "bound"]
    return render_table(header, rows, title="Levers", align="lllrrrl")


def _binding(lever: Lever, side: str, unit: str | None) -> str:
    ends = f"[{format_message(lever.low, unit)}, {format_message(lever.high, unit)}]"
    what = "end of benchmark" if lever.limits == "benchmark" else "bound"
    return f"at {side} {what} {ends}"


def warning_text(solution: Solution, warning: LeverWarning) -> str:
    """``sql_rate: stretch: 0.638 against a benchmark of 0.2-0.3`` or ``sql_rate: 11.3 %
    trips its alert (below 15.0 %)``: each number in the node's unit, as the tables show it."""
    node = solution.tree.nodes[warning.lever]

    def show(value: float | None) -> str:
        return "" if value is None else format_message(value, node.unit)

    if warning.kind == "beyond_benchmark":
        low, high = warning.low, warning.high
        if low is not None and high is not None and low != high:
            bench = f"{show(low).removesuffix(' %')}-{show(high)}"
        elif high is not None and (low is None or low == high):
            bench = f"at most {show(high)}" if low is None else show(high)
        else:
            bench = f"at least {show(low)}"
        return f"{warning.lever}: stretch: {show(warning.value)} against a benchmark of {bench}"
    side = "below" if warning.low is not None else "above"
    return f"{warning.lever}: {show(warning.value)} trips its alert ({side} {show(warning.limit)})"


def cascade_table(cascade: Cascade) -> str:
    """Every node's plan and target by owner (the goal marked ``*``, levers ``>``); for a
    timed tree the total over the periods of a flow."""
    return _departments(cascade) + "\n"


def _departments(cascade: Cascade) -> str:
    timed = cascade.periods is not None
    rows = []
    for owner, members in cascade.departments().items():
        for index, row in enumerate(members):
            marker = "* " if row.node == cascade.node else ("> " if row.lever else "  ")
            cells = [
                owner if index == 0 else "",
                marker + row.node,
                row.unit,
                format_number(row.plan, row.unit),
                format_number(row.target, row.unit),
                _change(row.change),
            ]
            if timed:
                cells.append(format_number(row.total, row.unit) if row.total is not None else "")
            rows.append(cells)
    header = ["owner", "node", "unit", "plan", "target", "change"]
    title = "Targets by department (* goal, > lever)"
    if timed:
        header[3:5] = [f"plan {cascade.periods[-1]}", f"target {cascade.periods[-1]}"]  # type: ignore[index]
        header.append("target total")
        title += "; total: sum over the periods, for flows"
    return render_table(header, rows, title=title, align="lllrrr" + "r" * timed, marked=1)


def _change(change: float) -> str:
    return "" if change == 0 else format_percent(change)


def _per_period(solution: Solution) -> str:
    cascade = solution.cascade()
    periods = list(cascade.periods or ())
    rows = [
        [row.node, row.owner, row.unit,
         *(format_number(v, row.unit) for v in row.periods or ()),
         format_number(row.total, row.unit) if row.total is not None else ""]
        for row in cascade.rows
    ]  # fmt: skip
    header = ["node", "owner", "unit", *periods, "total"]
    title = "Target cascade per period (from the goal down)"
    return render_table(header, rows, title=title, align="lll" + "r" * (len(periods) + 1))


def _with_unit(value: float, unit: str | None) -> str:
    text = format_number(value, unit)
    return f"{text} {unit}" if unit and unit not in (*PERCENT_UNITS, "ratio") else text


def _value(value: float | tuple[float, ...], unit: str | None) -> str:
    if isinstance(value, tuple):
        return f"{format_number(sum(value), unit)} total"
    return format_number(value, unit)


def solution_json(solution: Solution) -> str:
    """The documented JSON object (see :meth:`Solution.to_dict`)."""
    return to_json(solution.to_dict()) + "\n"


def solution_csv(solution: Solution) -> str:
    """The cascade: one row per node with owner, unit, plan, target, change, per period."""
    return to_csv(solution.cascade().to_frame())
