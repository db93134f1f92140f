"""Chart of a :class:`~kpitree.analysis.sweep.Sweep`: P(target) over the grid.

Two inputs: a heat map of the chance of the target with its 50 % and 80 % contours (the
lever values that make the goal a coin toss, and likely). One input: the chance as a curve,
with the same two levels as lines.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from matplotlib.ticker import PercentFormatter

from kpitree.errors import DataError
from kpitree.plots.figures import new_axes
from kpitree.plots.fonts import with_fonts
from kpitree.present.numbers import format_number, format_share

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from kpitree.analysis.sweep import Sweep

LEVELS = (0.5, 0.8)
LEVEL_STYLES = ("--", "-")
COLORMAP = "viridis"


def _title(result: Sweep) -> str:
    tree = result.tree
    sign = ">=" if tree.kgi_sign > 0 else "<="
    target = format_number(result.target, tree.nodes[tree.kgi].unit)  # type: ignore[arg-type]
    return f"P({tree.kgi} {sign} {target}), {result.samples:,} paths, seed {result.seed}"


@with_fonts
def plot_sweep(result: Sweep, ax: Axes | None = None) -> Axes:
    """Draw P(target) over the sweep's grid: a heat map with contours, or a curve.

    Parameters
    ----------
    result : Sweep
        A sweep of one or two inputs with a target.
    ax : matplotlib Axes, optional
        Where to draw; a new figure by default.

    Returns
    -------
    matplotlib Axes

    Raises
    ------
    DataError
        For a sweep of more than two inputs, or without a target.
    """
    names = list(result.grid)
    if len(names) > 2:
        raise DataError(f"a sweep of {len(names)} inputs has no chart: plot one or two")
    if result.target is None:
        raise DataError(f"node '{result.tree.kgi}' has no target: P(target) cannot be drawn")
    if ax is None:
        ax = new_axes(8, 6)
    surface = result.surface("p_target")
    first = np.array(result.grid[names[0]])
    if len(names) == 1:
        ax.plot(first, surface, marker="o", color="tab:blue")
        for level, style in zip(LEVELS, LEVEL_STYLES, strict=True):
            ax.axhline(
                level, color="grey", linestyle=style, linewidth=1, label=format_share(level, 0)
            )
        ax.set_ylim(-0.02, 1.02)
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        ax.set_xlabel(names[0])
        ax.set_ylabel("P(target)")
        ax.legend(loc="best")
    else:
        second = np.array(result.grid[names[1]])
        # Rows follow the first input, columns the second: the first goes up the y axis.
        mesh = ax.pcolormesh(second, first, surface, shading="nearest", cmap=COLORMAP,
                             vmin=0.0, vmax=1.0)  # fmt: skip
        colorbar = ax.figure.colorbar(mesh, ax=ax, format=PercentFormatter(1.0))
        colorbar.set_label("P(target)")
        if len(first) > 1 and len(second) > 1:
            contours = ax.contour(second, first, surface, levels=list(LEVELS), colors="white",
                                  linestyles=list(LEVEL_STYLES), linewidths=1.5)  # fmt: skip
            ax.clabel(contours, fmt=lambda level: format_share(level, 0), fontsize=9)
        ax.set_xlabel(names[1])
        ax.set_ylabel(names[0])
    ax.set_title(_title(result))
    return ax
