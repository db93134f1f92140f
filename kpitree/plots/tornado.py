"""The tornado chart: one horizontal bar per input, from the KGI at its low to its high value."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from kpitree.plots.figures import new_axes
from kpitree.plots.fonts import with_fonts
from kpitree.present.numbers import format_number
from kpitree.present.table import fit
from kpitree.present.tornado import swing_text

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from kpitree.analysis.tornado import Tornado, TornadoBar

BETTER_COLOR = "#1b9e77"
WORSE_COLOR = "#d73027"
LABEL_WIDTH = 40
"""Characters of a label shown before it is cut (a long label would squeeze the bars)."""
LOW_HATCH = "///"
"""The segment of the input at its low value is hatched, so both ends stay told apart."""


@with_fonts
def plot_tornado(result: Tornado, ax: Axes | None = None, **style: Any) -> Axes:
    """Draw ``result`` as a tornado chart: largest spread on top, base KGI as a vertical line.

    Each bar runs from the base KGI to the KGI with the input at its low value (hatched) and at
    its high value (plain); a segment is green where it moves the KGI the better way (up, or
    down for a lower-is-better KGI such as CAC) and red where it worsens it. The tick label
    gives the input's label (its name when it has none) and swing. A ``*`` marks a swing cut
    back to the input's bounds.

    Parameters
    ----------
    result : Tornado
    ax : matplotlib Axes, optional
        Where to draw; by default a new pyplot figure sized to the number of bars (shown
        inline in a notebook, by ``plt.show()`` elsewhere).
    **style
        Keywords of :meth:`matplotlib.axes.Axes.barh` (``alpha``, ``height``, ``edgecolor``...),
        applied to every bar; ``color`` replaces the better/worse colours.

    Returns
    -------
    matplotlib Axes
    """
    bars = result.bars
    if ax is None:
        ax = new_axes(9, 1.2 + 0.45 * max(len(bars), 1))
    base = result.kgi_value
    positions = list(range(len(bars)))[::-1]  # largest spread at the top
    sign = -1.0 if result.direction == "lower" else 1.0
    for position, bar in zip(positions, bars, strict=True):
        ends = [(bar.kgi_low, LOW_HATCH), (bar.kgi_high, "")]
        # Both ends on one side of the base (an input outside its benchmark range): the longer
        # segment first, so the shorter one stays visible on top of it.
        ends.sort(key=lambda end: -abs(end[0] - base))
        for end, hatch in ends:
            color = BETTER_COLOR if sign * (end - base) > 0 else WORSE_COLOR
            drawn = {"color": color, "height": 0.6, "hatch": hatch, "edgecolor": "white",
                     "linewidth": 0, **style}  # fmt: skip
            ax.barh(position, end - base, left=base, **drawn)
    ax.set_yticks(positions, [_tick_label(bar) for bar in bars])
    ax.axvline(base, color="black", linewidth=1)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: format_number(x, result.kgi_unit)))
    ax.tick_params(axis="x", labelrotation=20)
    unit = f" ({result.kgi_unit})" if result.kgi_unit and result.kgi_unit != "%" else ""
    kgi_name = fit(result.kgi_label or result.kgi, LABEL_WIDTH)
    ax.set_xlabel(f"{kgi_name}{unit}")
    when = f" at {result.period}" if result.period else ""
    ax.set_title(
        f"{result.tree}: {kgi_name}{when}, base {format_number(base, result.kgi_unit)}\n"
        f"{swing_text(result)}",
        pad=22,
    )
    better = "lower" if sign < 0 else "higher"
    legend = [
        Patch(color=BETTER_COLOR, label=f"better for {kgi_name} ({better} is better)"),
        Patch(color=WORSE_COLOR, label=f"worse for {kgi_name}"),
        Patch(facecolor="grey", edgecolor="white", hatch=LOW_HATCH, label="input at its low value"),
    ]
    ax.legend(
        handles=legend,
        loc="lower center",
        bbox_to_anchor=(0.5, 1.0),
        ncol=3,
        fontsize=8,
        frameon=False,
    )
    ax.grid(axis="x", alpha=0.3)
    ax.set_axisbelow(True)
    return ax


def _tick_label(bar: TornadoBar) -> str:
    clipped = " *" if bar.clipped else ""
    low, high = format_number(bar.low_value, bar.unit), format_number(bar.high_value, bar.unit)
    mean = " (mean)" if bar.per_period else ""
    return f"{fit(bar.label or bar.name, LABEL_WIDTH)}{clipped}\n{low} .. {high}{mean}"
