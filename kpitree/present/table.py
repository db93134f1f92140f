"""Aligned plain-text tables for the terminal."""

from __future__ import annotations

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
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(columns)]

    def line(cells: Sequence[str]) -> str:
        parts = [
            str(cell).ljust(width) if how == "l" else str(cell).rjust(width)
            for cell, width, how in zip(cells, widths, align, strict=True)
        ]
        return "  ".join(parts).rstrip()

    out = [title] if title else []
    out += [line(header), "  ".join("-" * width for width in widths)]
    out += [line(row) for row in rows]
    return "\n".join(out)
