"""Waterfall chart of an :class:`~kpitree.analysis.attribution.Attribution`: from the base
value of the KGI, one bar per input's contribution, to the new value."""

from __future__ import annotations

from typing import TYPE_CHECKING

from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from kpitree.plots.fonts import with_fonts
from kpitree.present.numbers import format_number, format_signed

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from kpitree.analysis.attribution import Attribution

UP, DOWN, TOTAL = "#2a9d8f", "#e76f51", "#577590"


@with_fonts
def plot_waterfall(result: Attribution, ax: Axes | None = None, *, top: int = 10) -> Axes:
    """Draw base -> contributions (largest first) -> new as a waterfall.

    Parameters
    ----------
    result : Attribution
    ax : matplotlib Axes, optional
        Drawn on a new figure when omitted.
    top : int
        Inputs (and drivers) shown one by one; the rest share one bar ("other inputs").

    Returns
    -------
    matplotlib Axes
    """
    if ax is None:
        ax = Figure(figsize=(9, 5), layout="constrained").subplots()
    unit = result.tree.nodes[result.node].unit
    changed = result.changed
    steps = [(result.label_of(name), result.contributions[name]) for name in changed[:top]]
    rest = changed[top:]
    if rest:
        others = "other inputs" if result.previous is None else "others"
        steps.append((f"{len(rest)} {others}", sum(result.contributions[n] for n in rest)))
    labels = [result.base_label]
    bottoms, heights, colors = [0.0], [result.base], [TOTAL]
    level = result.base
    for label, value in steps:
        labels.append(label)
        bottoms.append(level if value >= 0 else level + value)
        heights.append(abs(value))
        colors.append(UP if value >= 0 else DOWN)
        level += value
    labels.append(result.new_label)
    bottoms.append(0.0)
    heights.append(result.new)
    colors.append(TOTAL)
    positions = range(len(labels))
    ax.bar(positions, heights, bottom=bottoms, color=colors, width=0.6)
    texts = [format_number(result.base, unit)]
    texts += [format_signed(value, unit) for _, value in steps]
    texts += [format_number(result.new, unit)]
    for x, bottom, height, text in zip(positions, bottoms, heights, texts, strict=True):
        ax.annotate(text, (x, bottom + height), xytext=(0, 3), textcoords="offset points",
                    ha="center", va="bottom", fontsize=8)  # fmt: skip
    # Totals far from zero would leave the changes as slivers: start the axis near the lowest
    # level reached, as waterfall charts of KPIs usually do.
    levels = [result.base, result.new, *(b for b in bottoms[1:-1])]
    low, high = min(levels), max(b + h for b, h in zip(bottoms, heights, strict=True))
    span = high - low if high > low else abs(high) or 1.0
    floor = 0.0
    if low > 0:
        floor = max(0.0, low - 0.6 * span)
        ax.set_ylim(floor, high + 0.15 * span)
    ax.set_ylabel(f"{unit or result.node}{' (axis not from 0)' if floor > 0 else ''}")
    ax.set_xticks(list(positions), labels, rotation=30, ha="right", fontsize=9)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: format_number(value, unit)))
    when = f" at {result.period}" if result.period and result.previous is None else ""
    ax.set_title(
        f"{result.tree.nodes[result.node].title}{when}: {result.base_label} -> "
        f"{result.new_label} ({format_signed(result.delta, unit)})"
    )
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    return ax
