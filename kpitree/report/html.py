"""The report's markup: the page shell with its style sheet, and escaped building blocks.

Everything a report needs is in the one file: the style sheet is inline and images are PNG
data URIs, so the page opens without network access. Every text that comes from a tree goes
through :func:`escape`. A result's table is never laid out here: :func:`result_table` asks the
one renderer (:func:`kpitree.render.render`, html) for it, as ``--format html`` and Jupyter do.
"""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from kpitree.analysis.status import Status
from kpitree.plots.tree_diagram import COLOURS
from kpitree.present.html import CELL_WIDTH, TABLE_STYLE, escape, table

if TYPE_CHECKING:
    from matplotlib.figure import Figure

STATUS_CLASSES = {
    Status.ON_TRACK: "on-track",
    Status.AT_RISK: "at-risk",
    Status.OFF_TRACK: "off-track",
    Status.NONE: "no-target",
}

_PAGE_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #222;
       margin: 0 auto; padding: 1.5rem 2rem 3rem; max-width: 75rem; line-height: 1.45; }
h1 { margin-bottom: 0.2rem; }
h2 { border-bottom: 1px solid #ddd; padding-bottom: 0.2rem; margin-top: 2.2rem; }
.meta { color: #555; font-size: 0.9rem; }
.scroll { overflow-x: auto; }
"""
_FIGURE_STYLE = """.badge { display: inline-block; padding: 0.05rem 0.5rem; border-radius: 0.6rem;
         border: 1px solid; font-size: 0.85rem; }
figure { margin: 0.6rem 0; }
figcaption { color: #555; font-size: 0.85rem; max-width: 60rem; }
img { display: block; }
nav.contents { font-size: 0.9rem; margin-top: 1rem; }
nav.contents ol { margin: 0.2rem 0; padding-left: 1.4rem; columns: 2 18rem; }
.verdict { font-weight: 600; }
"""
STYLE = (
    _PAGE_STYLE
    + TABLE_STYLE
    + _FIGURE_STYLE
    + "".join(
        f".{STATUS_CLASSES[status]} {{ background: {fill}; border-color: {border}; }}\n"
        for status, (fill, border) in COLOURS.items()
    )
)


# How :func:`section` opens a section; :func:`contents` reads the anchors and headings back.
_HEADING = re.compile(r'<section id="([^"]+)">\n<h2>(.*?)</h2>')


def page(title: str, fragments: Sequence[str]) -> str:
    """The whole HTML document: ``fragments`` in order inside the body, with a table of
    contents (:func:`contents`) before the first section when there are two or more."""
    parts = [fragment for fragment in fragments if fragment]
    toc = contents(parts)
    if toc:
        first = next(i for i, part in enumerate(parts) if _HEADING.match(part))
        parts.insert(first, toc)
    body = "\n".join(parts)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n"
        f"<body>\n{body}\n</body>\n</html>\n"
    )


def contents(fragments: Sequence[str]) -> str:
    """A ``<nav>`` linking to every section with an anchor (made by :func:`section`), in page
    order; ``""`` when there are fewer than two."""
    found = [match for fragment in fragments if (match := _HEADING.match(fragment))]
    if len(found) < 2:
        return ""
    items = "".join(f'<li><a href="#{m.group(1)}">{m.group(2)}</a></li>' for m in found)
    return f'<nav class="contents" aria-label="Contents"><b>Contents</b><ol>{items}</ol></nav>'


def section(title: str, *parts: str, anchor: str | None = None) -> str:
    """A ``<section>`` with an ``<h2>`` heading and the given fragments."""
    ident = f' id="{escape(anchor)}"' if anchor else ""
    return f"<section{ident}>\n<h2>{escape(title)}</h2>\n" + "\n".join(parts) + "\n</section>"


def paragraph(text: str, css: str | None = None) -> str:
    """An escaped ``<p>``."""
    cls = f' class="{escape(css)}"' if css else ""
    return f"<p{cls}>{escape(text)}</p>"


def result_table(result: Any) -> str:
    """``result``'s table as the renderer writes it for HTML (titled, every text escaped)."""
    from kpitree.render import render

    return str(render(result, "html", page=False))


def badge(status: Status) -> str:
    """The status as a coloured label."""
    return f'<span class="badge {STATUS_CLASSES[status]}">{escape(status.value)}</span>'


def image(figure: Figure, alt: str, caption: str | None = None, dpi: int = 150) -> str:
    """``figure`` as an inline PNG at its natural size (scrolling sideways when wider than the
    page, so text is never shrunk), with an optional caption."""
    from kpitree.plots.figures import close

    buffer = io.BytesIO()
    try:
        figure.savefig(buffer, format="png", dpi=dpi)
    finally:
        close(figure)  # pyplot keeps every figure it made until closed
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    width = round(figure.get_size_inches()[0] * 96)  # CSS pixels are 1/96 inch
    text = f"<figcaption>{escape(caption)}</figcaption>" if caption else ""
    return (
        f'<figure><div class="scroll"><img src="data:image/png;base64,{data}" '
        f'alt="{escape(alt)}" width="{width}"></div>{text}</figure>'
    )


# escape and table live in kpitree.present.html (shared with the renderer); named here too.
__all__ = [
    "CELL_WIDTH",
    "badge",
    "contents",
    "escape",
    "image",
    "page",
    "paragraph",
    "result_table",
    "section",
    "table",
]
