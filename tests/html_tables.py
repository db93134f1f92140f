"""Read the tables of rendered HTML back as text, with the standard library's parser (not the
renderer's code): tests compare what a page shows with the analyses' own numbers."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Table:
    """One ``<table>``: the ``<h4>`` title just before it (``""`` for none), its header and body rows (cell
    texts, entities decoded) and each body cell's CSS classes."""

    title: str
    header: list[str] = field(default_factory=list)
    cells: list[list[str]] = field(default_factory=list)
    classes: list[list[set[str]]] = field(default_factory=list)

    @property
    def rows(self) -> list[dict[str, str]]:
        """Each body row as a mapping of header to cell."""
        return [dict(zip(self.header, row, strict=True)) for row in self.cells]


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tables: list[Table] = []
        self.title = ""
        self.text: list[str] | None = None
        self.where = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "h4":
            self.text, self.where = [], "h4"
        elif tag == "table":
            self.tables.append(Table(self.title))
            self.title = ""
        elif tag == "tr" and self.where == "tbody":
            self.tables[-1].cells.append([])
            self.tables[-1].classes.append([])
        elif tag in ("th", "td"):
            self.text = []
            if tag == "td":
                self.tables[-1].classes[-1].append(set((dict(attrs).get("class") or "").split()))
        elif tag in ("thead", "tbody"):
            self.where = tag

    def handle_data(self, data: str) -> None:
        if self.text is not None:
            self.text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if self.text is None:
            return
        text = "".join(self.text)
        if tag == "h4":
            self.title, self.where = text, ""
        elif tag == "th":
            self.tables[-1].header.append(text)
        elif tag == "td":
            self.tables[-1].cells[-1].append(text)
        else:
            return
        self.text = None


def tables(html: str) -> list[Table]:
    """Every table in ``html``, in page order."""
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return reader.tables
