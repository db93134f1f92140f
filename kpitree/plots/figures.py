"""New figures for plots drawn without an ``ax``, made through pyplot as matplotlib users expect.

A figure made by ``plt.figure`` is pyplot's current figure: a notebook shows it inline at the end
of the cell, ``plt.show()`` opens it, ``plt.gcf()`` and ``plt.savefig()`` reach it. Callers that
only write files (the command line, the HTML report) close it with :func:`close` once saved, so
no figure outlives its file.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


def new_figure(width: float, height: float, **options: Any) -> Figure:
    """A pyplot figure of ``width`` x ``height`` inches, laid out by matplotlib's constrained
    layout unless ``options`` says otherwise.

    Parameters
    ----------
    width, height : float
        Size in inches.
    **options
        Further keywords of :func:`matplotlib.pyplot.figure`.

    Returns
    -------
    matplotlib Figure
    """
    import matplotlib.pyplot as plt  # the backend is chosen only when a figure is wanted

    options.setdefault("layout", "constrained")
    return plt.figure(figsize=(width, height), **options)


def new_axes(width: float, height: float) -> Axes:
    """The one axes of a new pyplot figure of ``width`` x ``height`` inches (see
    :func:`new_figure`)."""
    return new_figure(width, height).add_subplot()


def close(figure: Figure) -> None:
    """Release ``figure`` from pyplot once it has been saved (a figure pyplot never held, or
    pyplot never imported, is left as it is)."""
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close(figure)
