"""Aligned plain-text tables for the terminal."""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Sequence

CELL_WIDTH = 80
"""The most terminal columns one table cell takes; longer text ends in an ellipsis."""
ELLIPSIS = "…"


def render_table(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    title: str | None = None,
    align: str | None = None,
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
    """
    columns = len(header)
    align = align or "l" + "r" * (columns - 1)
    header = [fit(str(cell)) for cell in header]
    rows = [[fit(str(cell)) for cell in row] for row in rows]
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
    return "\n".join(out)


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
