"""The lines that say what a simulation was run on: the inputs fixed and what that changed."""

from __future__ import annotations

from collections.abc import Mapping

from kpitree.node import Value
from kpitree.present.numbers import format_number
from kpitree.tree import Tree


def fixed_value(value: Value, unit: str | None = None) -> str:
    """``0.3`` -> ``0.3``; one value per period -> ``[v1, v2, ...]``."""
    if isinstance(value, tuple):
        return "[" + ", ".join(format_number(v, unit) for v in value) + "]"
    return format_number(value, unit)


def fixed_values(tree: Tree, fixed: Mapping[str, Value]) -> str:
    """``win_rate = 0.28, churn_rate = 0.008``."""
    return ", ".join(
        f"{name} = {fixed_value(value, tree.nodes[name].unit)}" for name, value in fixed.items()
    )


def fixed_line(tree: Tree, fixed: Mapping[str, Value]) -> str:
    """``fixed inputs: win_rate = 0.28, churn_rate = 0.008``."""
    return f"fixed inputs: {fixed_values(tree, fixed)}"


def assumption_lines(tree: Tree, fixed: Mapping[str, Value], notes: tuple[str, ...]) -> list[str]:
    """:func:`fixed_line` then one ``note: ...`` line per note; nothing when the run was on
    the tree's own values."""
    lines = [fixed_line(tree, fixed)] if fixed else []
    return lines + [f"note: {note}" for note in notes]
