"""Guardrails on a solve: lever values beyond what peers reach, or that trip the lever's alert.

A benchmark range is read as the range peers reach, so a needed value beyond its *better* end
(above it for a lever that helps the goal as it rises, below it for one that helps as it falls,
such as churn) is a stretch. A needed value that fires the input's own ``alert`` is a plan that
starts in alarm. Neither stops the solve; both are reported next to it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from kpitree.analysis.levers import Lever
from kpitree.node import Value
from kpitree.tree import Tree

KINDS = ("beyond_benchmark", "alert")


@dataclass(frozen=True)
class LeverWarning:
    """One lever whose needed value is beyond its benchmark's better end or trips its alert.

    Attributes
    ----------
    lever : str
    kind : str
        ``"beyond_benchmark"`` or ``"alert"``.
    value : float
        The needed value (for a per-period lever, the period furthest past the limit).
    limit : float
        The benchmark end passed, or the alert threshold crossed.
    low, high : float or None
        The benchmark range (``beyond_benchmark``), or the alert's side (``alert``: ``low`` is
        the ``below`` threshold, ``high`` the ``above`` one).
    """

    lever: str
    kind: str
    value: float
    limit: float
    low: float | None = None
    high: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """``{"lever", "kind", "value", "limit"}``."""
        return {"lever": self.lever, "kind": self.kind, "value": self.value, "limit": self.limit}


def lever_warnings(
    tree: Tree,
    levers: Sequence[Lever],
    values: Mapping[str, Value],
    better: Sequence[float],
) -> tuple[LeverWarning, ...]:
    """The warnings of the solved ``values``; ``better`` is +1 per lever whose rise helps the
    goal, -1 for one whose fall does."""
    found = []
    for lever, sign in zip(levers, better, strict=True):
        node = tree.nodes[lever.name]
        needed = np.atleast_1d(np.asarray(values[lever.name], dtype=float))
        if node.benchmark is not None:
            low, high = node.benchmark
            if sign > 0 and high is not None and needed.max() > high:
                found.append(
                    LeverWarning(
                        lever.name, "beyond_benchmark", float(needed.max()), high, low, high
                    )
                )
            elif sign < 0 and low is not None and needed.min() < low:
                found.append(
                    LeverWarning(
                        lever.name, "beyond_benchmark", float(needed.min()), low, low, high
                    )
                )
        alert = node.alert
        if alert is not None:
            if alert.below is not None and needed.min() < alert.below:
                found.append(
                    LeverWarning(
                        lever.name, "alert", float(needed.min()), alert.below, low=alert.below
                    )
                )
            if alert.above is not None and needed.max() > alert.above:
                found.append(
                    LeverWarning(
                        lever.name, "alert", float(needed.max()), alert.above, high=alert.above
                    )
                )
    return tuple(found)
