"""Actuals against plan per quarter or (fiscal) year: ``kpitree compare --by``.

Each bucket covers the periods it has with actuals (up to ``--period``), so a quarter with
two months of actuals is compared to date: plan and actual are rolled up over the same
months by each node's rule (:mod:`kpitree.rollup`), then judged as ``compare`` judges a period.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from kpitree.analysis.compare import Comparison, _status, actual_inputs, compare
from kpitree.analysis.stocks import level_before, stocks
from kpitree.errors import DataError, Location
from kpitree.results import Shown
from kpitree.rollup import aggregate, rules
from kpitree.timeaxis import TimeAxisError

if TYPE_CHECKING:
    import pandas as pd

    from kpitree.actuals import Actuals
    from kpitree.tree import Tree


@dataclass(frozen=True, repr=False)
class BucketComparison(Shown):
    """A :class:`Comparison` whose periods are buckets; ``partial`` maps the label of each
    bucket compared on only some of its periods to the labels of those periods."""

    comparison: Comparison
    by: str
    partial: dict[str, tuple[str, ...]]

    def to_dict(self) -> dict[str, Any]:
        """The comparison's dictionary with ``"by"`` and ``"partial"`` (labels) added."""
        return {**self.comparison.to_dict(), "by": self.by, "partial": list(self.partial)}

    def to_frame(self) -> pd.DataFrame:
        """The comparison's frame, one row per bucket and node; ``partial`` flags a bucket
        compared on only some of its periods."""
        frame = self.comparison.to_frame()
        frame["partial"] = [label in self.partial for label in self.comparison.row_periods()]
        return frame

    _repr_fields = ("by",)


def compare_by(
    tree: Tree,
    actuals: Actuals,
    by: str,
    plan: str | None = None,
    period: str | int | None = None,
    tolerance: float = 0.05,
) -> BucketComparison:
    """Compare actuals with plan per quarter, year or fiscal year.

    Parameters are those of :func:`kpitree.analysis.compare.compare`, and ``by``: ``quarter``,
    ``year`` or ``fiscal-year``.

    Raises
    ------
    DataError
        For a static tree or one whose periods cannot be rolled up by ``by``; the errors of
        ``compare``.
    """
    where = Location(tree.source) if tree.source else None
    if tree.time is None:
        raise DataError(f"cannot roll up by {by}: tree '{tree.name}' is static", where)
    try:
        buckets = tree.time.buckets(by)
    except TimeAxisError as error:
        raise DataError(f"time: {error}", where) from None
    periods = compare(tree, actuals, plan=plan, period=period, tolerance=tolerance)
    labels = tree.time.labels
    # A partial period that is not paced is not judged, so no bucket counts it.
    reported = {
        labels.index(label)
        for label in periods.periods or ()
        if label != periods.partial or periods.paced
    }
    groups = [tuple(i for i in bucket.periods if i in reported) for bucket in buckets]
    kept = [(bucket, group) for bucket, group in zip(buckets, groups, strict=True) if group]
    found = rules(tree)
    plan_values = tree.evaluate(scenario=plan).values
    actual_values = tree.evaluate(overrides=actual_inputs(tree, actuals, plan)).values
    plan_rolled = aggregate(tree, plan_values, [group for _, group in kept], found)
    actual_rolled = aggregate(tree, actual_values, [group for _, group in kept], found)
    # A stock is judged by its change over the bucket (net new), as compare judges a period.
    stock_names = stocks(tree)
    firsts = [group[0] for _, group in kept]

    def judged(values: dict[str, np.ndarray], rolled: np.ndarray, name: str) -> np.ndarray:
        if name not in stock_names:
            return rolled
        series = np.atleast_1d(np.asarray(values[name], dtype=float))
        before = level_before(tree, name, values, stock_names)
        starts = np.array([series[i - 1] if i > 0 else before for i in firsts])
        return rolled - starts

    status = {
        name: tuple(
            _status(tree, name, p, a, level, periods.direction[name], tolerance)
            for p, a, level in zip(
                judged(plan_values, plan_rolled[name], name),
                judged(actual_values, actual_rolled[name], name),
                actual_rolled[name],
                strict=True,
            )
        )
        for name in tree.nodes
    }
    comparison = Comparison(
        tree,
        tuple(bucket.label for bucket, _ in kept),
        plan_rolled,
        actual_rolled,
        periods.direction,
        status,
        tolerance,
        plan,
        by=by,
    )
    partial = {
        bucket.label: tuple(labels[i] for i in group)
        for bucket, group in kept
        if bucket.partial or len(group) < len(bucket.periods)
    }
    return BucketComparison(comparison, by, partial)
