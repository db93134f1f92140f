"""The one-file HTML report: every section of :data:`~kpitree.report.sections.SECTIONS` in
order, images inlined, no network needed to open it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from kpitree.report.html import page
from kpitree.report.sections import SECTIONS, Report, Section
from kpitree.tree import Tree


def build_report(
    tree: Tree,
    *,
    overrides: Mapping[str, Any] | None = None,
    scenario: str | None = None,
    sections: Sequence[Section] = SECTIONS,
) -> str:
    """The report on ``tree`` as one self-contained HTML document.

    Parameters
    ----------
    tree : Tree
    overrides : mapping, optional
        Input values replacing the tree's (as for :meth:`Tree.evaluate`).
    scenario : str, optional
        One of the tree's scenarios.
    sections : sequence of callables
        ``(Report) -> str`` fragments, in page order.

    Returns
    -------
    str
        The HTML text.
    """
    evaluation = tree.evaluate(overrides=overrides, scenario=scenario)
    report = Report(tree, evaluation, dict(overrides or {}), scenario)
    title = f"{tree.name}: {tree.nodes[tree.kgi].title}"
    return page(title, [render(report) for render in sections])


__all__ = ["SECTIONS", "Report", "Section", "build_report"]
