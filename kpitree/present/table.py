"""Aligned plain-text tables for the terminal."""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

CELL_WIDTH = 80
"""The most terminal columns one table cell takes; longer text ends in an ellipsis."""
ELLIPSIS = "…"


@dataclass(frozen=True)
class DrawnTable:
    """One table a layout drew: its cells as given (before cutting) and the text it became."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    title: str | None
    align: str
    text: str
    marked: int | None = None


_drawn: ContextVar[list[DrawnTable] | None] = ContextVar("_drawn", default=None)


@contextmanager
def drawing() -> Iterator[list[DrawnTable]]:
    """Collect every table :func:`render_table` draws inside the block, in order: the HTML
    renderer lays a result out once, as text, and shows the same cells as HTML tables."""
    tables: list[DrawnTable] = []
    token = _drawn.set(tables)
    try:
        yield tables
    finally:
        _drawn.reset(token)


def render_table(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    title: str | None = None,
    align: str | None = None,
    marked: int | None = None,
) -> str:
    """Render ``rows`` under ``header`` as aligned columns, each cell cut to
    :data:`CELL_WIDTH` columns (see :func:`fit`).

    Parameters
    ----------
    header, rows
        Cell texts.
    title : str, optional
        A line above the table.
    align : str, optional
        One character per column, ``l`` or ``r``; by default the first column is left-aligned
        and the others right-aligned (numbers).
    marked : int, optional
        The column whose cells start with a two-character mark (``"* "`` the goal, ``"> "`` a
        lever, ``"  "`` none), then ``~`` for a stock: the terminal's gutter, which the HTML
        renderer moves into a column of its own so that the cell holds the bare name.
    """
    columns = len(header)
    align = align or "l" + "r" * (columns - 1)
    given = (tuple(map(str, header)), tuple(tuple(map(str, row)) for row in rows))
    header = [fit(cell) for cell in given[0]]
    rows = [[fit(cell) for cell in row] for row in given[1]]
    # Measured once per distinct text: a table repeats its owners, units and cut cells.
    measure = functools.cache(display_width)
    widths = [max(measure(row[i]) for row in [header, *rows]) for i in range(columns)]

    def line(cells: Sequence[str]) -> str:
        parts = []
        for cell, width, how in zip(cells, widths, align, strict=True):
            pad = " " * (width - measure(cell))
            parts.append(f"{cell}{pad}" if how == "l" else f"{pad}{cell}")
        return "  ".join(parts).rstrip()

    out = [title] if title else []
    out += [line(header), "  ".join("-" * width for width in widths)]
    out += [line(row) for row in rows]
    text = "\n".join(out)
    sink = _drawn.get()
    if sink is not None:
        sink.append(DrawnTable(*given, title, align, text, marked))
    return text


def fit(text: str, width: int = CELL_WIDTH) -> str:
    """``text`` cut to at most ``width`` terminal columns, ending in an ellipsis when cut.

    Reads at most ``width + 1`` characters, so a megabyte-long owner costs no more than a
    short one (the table stays readable, and rendering it linear in the number of cells).
    """
    if len(text) * 2 <= width:  # no character takes more than two columns
        return text
    head = text[: width + 1]
    if head.isascii():  # one column per character
        return text if len(text) <= width else head[: width - 1] + ELLIPSIS
    used = 0
    cut = 0  # characters that fit in width - 1 columns, leaving room for the ellipsis
    for index, character in enumerate(text):
        used += _character_width(character)
        if used > width:
            return text[:cut] + ELLIPSIS
        if used <= width - 1:
            cut = index + 1
    return text


def display_width(text: str) -> int:
    """Columns ``text`` takes in a terminal: two for a wide character (漢字, カナ, full-width
    digits), none for a combining mark, one otherwise; so Japanese labels and owners align."""
    if text.isascii():  # the common case, one column per character
        return len(text)
    return sum(_character_width(character) for character in text)


def _character_width(character: str) -> int:
    if unicodedata.combining(character):
        return 0
    return 2 if unicodedata.east_asian_width(character) in ("W", "F") else 1
