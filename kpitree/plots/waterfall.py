"""Waterfall chart of an :class:`~kpitree.analysis.attribution.Attribution`: from the base
value of the KGI, one bar per input's contribution, to the new value.

Labels never overlap: the value above each bar and the name below it are measured (in points,
from the font's glyphs) against the room each bar has, and turned upright when they do not fit
side by side; a figure made here is widened with the number of bars.
"""

from __future__ import annotations

import math
import textwrap
from typing import TYPE_CHECKING, Any

from matplotlib.font_manager import FontProperties
from matplotlib.textpath import TextToPath
from matplotlib.ticker import FuncFormatter

from kpitree.plots.figures import new_axes
from kpitree.plots.fonts import with_fonts
from kpitree.present.numbers import format_number, format_signed
from kpitree.present.table import fit

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from kpitree.analysis.attribution import Attribution

UP, DOWN, TOTAL = "#2a9d8f", "#e76f51", "#577590"
VALUE_SIZE, NAME_SIZE = 8.0, 9.0
"""Font sizes in points of the values above the bars and of the names below them."""
NAME_WIDTH = 18
"""Characters per line of a bar's name before it wraps (two lines at most)."""
SLACK = 1.25
"""Room kept beyond the measured text: constrained layout may narrow the axes a little."""
_TEXT_PATH = TextToPath()


@with_fonts
def plot_waterfall(
    result: Attribution, ax: Axes | None = None, *, top: int = 10, **style: Any
) -> Axes:
    """Draw base -> contributions (largest first) -> new as a waterfall.

    Bars are named by the inputs' labels (their names when they have none).

    Parameters
    ----------
    result : Attribution
    ax : matplotlib Axes, optional
        Drawn into; by default a new pyplot figure as wide as the bars need (shown inline in a
        notebook, by ``plt.show()`` elsewhere).
    top : int
        Inputs (and drivers) shown one by one; the rest share one bar ("other inputs").
    **style
        Keywords of :meth:`matplotlib.axes.Axes.bar` (``alpha``, ``width``, ``edgecolor``...);
        ``color`` replaces the up/down/total colours.

    Returns
    -------
    matplotlib Axes
    """
    unit = result.tree.nodes[result.node].unit
    changed = result.changed
    steps = [(_name(result, name), result.contributions[name]) for name in changed[:top]]
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
    if ax is None:
        ax = new_axes(max(9.0, 0.8 * len(labels) + 2.5), 5.5)
    positions = list(range(len(labels)))
    ax.bar(positions, heights, bottom=bottoms, **{"color": colors, "width": 0.6, **style})
    texts = [format_number(result.base, unit)]
    texts += [format_signed(value, unit) for _, value in steps]
    texts += [format_number(result.new, unit)]
    width, height = _axes_points(ax)
    room = width / (len(labels) + 0.2)  # the bars' pitch, with matplotlib's 5 % x margins
    value_upright = _widest(texts, VALUE_SIZE) * SLACK > room
    for x, bottom, size, text in zip(positions, bottoms, heights, texts, strict=True):
        ax.annotate(
            text, (x, bottom + size), xytext=(0, 3), textcoords="offset points", ha="center",
            va="bottom", fontsize=VALUE_SIZE, rotation=90 if value_upright else 0,
        )  # fmt: skip
    names = ["\n".join(textwrap.wrap(fit(label, 2 * NAME_WIDTH), NAME_WIDTH)) for label in labels]
    rotation = _name_rotation(names, room)
    ax.set_xticks(positions, names, rotation=rotation, fontsize=NAME_SIZE,
                  ha="right" if rotation == 30 else "center")  # fmt: skip
    ax.set_xlim(-0.6, len(labels) - 0.4)
    floor = _set_ylim(ax, result, bottoms, heights, texts, value_upright, height)
    ax.set_ylabel(f"{unit or result.node}{' (axis not from 0)' if floor > 0 else ''}")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: format_number(value, unit)))
    when = f" at {result.period}" if result.period and result.previous is None else ""
    ax.set_title(
        f"{result.tree.nodes[result.node].title}{when}: {result.base_label} -> "
        f"{result.new_label} ({format_signed(result.delta, unit)})"
    )
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    return ax


def _name(result: Attribution, name: str) -> str:
    """An input's label (its name when it has none); a driver's own description."""
    if name in result.tree.nodes and name not in result.drivers:
        return result.tree.nodes[name].title
    return result.label_of(name)


def _axes_points(ax: Axes) -> tuple[float, float]:
    """The axes' width and height in points, as placed now."""
    box = ax.get_position()
    inches = ax.figure.get_size_inches()  # type: ignore[union-attr]
    # Constrained layout has not run yet: the y-axis labels will take about an inch.
    return max(box.width * inches[0] - 1.0, 1.0) * 72, max(box.height * inches[1], 1.0) * 72


def _size(text: str, fontsize: float) -> tuple[float, float]:
    """Width and height in points of ``text`` (lines stacked) at ``fontsize``."""
    font = FontProperties(size=fontsize)
    lines = text.split("\n")
    width = max(_TEXT_PATH.get_text_width_height_descent(line, font, ismath=False)[0]
                for line in lines)  # fmt: skip
    return width, 1.2 * fontsize * len(lines)


def _widest(texts: list[str], fontsize: float) -> float:
    return max(_size(text, fontsize)[0] for text in texts)


def _name_rotation(names: list[str], room: float) -> int:
    """Level when every name fits its bar's width, slanted when the slanted boxes still clear
    each other, upright otherwise."""
    sizes = [_size(name, NAME_SIZE) for name in names]
    if max(width for width, _ in sizes) * SLACK <= room:
        return 0
    slant = math.radians(30)
    if max(w * math.cos(slant) + h * math.sin(slant) for w, h in sizes) * SLACK <= room:
        return 30
    return 90


def _set_ylim(
    ax: Axes,
    result: Attribution,
    bottoms: list[float],
    heights: list[float],
    texts: list[str],
    upright: bool,
    axes_height: float,
) -> float:
    """Set the y range (room above the bars for their values); return its floor."""
    levels = [result.base, result.new, *(b for b in bottoms[1:-1])]
    low = min(levels)
    high = max(b + h for b, h in zip(bottoms, heights, strict=True))
    span = high - low if high > low else abs(high) or 1.0
    # Totals far from zero would leave the changes as slivers: start the axis near the lowest
    # level reached, as waterfall charts of KPIs usually do.
    floor = max(0.0, low - 0.6 * span) if low > 0 else min(ax.get_ylim()[0], low)
    label = _widest(texts, VALUE_SIZE) if upright else 1.2 * VALUE_SIZE
    share = min(0.6, (label + 8) * SLACK / axes_height)  # of the axes, above the highest bar
    ax.set_ylim(floor, max(high + 0.1 * span, (high - share * floor) / (1 - share)))
    return floor if low > 0 else 0.0
