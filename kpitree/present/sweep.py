"""A :class:`~kpitree.analysis.sweep.Sweep` as a terminal table, JSON or CSV."""

from __future__ import annotations

from kpitree.analysis.sweep import COLUMNS, Sweep
from kpitree.present.export import to_csv, to_json
from kpitree.present.numbers import format_number, format_share
from kpitree.present.table import render_table


def sweep_table(result: Sweep) -> str:
    """A headline, then one row per grid point: the inputs, P(target), mean, p5, p50, p95."""
    tree = result.tree
    unit = tree.nodes[tree.kgi].unit
    sign = ">=" if tree.kgi_sign > 0 else "<="
    when = f" at {tree.periods[-1]}" if tree.periods else ""
    goal = (
        "no target"
        if result.target is None
        else f"P({tree.kgi} {sign} {format_number(result.target, unit)}){when}"
    )
    lines = [
        f"{tree.name}: sweep of {', '.join(result.grid)} ({len(result.rows):,} points), {goal}; "
        f"{result.samples:,} paths per point, seed {result.seed}"
    ]
    if result.fixed:
        fixed = ", ".join(f"{name}={value}" for name, value in result.fixed.items())
        lines.append(f"fixed inputs: {fixed}")
    header = [*result.grid, *COLUMNS]
    rows = []
    for row in result.rows:
        cells = [format_number(row[name], tree.nodes[name].unit) for name in result.grid]  # type: ignore[arg-type]
        p_target = row["p_target"]
        cells.append("-" if p_target is None else format_share(p_target))
        cells += [format_number(row[column], unit) for column in COLUMNS[1:]]  # type: ignore[arg-type]
        rows.append(cells)
    lines += ["", render_table(header, rows, align="r" * len(header))]
    return "\n".join(lines).rstrip("\n") + "\n"


def sweep_json(result: Sweep) -> str:
    """The documented JSON object (see :meth:`Sweep.to_dict`)."""
    return to_json(result.to_dict()) + "\n"


def sweep_csv(result: Sweep) -> str:
    """One row per grid point, full precision."""
    return to_csv(result.to_frame(), index=False)
