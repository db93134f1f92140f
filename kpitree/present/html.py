"""Escaped HTML tables, shared by the report and the renderer (``--format html``,
``_repr_html_``): every text that comes from a tree goes through :func:`escape`.

No matplotlib here: a result rendered as HTML imports only what a table needs.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from kpitree.present.table import fit

CELL_WIDTH = 200
"""The most characters (wide ones count twice) a table cell shows: a megabyte-long owner
would make the page unreadable and slow to build."""

TABLE_STYLE = """table { border-collapse: collapse; font-size: 0.85rem; margin: 0.6rem 0; }
th, td { padding: 0.25rem 0.6rem; border-bottom: 1px solid #e4e4e4; text-align: left;
         white-space: nowrap; }
th { background: #f6f6f6; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
td.goal { font-weight: 600; }
td.mark { padding-right: 0; color: #555; }
p.note, ul.note { color: #555; font-size: 0.85rem; margin: 0.3rem 0; }
ul.note { padding-left: 1.4rem; }
h4 { margin: 1rem 0 0.2rem; font-size: 0.95rem; }
"""

STATUS_FILLS = {
    "on-track": ("#d8f0d2", "#2e7d32"),
    "at-risk": ("#ffe7b8", "#e08a00"),
    "off-track": ("#f9d0d0", "#c62828"),
}
"""(fill, border) of a status cell: the tree diagram's colours (``plots.tree_diagram.COLOURS``,
kept here so that a table page imports no matplotlib)."""

PAGE_STYLE = (
    'body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #222;\n'
    "       margin: 1.5rem 2rem; }\n"
    + TABLE_STYLE
    + "".join(
        f"td.{name} {{ background: {fill}; border-bottom-color: {border}; }}\n"
        for name, (fill, border) in STATUS_FILLS.items()
    )
)
"""The style of a result's own HTML page (``--format html``): the report has its own."""


def escape(text: object) -> str:
    """``text`` safe inside an element or a quoted attribute."""
    return html.escape(str(text), quote=True)


def table(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    numeric: Sequence[bool] | None = None,
    classes: Sequence[Sequence[str | None]] | None = None,
) -> str:
    """An escaped table in a horizontally scrolling box.

    Parameters
    ----------
    header, rows
        Cell texts (escaped here).
        Text longer than :data:`CELL_WIDTH` columns is cut with an ellipsis.
    numeric : sequence of bool, optional
        Per column: right-aligned numbers.
    classes : optional
        A CSS class per cell (``None`` for none), e.g. a status class.
    """
    numeric = numeric or [False] * len(header)
    head = "".join(f"<th>{escape(fit(str(cell), CELL_WIDTH))}</th>" for cell in header)
    lines = []
    for r, row in enumerate(rows):
        cells = []
        for c, cell in enumerate(row):
            names = ["number"] if numeric[c] else []
            if classes is not None and classes[r][c]:
                names.append(str(classes[r][c]))
            cls = f' class="{escape(" ".join(names))}"' if names else ""
            cells.append(f"<td{cls}>{escape(fit(str(cell), CELL_WIDTH))}</td>")
        lines.append("<tr>" + "".join(cells) + "</tr>")
    body = "\n".join(lines)
    return (
        f'<div class="scroll"><table>\n<thead><tr>{head}</tr></thead>\n'
        f"<tbody>\n{body}\n</tbody>\n</table></div>"
    )
