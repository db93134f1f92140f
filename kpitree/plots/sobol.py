"""Bar charts of a :class:`~kpitree.analysis.sobol.Sobol` result (S1 and ST per input) and
of a :class:`~kpitree.analysis.shapley.Shapley` result (one effect per input)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.axes import Axes

from kpitree.plots.figures import new_axes
from kpitree.plots.fonts import with_fonts
from kpitree.present.table import fit

if TYPE_CHECKING:
    from kpitree.analysis.shapley import Shapley
    from kpitree.analysis.sobol import Sobol


@with_fonts
def plot_sobol(result: Sobol, ax: Axes | None = None, **style: Any) -> Axes:
    """Horizontal bars of S1 and ST per input (largest ST on top), with 95 % intervals.

    Inputs are named by their labels (their names when they have none).

    Parameters
    ----------
    result : Sobol
    ax : matplotlib Axes, optional
        Drawn into; by default a new pyplot figure (shown inline in a notebook).
    **style
        Keywords of :meth:`matplotlib.axes.Axes.barh` (``alpha``, ``edgecolor``...), applied
        to both series of bars.

    Returns
    -------
    matplotlib Axes
    """
    if ax is None:
        ax = new_axes(8, 1.5 + 0.45 * len(result.names))
    order = np.argsort(result.ST)
    y = np.arange(len(order))
    bar = 0.38
    ax.barh(
        y + bar / 2, result.ST[order], bar, xerr=result.ST_conf[order],
        **{"color": "tab:orange", "label": "total order ST", "capsize": 2, **style},
    )  # fmt: skip
    ax.barh(
        y - bar / 2, result.S1[order], bar, xerr=result.S1_conf[order],
        **{"color": "tab:blue", "label": "first order S1", "capsize": 2, **style},
    )  # fmt: skip
    ax.set_yticks(y, [_label(result, result.names[i]) for i in order])
    ax.set_xlim(0, max(1.0, float(np.max(result.ST + result.ST_conf)) * 1.05))
    goal = _label(result, result.tree.kgi)
    ax.set_xlabel("share of the variance of " + goal)
    scenario = f" (scenario {result.scenario})" if result.scenario else ""
    ax.set_title(f"{result.tree.name}{scenario}: Sobol indices of {goal}, N = {result.samples:,}")
    ax.legend(loc="lower right", frameon=False)
    ax.grid(axis="x", alpha=0.3)
    return ax


@with_fonts
def plot_shapley(result: Shapley, ax: Axes | None = None, **style: Any) -> Axes:
    """Horizontal bars of the Shapley effects (largest on top), with 95 % intervals.

    Inputs are named by their labels (their names when they have none).

    Parameters
    ----------
    result : Shapley
    ax : matplotlib Axes, optional
        Drawn into; by default a new pyplot figure (shown inline in a notebook).
    **style
        Keywords of :meth:`matplotlib.axes.Axes.barh` (``color``, ``alpha``...).

    Returns
    -------
    matplotlib Axes
    """
    if ax is None:
        ax = new_axes(8, 1.5 + 0.35 * len(result.names))
    order = np.argsort(result.effects)
    y = np.arange(len(order))
    ax.barh(
        y, result.effects[order], 0.6, xerr=result.effects_conf[order],
        **{"color": "tab:green", "label": "Shapley effect", "capsize": 2, **style},
    )  # fmt: skip
    ax.set_yticks(y, [_label(result, result.names[i]) for i in order])
    ax.set_xlim(0, max(1.0, float(np.max(result.effects + result.effects_conf)) * 1.05))
    goal = _label(result, result.tree.kgi)
    ax.set_xlabel("share of the variance of " + goal)
    scenario = f" (scenario {result.scenario})" if result.scenario else ""
    ax.set_title(
        f"{result.tree.name}{scenario}: Shapley effects of {goal}, {result.orders:,} orders"
    )
    ax.grid(axis="x", alpha=0.3)
    return ax


def _label(result: Sobol | Shapley, name: str) -> str:
    """The node's label (cut to 40 characters), or its name (a name the tree does not hold
    is shown as it is)."""
    node = result.tree.nodes.get(name)
    return fit(node.title, 40) if node is not None else name
