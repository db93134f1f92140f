"""Aligned plain-text tables for the terminal."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence


def render_table(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    title: str | None = None,
    align: str | None = None,
) -> str:
    """Render ``rows`` under ``header`` as aligned columns.

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
    widths = [max(display_width(str(row[i])) for row in [header, *rows]) for i in range(columns)]

    def line(cells: Sequence[str]) -> str:
        parts = []
        for cell, width, how in zip(cells, widths, align, strict=True):
            pad = " " * (width - display_width(str(cell)))
            parts.append(f"{cell}{pad}" if how == "l" else f"{pad}{cell}")
        return "  ".join(parts).rstrip()

    out = [title] if title else []
    out += [line(header), "  ".join("-" * width for width in widths)]
    out += [line(row) for row in rows]
    return "\n".join(out)


def display_width(text: str) -> int:
    """Columns ``text`` takes in a terminal: two for a wide character (漢字, カナ, full-width
    digits), none for a combining mark, one otherwise; so Japanese labels and owners align."""
    width = 0
    for character in text:
        if unicodedata.combining(character):
            continue
        width += 2 if unicodedata.east_asian_width(character) in ("W", "F") else 1
    return width
