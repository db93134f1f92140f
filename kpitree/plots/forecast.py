"""Charts of a :class:`~kpitree.analysis.forecast.Forecast`: the fan chart over periods and the
histogram of the last period, each with the target line."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter, MaxNLocator

from kpitree.plots.figures import new_axes, new_figure
from kpitree.plots.fonts import with_fonts
from kpitree.present.numbers import PERCENT_UNITS, format_number, format_share
from kpitree.present.table import fit

if TYPE_CHECKING:
    from kpitree.analysis.forecast import Forecast

BANDS = ((5, 95), (10, 90), (25, 75))
COLOR = "tab:blue"
TARGET_COLOR = "tab:red"
ACTUAL_COLOR = "black"
LABEL_BOX = {"facecolor": "white", "alpha": 0.8, "edgecolor": "none", "pad": 1}


def _axes(ax: Axes | None) -> Axes:
    if ax is not None:
        return ax
    return new_axes(9, 5)


def _compact(value: float, unit: str | None) -> str:
    """Tick labels short enough not to collide: 1.25 bn, 830 M, 12.5 k."""
    if unit in PERCENT_UNITS:
        return format_number(value, unit)
    for scale, suffix in ((1e9, " bn"), (1e6, " M"), (1e3, " k")):
        if abs(value) >= scale:
            return f"{value / scale:,.3g}{suffix}"
    return format_number(value, unit)


def _value_formatter(unit: str | None) -> FuncFormatter:
    return FuncFormatter(lambda value, _position: _compact(value, unit))


def _title(result: Forecast) -> str:
    node = result.tree.nodes[result.node]
    return node.title + (f" ({node.unit})" if node.unit else "")


@with_fonts
def plot_fan(result: Forecast, ax: Axes | None = None) -> Axes:
    """Quantile bands (5-95, 10-90, 25-75 %) and the median per period, with the target; for
    a forecast from actuals, the actuals as a line and the bands from the last of them on.

    Parameters
    ----------
    result : Forecast
    ax : matplotlib Axes, optional
        Drawn into; by default a new pyplot figure (shown inline in a notebook).

    Returns
    -------
    matplotlib Axes
    """
    ax = _axes(ax)
    labels = list(result.periods) if result.periods else ["value"]
    x = list(range(len(labels)))
    # The bands start at the last actual so they hang from the actual line.
    first = 0 if result.actual is None else len(result.actual) - 1
    band = x[first:]
    for alpha, (low, high) in zip((0.18, 0.3, 0.45), BANDS, strict=True):
        ax.fill_between(
            band, result.quantiles[low][first:], result.quantiles[high][first:], color=COLOR,
            alpha=alpha, linewidth=0, label=f"{low}-{high} %",
        )  # fmt: skip
    ax.plot(band, result.quantiles[50][first:], color=COLOR, linewidth=2, label="median")
    ax.plot(band, result.mean[first:], color="black", linewidth=1, linestyle=":", label="mean")
    if result.actual is not None:
        ax.plot(
            x[: first + 1], result.actual, color=ACTUAL_COLOR, linewidth=2, marker="o",
            markersize=3, label=f"actual to {result.actual_through}",
        )  # fmt: skip
    spanned = result.target_label is not None and result.target_label not in (result.periods or ())
    if result.target is not None and spanned:
        # A quarter or year target is met by the roll-up over it, not by any one period's
        # value: a line across the periods would be read against the wrong numbers.
        share = (
            ""
            if result.p_target is None
            else f", reached on {format_share(result.p_target, 0)} of paths"
        )
        ax.annotate(
            f"target {format_number(result.target, result.unit)} over "
            f"{result.target_label}{share}",
            (0, 1), xycoords="axes fraction", xytext=(4, -4), textcoords="offset points",
            va="top", color=TARGET_COLOR, fontsize=9, bbox=LABEL_BOX,
        )  # fmt: skip
    elif result.target is not None:
        ax.axhline(result.target, color=TARGET_COLOR, linestyle="--", linewidth=1.2)
        share = (
            ""
            if result.p_target is None
            else f", reached on {format_share(result.p_target, 0)} of paths"
        )
        ax.annotate(
            f"target {format_number(result.target, result.unit)}{share}",
            (0, result.target), xytext=(4, 4), textcoords="offset points",
            color=TARGET_COLOR, fontsize=9, bbox=LABEL_BOX,
        )  # fmt: skip
    step = max(1, -(-len(labels) // 12))
    ax.set_xticks(x[::step], labels[::step], rotation=45 if len(labels) > 6 else 0, ha="right")
    ax.set_xlim(x[0] - 0.3, x[-1] + 0.3)
    ax.yaxis.set_major_formatter(_value_formatter(result.unit))
    ax.yaxis.set_major_locator(MaxNLocator(7))
    ax.set_ylabel(_title(result))
    scenario = f" (scenario {result.scenario})" if result.scenario else ""
    landing = f" from actuals to {result.actual_through}" if result.actual is not None else ""
    ax.set_title(
        f"{result.tree.name}{scenario}: forecast of {result.node}{landing}, "
        f"{result.samples:,} paths"
    )
    ax.legend(loc="lower right", fontsize=8, frameon=False)
    ax.grid(alpha=0.3)
    return ax


@with_fonts
def plot_histogram(result: Forecast, ax: Axes | None = None, bins: int = 60) -> Axes:
    """Histogram of the node at the last period over all paths, with the target line.

    Parameters
    ----------
    result : Forecast
    ax : matplotlib Axes, optional
    bins : int
        Number of bars.

    Returns
    -------
    matplotlib Axes
    """
    ax = _axes(ax)
    ax.hist(result.final, bins=bins, color=COLOR, alpha=0.75)
    if result.target is not None:
        ax.axvline(result.target, color=TARGET_COLOR, linestyle="--", linewidth=1.2)
        text = "target"
        if result.p_target is not None:
            text += f"\nP({result.meets} target) = {format_share(result.p_target)}"
        ax.annotate(
            text, (result.target, 1), xycoords=("data", "axes fraction"), xytext=(4, -4),
            textcoords="offset points", va="top", color=TARGET_COLOR, fontsize=9, bbox=LABEL_BOX,
        )  # fmt: skip
    ax.xaxis.set_major_formatter(_value_formatter(result.unit))
    ax.xaxis.set_major_locator(MaxNLocator(5))
    where = f" at {result.periods[-1]}" if result.periods else ""
    ax.set_xlabel(_title(result) + where)
    ax.set_ylabel("paths")
    ax.set_title(f"{fit(result.tree.nodes[result.node].title, 60)}{where}")
    ax.grid(alpha=0.3)
    return ax


@with_fonts
def forecast_figure(result: Forecast) -> Any:
    """A figure with the fan chart (left) and the last period's histogram (right)."""
    figure = new_figure(13, 5)
    fan, histogram = figure.subplots(1, 2, width_ratios=(1.8, 1))
    plot_fan(result, ax=fan)
    plot_histogram(result, ax=histogram)
    return figure
