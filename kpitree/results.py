"""The contract every analysis result keeps, written down once.

A result is a frozen object that an analysis returns and presentation reads: it never prints.
Every result offers the same five ways to be read (``to_frame``, ``to_dict``, ``summary``,
``_repr_html_`` and a short ``repr``), and :mod:`kpitree.render` turns any of them into a
table, JSON, CSV, xlsx or HTML. The result classes inherit their display methods from
:class:`Shown`, so each names only the fields its ``repr`` shows and has no layout of its own.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

if TYPE_CHECKING:
    import pandas as pd

FIELD_NAMES = ("tree", "kgi", "node", "period", "scenario", "seed")
"""The names results use for the same concept: ``kgi`` is always the tree's goal node,
``node`` the node explained (which may be the KGI)."""

HTML_ROWS = 20
"""Rows a notebook shows of a result's frame before it elides the middle."""


@runtime_checkable
class Result(Protocol):
    """What every analysis result provides.

    ``plot(ax=None, **kw)`` is offered by the results that draw; it is not part of the
    Protocol because an evaluation or an alert list has no single chart.
    """

    def to_frame(self) -> pd.DataFrame:
        """The result as a pandas DataFrame (period frames carry a ``PeriodIndex``)."""
        ...

    def to_dict(self) -> dict[str, Any]:
        """The result as JSON-ready data: what ``--format json`` prints."""
        ...

    def summary(self) -> str:
        """The text table the command line prints."""
        ...

    def _repr_html_(self) -> str:
        """A compact HTML table for Jupyter."""
        ...


def last_label(tree: Any) -> str | None:
    """The label of ``tree``'s last period, the one an analysis of "the KGI at the last
    period" explains; ``None`` for a static tree."""
    labels = getattr(tree, "periods", None)
    return str(labels[-1]) if labels else None


def summary_of(result: Any) -> str:
    """The text table of ``result``, as the command line prints it."""
    from kpitree.render import render

    text = render(result, "table")
    return text if isinstance(text, str) else text.decode("utf-8")


def html_of(result: Any) -> str:
    """``result``'s tables in compact HTML: the terminal's tables with at most
    :data:`HTML_ROWS` rows among them, every text escaped."""
    from kpitree.render import render_html

    return render_html(result, max_rows=HTML_ROWS, page=False)


def repr_of(result: Any, *fields: str) -> str:
    """A one-line ``repr``: the class and a few identifying fields (a forecast's arrays stay
    out, they made its repr 20,000 characters long)."""
    parts = []
    for name in ("tree", "kgi", "node", *fields):
        if not hasattr(result, name):
            continue
        value = getattr(result, name)
        if name == "tree" and hasattr(value, "name"):
            value = value.name
        # Only plain values: a comparison's plan is a dict of arrays.
        if isinstance(value, str | int | float | bool | dt.date):
            parts.append(f"{name}={value!r}")
    return f"{type(result).__name__}({', '.join(parts)})"


class Shown:
    """``summary()``, ``_repr_html_()`` and a one-line ``repr`` for a result class (a
    dataclass using it is declared with ``repr=False`` so this ``repr`` is kept).

    ``_repr_fields`` names what the ``repr`` shows beside ``tree``, ``kgi`` and ``node``.
    """

    _repr_fields: ClassVar[tuple[str, ...]] = ()

    def summary(self) -> str:
        """The text table the command line prints."""
        return summary_of(self)

    def _repr_html_(self) -> str:
        return html_of(self)

    def __repr__(self) -> str:
        return repr_of(self, *self._repr_fields)
