"""Long owner and label text (a 1 MB string shared by 5,000 nodes) is cut for display, so
tables, the diagram and the report stay readable and take seconds, not minutes."""

from __future__ import annotations

import re
import signal
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from kpitree import Tree
from kpitree.node import Node
from kpitree.present.evaluation import evaluation_table
from kpitree.present.table import CELL_WIDTH, display_width, fit, render_table

HUGE = "d" * 1_000_000


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Fail (instead of hanging) when the block runs longer than ``seconds``."""

    def stop(signum: int, frame: object) -> None:
        raise TimeoutError(f"took more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def huge_tree(count: int) -> Tree:
    """``count`` inputs and a KGI, every one owned and labelled by the same 1 MB string."""
    nodes = [Node(f"n{i}", value=1.0, owner=HUGE, label=HUGE) for i in range(count)]
    nodes.append(Node("k", formula="n0 * 2 + n1", owner=HUGE, label=HUGE, target=10))
    return Tree("big", "k", nodes)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("field sales", "field sales"),
        ("x" * CELL_WIDTH, "x" * CELL_WIDTH),
        ("x" * (CELL_WIDTH + 1), "x" * (CELL_WIDTH - 1) + "…"),
        ("営業" * 50, "営業" * 19 + "営…"),
        ("e\u0301" * CELL_WIDTH, "e\u0301" * CELL_WIDTH),
    ],
)
def test_fit_cuts_to_the_cell_width(text: str, expected: str) -> None:
    """Text up to the width is kept (combining marks take no column); longer text is cut to
    exactly the width including the ellipsis, wide characters counting two."""
    assert fit(text) == expected
    assert display_width(fit(text)) <= CELL_WIDTH


def test_table_of_megabyte_cells_is_fast_and_short() -> None:
    """5,000 rows with a 1 MB owner render in seconds, every line at most a few cells wide."""
    rows = [[f"n{i}", HUGE, "1"] for i in range(5000)]
    with time_limit(10):
        text = render_table(["node", "owner", "value"], rows)
    assert max(len(line) for line in text.splitlines()) < 3 * CELL_WIDTH
    assert "d" * (CELL_WIDTH - 1) + "…" in text


def test_eval_table_with_a_shared_megabyte_owner_is_fast() -> None:
    """The issue's case: eval of 5,000 nodes owned by one 1 MB string prints in seconds."""
    tree = huge_tree(5000)
    with time_limit(15):
        text = evaluation_table(tree.evaluate())
    assert len(text) < 5001 * 4 * CELL_WIDTH


def test_report_with_megabyte_owners_is_fast_and_cells_are_cut() -> None:
    """The report on 1,000 such nodes builds in seconds, leaves the 1,001-box diagram out with
    a note, and no table cell carries the megabyte."""
    from kpitree.report import build_report
    from kpitree.report.html import CELL_WIDTH as HTML_CELL

    tree = huge_tree(1000)
    with time_limit(20):
        page = build_report(tree, samples=100)
    assert "The tree has 1,001 nodes" in page
    cells = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", page, flags=re.S)
    assert cells
    assert max(len(cell) for cell in cells) <= HTML_CELL


def test_diagram_box_stays_small_with_megabyte_text() -> None:
    """A node whose label and owner are 1 MB draws as a normal-sized box."""
    from kpitree.plots.tree_diagram import plot_tree

    tree = huge_tree(2)
    with time_limit(20):
        ax = plot_tree(tree, tree.evaluate())
    assert ax.figure.get_size_inches()[0] < 30
    assert ax.figure.get_size_inches()[1] < 30
