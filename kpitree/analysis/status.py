"""Status of each node against its target and alert: on track, at risk, off track.

The rule, for a node's value at one period:

- **off track**: its alert fires, or it misses its target by more than ``margin`` (10 % by
  default);
- **at risk**: it misses its target by at most ``margin``, or it is within ``margin`` of its
  alert threshold (10 % of the threshold) without crossing it;
- **on track**: it meets its target, and its alert (if any) is not close to firing;
- **no target**: the node has neither target nor alert.

The worse of the target's verdict and the alert's wins. A target is judged at the period it
belongs to (:mod:`kpitree.targets`): one number at the last period, a list at each period, a
quarter or year at its last month, on the node's roll-up over the span by its rule (a stock's
last value, a flow's sum, a ratio of flows recomputed: :func:`kpitree.analysis.stocks.rolled`).
Other periods are judged by the alert alone. The margin is 10 % of the target, except for a
stock (ARR, customers), judged by its movement: 10 % of the change the target asks for over
the span (from the level before it), so a level a few per cent short that hides a tenth of the
net new is off track.

A target is met from above (value >= target), or from below when the node's ``direction`` is
``lower``; without a direction, from below on a node whose only alert is ``above`` (a cost or
churn).
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

import numpy as np

from kpitree.analysis.batch import resolve_period
from kpitree.analysis.stocks import STOCK, kind, level_before, rolled, stocks
from kpitree.errors import DataError
from kpitree.evaluation import Evaluation
from kpitree.node import Node
from kpitree.targets import Milestone, TargetError
from kpitree.targets import target_at as _milestone_at

if TYPE_CHECKING:
    from kpitree.tree import Tree

MARGIN = 0.10
"""How close (as a fraction of the target or threshold) counts as at risk."""


class Status(enum.Enum):
    """A node's standing against its target and alert, best first."""

    ON_TRACK = "on track"
    AT_RISK = "at risk"
    OFF_TRACK = "off track"
    NONE = "no target"


_RANK = {Status.NONE: 0, Status.ON_TRACK: 1, Status.AT_RISK: 2, Status.OFF_TRACK: 3}


def lower_is_better(node: Node) -> bool:
    """True when the node's ``direction`` is ``lower``, or, without one, when its only alert
    is ``above`` (a cost, churn)."""
    if node.direction is not None:
        return node.direction == "lower"
    return node.alert is not None and node.alert.above is not None and node.alert.below is None


def node_status(
    node: Node,
    value: float,
    *,
    judge_target: bool = True,
    margin: float = MARGIN,
    target: float | None = None,
    scale: float | None = None,
) -> Status:
    """The status of ``node`` at ``value`` (see the module's rule).

    Parameters
    ----------
    node : Node
    value : float
    judge_target : bool
        False at a period without a target: only the alert counts.
    margin : float
        The at-risk band, as a fraction of ``scale``.
    target : float, optional
        The target to judge against (default: ``node.target``).
    scale : float, optional
        What the margin is a fraction of (default: ``|target|``; a stock's needed change).
    """
    verdicts = []
    target = node.target if target is None else target
    if target is not None and judge_target:
        shortfall = value - target if lower_is_better(node) else target - value
        base = abs(target) if scale is None or not np.isfinite(scale) or scale == 0 else scale
        if shortfall <= 0:
            verdicts.append(Status.ON_TRACK)
        elif shortfall <= margin * abs(base):
            verdicts.append(Status.AT_RISK)
        else:
            verdicts.append(Status.OFF_TRACK)
    if node.alert is not None:
        if node.alert.fires(value):
            verdicts.append(Status.OFF_TRACK)
        elif _near(value, node.alert.below, margin, +1) or _near(
            value, node.alert.above, margin, -1
        ):
            verdicts.append(Status.AT_RISK)
        else:
            verdicts.append(Status.ON_TRACK)
    return max(verdicts, key=_RANK.__getitem__, default=Status.NONE)


def _near(value: float, threshold: float | None, margin: float, side: int) -> bool:
    """True when ``value`` is on the safe ``side`` of ``threshold`` but within the margin."""
    if threshold is None:
        return False
    return 0 <= side * (value - threshold) <= margin * abs(threshold)


def target_at(tree: Tree, name: str, index: int) -> float | None:
    """The target of node ``name`` judged at the 0-based period ``index``, or ``None`` (for
    ``solve --period``: a quarter's target is that quarter's roll-up, judged at its last
    month).

    Raises
    ------
    DataError
        When a target label of a tree built in Python is not a period of the tree.
    """
    milestone = milestone_at(tree, name, index)
    return None if milestone is None else milestone.value


def milestone_at(tree: Tree, name: str, index: int) -> Milestone | None:
    """The target of node ``name`` judged at the 0-based period ``index``, with its span.

    Raises
    ------
    DataError
        As :func:`target_at`.
    """
    try:
        return _milestone_at(tree.nodes[name], tree.time, index)
    except TargetError as error:
        raise DataError(f"node '{name}': {error}") from None


def judged_value(
    tree: Tree,
    name: str,
    values: dict[str, np.ndarray],
    milestone: Milestone,
    stock_names: set[str],
) -> tuple[float, float | None]:
    """The value a target is judged on (the roll-up over its span) and, for a stock, the change
    the target asks for over the span (``None`` otherwise)."""
    series = np.atleast_1d(np.asarray(values[name], dtype=float))
    node_kind = kind(tree, name, stock_names)
    value = rolled(tree, name, values, milestone.first, milestone.last)
    if node_kind != STOCK:
        return value, None
    before = (
        float(series[milestone.since - 1])
        if milestone.since > 0
        else level_before(tree, name, values, stock_names)
    )
    if not np.isfinite(before):
        # A stock whose level before the span is unknown (computed through lags, no initial):
        # judged on its level, as a non-stock is, rather than against an unknown change.
        return value, None
    return value, milestone.value - before


def statuses(
    evaluation: Evaluation, period: str | int | None = None, *, margin: float = MARGIN
) -> dict[str, Status]:
    """Every node's status at ``period`` (a label or 1-based number; the last by default)."""
    tree = evaluation.tree
    index = resolve_period(tree, period)
    stock_names = stocks(tree)
    result = {}
    for name, node in tree.nodes.items():
        value = float(np.atleast_1d(evaluation.values[name])[index])
        milestone = milestone_at(tree, name, index)
        if milestone is None:
            result[name] = node_status(node, value, judge_target=False, margin=margin)
            continue
        judged, needed = judged_value(tree, name, evaluation.values, milestone, stock_names)
        verdict = node_status(node, judged, target=milestone.value, scale=needed, margin=margin)
        if milestone.is_span and node.alert is not None:
            # The alert is still checked on this period's own value.
            alert = node_status(node, value, judge_target=False, margin=margin)
            verdict = max(verdict, alert, key=_RANK.__getitem__)
        result[name] = verdict
    return result


def final_judgement(
    tree: Tree, name: str, values: dict[str, np.ndarray]
) -> tuple[Milestone, float] | None:
    """The target of node ``name`` judged at the last period and the value it is judged on
    (the roll-up over the span of a quarter or year), or ``None`` without one.

    Raises
    ------
    DataError
        As :func:`target_at`.
    """
    last = tree.time.periods - 1 if tree.time is not None else 0
    milestone = milestone_at(tree, name, last)
    if milestone is None:
        return None
    value, _ = judged_value(tree, name, values, milestone, stocks(tree))
    return milestone, value
