"""Escaped HTML tables, shared by the report and the renderer (``--format html``,
``_repr_html_``), and a result's terminal layout as HTML (:func:`laid_out`): every text that
comes from a tree goes through :func:`escape`.

No matplotlib here: a result rendered as HTML imports only what a table needs.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import TypeVar

from kpitree.present.table import DrawnTable, fit

Row = TypeVar("Row")

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


def laid_out(text: str, tables: Sequence[DrawnTable], max_rows: int | None = None) -> str | None:
    """A result's text layout ``text`` as HTML, every text escaped.

    Each table the layout drew (``tables``, collected by :func:`kpitree.present.table.drawing`)
    becomes an HTML table with the same header and cells, the lines between become notes, and
    a first line with only indented details under it becomes the heading.

    Parameters
    ----------
    text : str
        What the layout returned (the terminal text).
    tables : sequence of DrawnTable
        The tables it drew, in order.
    max_rows : int, optional
        Jupyter's compact view: the tables share that many rows; a table past them is left
        out and counted in a last note.

    Returns
    -------
    str or None
        ``None`` when the layout drew no table, or rewrote one so that its text is not in
        ``text`` (the caller shows the frame instead).
    """
    if not tables:
        return None
    parts: list[str] = []
    position, left = 0, max_rows
    for shown, drawn in enumerate(tables):
        at = text.find(drawn.text, position)
        if at < 0:
            return None
        if left is not None and left <= 0:
            more = len(tables) - shown
            parts.append(_note(f"… {more} more table{'s' * (more > 1)}: summary() shows all"))
            return "\n".join(parts)
        between = text[position:at]
        first, blank, rest = between.lstrip("\n").partition("\n\n")
        if not parts and _headed(first):
            heading, _, details = first.partition("\n")
            parts.append(f"<h4>{escape(heading)}</h4>")
            between = details + blank + rest
        parts += _notes(between)
        if drawn.title:
            parts.append(f"<h4>{escape(drawn.title)}</h4>")
        parts.append(_drawn_html(drawn, left))
        if left is not None:
            left -= len(drawn.rows)
        position = at + len(drawn.text)
    parts += _notes(text[position:])
    return "\n".join(parts)


def _headed(text: str) -> bool:
    """Whether the first block of text above a layout's first table is a heading line with
    only indented lines under it (a solve's verdict and its details), not a run of notes
    (alert lines)."""
    lines = [line for line in text.splitlines() if line.strip()]
    return (
        bool(lines)
        and not lines[0].startswith(" ")
        and all(line.startswith(" ") for line in lines[1:])
    )


def _drawn_html(drawn: DrawnTable, max_rows: int | None) -> str:
    """One drawn table as an escaped HTML table: a marked column's gutter (goal ``*``, lever
    ``>``, stock ``~``) in a column of its own before it, the goal's row bold, status cells in
    the status colours, at most ``max_rows`` rows."""
    header, align = list(drawn.header), drawn.align
    rows = [list(row) for row in drawn.rows]
    goal = [False] * len(rows)
    if drawn.marked is not None:
        at = drawn.marked
        header.insert(at, "")
        align = align[:at] + "l" + align[at:]
        for index, row in enumerate(rows):
            mark, name = row[at][:2].strip(), row[at][2:]
            if name.startswith("~"):
                mark, name = f"{mark} ~".strip(), name[1:]
            goal[index] = mark.startswith("*")
            row[at : at + 1] = [mark, name]
    # The terminal pads some cells (indents, alignment): HTML would collapse the spaces anyway.
    rows = [[cell.strip() for cell in row] for row in rows]
    gutter = drawn.marked

    def names(column: int, cell: str, is_goal: bool) -> str | None:
        found = ["mark" if column == gutter else None, "goal" if is_goal else None]
        return " ".join(filter(None, [*found, _STATUS_CLASSES.get(cell)])) or None

    classes = [
        [names(column, cell, is_goal) for column, cell in enumerate(row)]
        for row, is_goal in zip(rows, goal, strict=True)
    ]
    rows = shortened(rows, ["…"] * len(header), max_rows)
    classes = shortened(classes, [None] * len(header), max_rows)
    numeric = [how == "r" for how in align]
    return table(header, rows, numeric=numeric, classes=classes)


_STATUS_CLASSES = {
    "on track": "on-track",
    "ahead": "on-track",
    "at risk": "at-risk",
    "off track": "off-track",
}
"""Status cells get the report's status colours (ahead of plan counts as on track)."""


def _notes(text: str) -> list[str]:
    """The lines between a layout's tables, escaped: consecutive lines as one paragraph (the
    terminal's line breaks kept), and the indented lines under one (a bottleneck's alerts,
    say) as a list."""
    parts: list[str] = []
    block: list[str] = []
    kind = ""
    for line in [*text.splitlines(), ""]:
        indented = line.startswith(" ") and bool(line.strip())
        now = "" if not line.strip() else ("list" if indented else "paragraph")
        if now != kind and block:
            if kind == "list":
                parts.append(
                    '<ul class="note">' + "".join(f"<li>{item}</li>" for item in block) + "</ul>"
                )
            else:
                parts.append('<p class="note">' + "<br>".join(block) + "</p>")
            block = []
        kind = now
        if now:
            block.append(escape(line.strip()))
    return parts


def _note(line: str) -> str:
    return f'<p class="note">{escape(line.strip())}</p>'


def shortened(rows: list[Row], filler: Row, max_rows: int | None) -> list[Row]:
    """The first and last ``max_rows // 2`` rows with ``filler`` between, when there are more
    than ``max_rows``."""
    if max_rows is None or len(rows) <= max_rows:
        return rows
    half = max_rows // 2
    return [*rows[:half], filler, *rows[len(rows) - half :]]
