"""Status of each node against its target and alert: on track, at risk, off track.

The rule, for a node's value at one period:

- **off track**: its alert fires, or it misses its target by more than ``margin`` (10 % of the
  target by default);
- **at risk**: it misses its target by at most ``margin``, or it is within ``margin`` of its
  alert threshold (10 % of the threshold) without crossing it;
- **on track**: it meets its target, and its alert (if any) is not close to firing;
- **no target**: the node has neither target nor alert.

The worse of the target's verdict and the alert's wins. A target is where the node should be
at the last period of a timed tree, so it is judged at the last period only; other periods are
judged by the alert alone. A target is met from above (value >= target), except on a node
whose alert is ``above`` (a cost or churn: lower is better), where it is met from below.
"""

from __future__ import annotations

import enum

import numpy as np

from kpitree.analysis.batch import resolve_period
from kpitree.evaluation import Evaluation
from kpitree.node import Node

MARGIN = 0.10
"""How close (as a fraction of the target or threshold) counts as at risk."""


class Status(enum.Enum):
    """A node's standing against its target and alert, best first."""

    ON_TRACK = "on track"
    AT_RISK = "at risk"
    OFF_TRACK = "off track"
    NONE = "no target"


_RANK = {Status.NONE: 0, Status.ON_TRACK: 1, Status.AT_RISK: 2, Status.OFF_TRACK: 3}


def node_status(
    node: Node, value: float, *, judge_target: bool = True, margin: float = MARGIN
) -> Status:
    """The status of ``node`` at ``value`` (see the module's rule).

    Parameters
    ----------
    node : Node
    value : float
    judge_target : bool
        False at a period other than the last of a timed tree: only the alert counts.
    margin : float
        The at-risk band, as a fraction of the target or threshold.
    """
    verdicts = []
    if node.target is not None and judge_target:
        lower_is_better = node.alert is not None and node.alert.above is not None
        shortfall = value - node.target if lower_is_better else node.target - value
        if shortfall <= 0:
            verdicts.append(Status.ON_TRACK)
        elif shortfall <= margin * abs(node.target):
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


def statuses(
    evaluation: Evaluation, period: str | int | None = None, *, margin: float = MARGIN
) -> dict[str, Status]:
    """Every node's status at ``period`` (a label or 1-based number; the last by default)."""
    tree = evaluation.tree
    index = resolve_period(tree, period)
    last = index == (tree.time.periods - 1 if tree.time is not None else 0)
    return {
        name: node_status(
            node,
            float(np.atleast_1d(evaluation.values[name])[index]),
            judge_target=last,
            margin=margin,
        )
        for name, node in tree.nodes.items()
    }
