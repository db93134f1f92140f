"""The tree diagram: one box per node (label, value, unit, owner), coloured by status.

The KGI is at the top, inputs towards the bottom (:mod:`kpitree.plots.layout`). Box sizes come
from the text they hold, measured in points, so the drawing is laid out in points: a figure
made here is as large as the tree needs and the text is always ``fontsize`` points; drawn into
a given axes, the whole drawing (text included) is scaled to fit.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Patch
from matplotlib.path import Path
from matplotlib.textpath import TextToPath

from kpitree.analysis.batch import resolve_period
from kpitree.analysis.status import Status, statuses
from kpitree.errors import DataError
from kpitree.plots.figures import new_figure
from kpitree.plots.fonts import with_fonts
from kpitree.plots.layout import Layout, layered_layout
from kpitree.present.numbers import PERCENT_UNITS, format_number
from kpitree.present.table import fit
from kpitree.targets import TargetError, span_of, target_at

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from kpitree.evaluation import Evaluation
    from kpitree.node import Node
    from kpitree.tree import Tree

COLOURS = {  # (fill, border): light fills keep black text readable
    Status.ON_TRACK: ("#d8f0d2", "#2e7d32"),
    Status.AT_RISK: ("#ffe7b8", "#e08a00"),
    Status.OFF_TRACK: ("#f9d0d0", "#c62828"),
    Status.NONE: ("#f2f2f2", "#8a8a8a"),
}
LABEL_WIDTH = 24
"""Characters per line before a label wraps."""
PAD = 0.6
"""Padding inside a box, in units of the font size."""


@dataclass(frozen=True)
class _Line:
    text: str
    weight: str = "normal"
    style: str = "normal"
    colour: str = "black"


@with_fonts
def plot_tree(
    tree: Tree,
    evaluation: Evaluation | None = None,
    ax: Axes | None = None,
    period: str | int | None = None,
    *,
    fontsize: float = 8.0,
) -> Axes:
    """Draw ``tree`` as boxes and arrows, the KGI at the top.

    Parameters
    ----------
    tree : Tree
    evaluation : Evaluation, optional
        Values to show and colour by (see :mod:`kpitree.analysis.status`); without it the
        boxes show inputs' own values and no status.
    ax : matplotlib Axes, optional
        Draw here (scaled to fit); by default a new pyplot figure sized to the tree (shown
        inline in a notebook, by ``plt.show()`` elsewhere).
    period : str or int, optional
        The period shown (a label or 1-based number), the last by default. A quarter or year
        label of a finer axis is refused with the month to give instead: each box shows one
        period's value, and a quarter's target is judged at its last month.
    fontsize : float
        Text size in points when the figure is made here.

    Returns
    -------
    matplotlib Axes
    """
    _check_one_period(tree, period)
    index = resolve_period(tree, period)
    status = statuses(evaluation, index + 1 if tree.is_timed else None) if evaluation else {}
    texts, layout = boxes_laid_out(tree, evaluation, index, fontsize)
    margin = 1.5 * fontsize
    title_band, legend_band = 3.2 * fontsize, 3.0 * fontsize
    # A small tree is narrower than its one-row legend: widen the drawing to fit the legend.
    content = max(layout.width, _legend_width(evaluation is not None, fontsize))
    width = content + 2 * margin
    height = layout.height + 2 * margin + title_band + legend_band
    if ax is None:
        figure = new_figure(width / 72, height / 72, layout=None)
        ax = figure.add_axes((0, 0, 1, 1))
        scale = 1.0
    else:
        box = ax.get_position()
        inches = ax.figure.get_size_inches()  # type: ignore[union-attr]
        scale = min(box.width * inches[0] * 72 / width, box.height * inches[1] * 72 / height)
    ax.set_xlim(-margin, content + margin)
    ax.set_ylim(-margin - legend_band, layout.height + margin + title_band)
    ax.set_aspect("equal")
    ax.set_axis_off()
    _draw_edges(ax, layout, fontsize)
    _draw_boxes(ax, layout, texts, status, fontsize, scale, tree.kgi)
    size = fontsize * scale
    ax.text(
        0, layout.height + margin + title_band / 2, _title(tree, evaluation, index),
        fontsize=1.3 * size, fontweight="bold", va="center", ha="left", parse_math=False,
    )  # fmt: skip
    _legend(ax, evaluation is not None, size, margin, legend_band)
    return ax


def _check_one_period(tree: Tree, period: str | int | None) -> None:
    """Refuse a quarter or year label, naming the month that shows its target judged."""
    if not isinstance(period, str) or tree.time is None or tree.time.index_of(period) is not None:
        return
    try:
        first, last = span_of(period, tree.time)
    except TargetError:
        return  # not a span either: resolve_period says what the periods are
    labels = tree.time.labels
    raise DataError(
        f"the tree diagram shows one period, and '{period}' spans {labels[first]} .. "
        f"{labels[last]}: give one of its periods, such as {labels[last]} (the last, where "
        f"a target of '{period}' is judged on the roll-up)"
    )


def boxes_laid_out(
    tree: Tree, evaluation: Evaluation | None, index: int, fontsize: float
) -> tuple[dict[str, list[_Line]], Layout]:
    """Each node's box text at period ``index`` (0-based) and the layered layout of boxes
    measured for it at ``fontsize`` points: what the PNG draws and the dashboard places."""
    texts = {
        name: _box_lines(node, _value(tree, node, evaluation, index), _target(tree, name, index))
        for name, node in tree.nodes.items()
    }
    sizes = {name: _measure(lines, fontsize) for name, lines in texts.items()}
    layout = layered_layout(tree.graph, tree.kgi, sizes, gap_x=1.5 * fontsize, gap_y=3.5 * fontsize)
    return texts, layout


def _value(tree: Tree, node: Node, evaluation: Evaluation | None, index: int) -> float | None:
    if evaluation is not None:
        return float(np.atleast_1d(evaluation.values[node.name])[index])
    if node.value is None:
        return None
    return float(node.value[index] if isinstance(node.value, tuple) else node.value)


def _target(tree: Tree, name: str, index: int) -> str | None:
    """The target judged at the period shown (``target 2027-Q1 1,000``), else the last one."""
    milestone = target_at(tree.nodes[name], tree.time, index)
    node = tree.nodes[name]
    if milestone is not None and milestone.label:
        return f"target {milestone.label} {format_number(milestone.value, node.unit)}"
    if node.target is not None:
        return f"target {format_number(node.target, node.unit)}"
    return None


def _box_lines(node: Node, value: float | None, target: str | None = None) -> list[_Line]:
    # Long text is cut (three label lines, one owner line) so a box stays a box.
    title = textwrap.wrap(
        fit(node.title, 3 * LABEL_WIDTH), LABEL_WIDTH, max_lines=3, placeholder=" …"
    )
    lines = [_Line(text, weight="bold") for text in title]
    unit = f" {node.unit}" if node.unit and node.unit not in PERCENT_UNITS else ""
    if node.ages is not None:
        # A curve by age: its first ages, and its scale when that is not 1 as written.
        shown = ", ".join(f"{age:.3g}" for age in node.ages[:4]) + ", …" * (len(node.ages) > 4)
        scale = f" × {value:.3g}" if value is not None and value != 1 else ""
        lines.append(_Line(f"by age: {shown}{scale}"))
    elif value is not None:
        lines.append(_Line(format_number(value, node.unit) + unit))
    else:
        lines.append(_Line(f"({node.unit})" if node.unit else "", colour="#555555"))
    rules = []
    if target is not None:
        rules.append(target)
    if node.alert is not None:
        rules.append("alert " + node.alert.describe())
    if rules:
        lines.append(_Line(", ".join(rules), colour="#444444"))
    if node.owner:
        lines.append(_Line(fit(node.owner, 2 * LABEL_WIDTH), style="italic", colour="#333333"))
    return lines


_TEXT_PATH = TextToPath()


def _measure(lines: list[_Line], fontsize: float) -> tuple[float, float]:
    """Box size in points: the widest line (measured from the font's glyphs) plus padding."""
    widest = 0.0
    for line in lines:
        font = FontProperties(size=fontsize, weight=line.weight, style=line.style)  # type: ignore[arg-type]
        width, _, _ = _TEXT_PATH.get_text_width_height_descent(line.text, font, ismath=False)
        widest = max(widest, width)
    # 5 % slack: glyph hinting at low resolution can make text a little wider than its outline.
    return widest * 1.05 + 2 * PAD * fontsize, _line_height(fontsize) * len(
        lines
    ) + 2 * PAD * fontsize


def _line_height(fontsize: float) -> float:
    return 1.3 * fontsize


def _draw_boxes(
    ax: Axes,
    layout: Layout,
    texts: dict[str, list[_Line]],
    status: dict[str, Status],
    fontsize: float,
    scale: float,
    kgi: str,
) -> None:
    size = fontsize * scale
    for name, box in layout.boxes.items():
        fill, border = COLOURS[status.get(name, Status.NONE)]
        ax.add_patch(
            FancyBboxPatch(
                (box.left, box.bottom), box.width, box.height,
                boxstyle=f"round,pad=0,rounding_size={0.4 * fontsize}",
                facecolor=fill, edgecolor=border, linewidth=(2.2 if name == kgi else 1.0) * scale,
                zorder=3, gid=name,
            )
        )  # fmt: skip
        top = box.top - PAD * fontsize
        for number, line in enumerate(texts[name]):
            ax.text(
                box.x, top - (number + 0.5) * _line_height(fontsize), line.text,
                fontsize=size, fontweight=line.weight, fontstyle=line.style, color=line.colour,
                ha="center", va="center_baseline", zorder=4, parse_math=False,
            )  # fmt: skip


def _draw_edges(ax: Axes, layout: Layout, fontsize: float) -> None:
    for edge in layout.edges:
        style = {
            "arrowstyle": f"-|>,head_length={0.5 * fontsize / 8},head_width={0.25 * fontsize / 8}",
            "mutation_scale": 10,
            "color": "#555555" if edge.layered else "#8a5a9e",
            "linewidth": 0.8,
            "linestyle": "--" if edge.lag else "-",
            "zorder": 2 if edge.layered else 5,
            "gid": f"{edge.source}->{edge.target}",
        }
        if edge.layered:
            patch = FancyArrowPatch(path=Path(edge.points), **style)  # type: ignore[arg-type]
        else:
            start, end = edge.points
            rad = -1.6 if edge.source == edge.target else 0.3
            patch = FancyArrowPatch(start, end, connectionstyle=f"arc3,rad={rad}", **style)  # type: ignore[arg-type]
        ax.add_patch(patch)


def _title(tree: Tree, evaluation: Evaluation | None, index: int) -> str:
    goal = tree.nodes[tree.kgi]
    text = f"{tree.name}: {goal.title}"
    if tree.periods is not None:
        text += f" at {tree.periods[index]}"
    if evaluation is not None and evaluation.scenario:
        text += f" (scenario {evaluation.scenario})"
    return text


def _legend_labels(coloured: bool) -> list[str]:
    statuses = [status.value for status in COLOURS] if coloured else []
    return [*statuses, "feeds (same period)", "earlier periods (prev/delay/cohort)"]


def _legend_width(coloured: bool, fontsize: float) -> float:
    """The one-row legend's width in points: each label, its handle and the gaps."""
    font = FontProperties(size=fontsize)
    labels = _legend_labels(coloured)
    text = sum(
        _TEXT_PATH.get_text_width_height_descent(label, font, ismath=False)[0] for label in labels
    )
    # handlelength 2.5 + handletextpad 0.8 + columnspacing 2.0 font sizes per entry, borders.
    return text * 1.05 + len(labels) * 5.3 * fontsize + 0.4 * fontsize


def _legend(ax: Axes, coloured: bool, size: float, margin: float, band: float) -> None:
    handles: list[Patch | Line2D] = []
    if coloured:
        handles += [Patch(facecolor=fill, edgecolor=border) for fill, border in COLOURS.values()]
    handles += [
        Line2D([], [], color="#555555", linewidth=0.8),
        Line2D([], [], color="#555555", linewidth=0.8, linestyle="--"),
    ]
    ax.legend(
        handles=handles, labels=_legend_labels(coloured), loc="lower left", ncol=len(handles),
        fontsize=size, frameon=False, bbox_to_anchor=(0, 0), borderaxespad=0.2, handlelength=2.5,
    )  # fmt: skip
