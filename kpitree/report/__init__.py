"""The one-file HTML report: every section of :data:`~kpitree.report.sections.SECTIONS` in
order, images inlined, no network needed to open it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from kpitree.errors import DataError
from kpitree.facade import Tree
from kpitree.report.context import SAMPLES, SEED, Report, Section
from kpitree.report.html import page
from kpitree.report.sections import SECTIONS
from kpitree.rollup import buckets_of

if TYPE_CHECKING:
    from kpitree.actuals import Actuals


def build_report(
    tree: Tree,
    *,
    overrides: Mapping[str, Any] | None = None,
    scenario: str | None = None,
    actuals: Actuals | None = None,
    samples: int = SAMPLES,
    seed: int = SEED,
    sections: Sequence[Section] = SECTIONS,
    by: str | None = None,
) -> str:
    """The report on ``tree`` as one self-contained HTML document.

    Parameters
    ----------
    tree : Tree
    overrides : mapping, optional
        Input values replacing the tree's (as for :meth:`Tree.evaluate`).
    scenario : str, optional
        One of the tree's scenarios (also the plan that actuals are compared with).
    actuals : Actuals, optional
        From :func:`kpitree.read_actuals`: adds plan vs actual and the attribution of the gap.
    samples, seed : int
        Paths and seed of the forecast; the default seed is fixed, so the same tree gives the
        same report.
    sections : sequence of callables
        ``(Report) -> str`` fragments, in page order.
    by : {None, "quarter", "year", "fiscal-year"}
        Roll the table of the KGI and main KPIs up by this bucket (:mod:`kpitree.rollup`).

    Returns
    -------
    str
        The HTML text.

    Raises
    ------
    DataError
        For ``samples`` below 2 or a negative ``seed``, and from the evaluation (an unknown
        scenario or override).
    """
    # Checked here: the forecast section shows a refusal caused by the tree in the page, but
    # a bad option is the caller's to fix, before anything is drawn.
    for name, value, least in (("samples", samples, 2), ("seed", seed, 0)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < least:
            raise DataError(f"{name} must be a whole number >= {least}, found {value!r}")
    if by is not None:
        buckets_of(tree, by)
    evaluation = tree.evaluate(overrides=overrides, scenario=scenario)
    report = Report(tree, evaluation, dict(overrides or {}), scenario, actuals, samples, seed, by)
    title = f"{tree.name}: {tree.nodes[tree.kgi].title}"
    return page(title, [render(report) for render in sections])


__all__ = ["SECTIONS", "Report", "Section", "build_report"]
