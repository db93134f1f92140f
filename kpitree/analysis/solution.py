"""The result of a solve: new lever values, their changes, and the tree evaluated at them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from kpitree.analysis.cascade import Cascade, build_cascade
from kpitree.analysis.guardrails import LeverWarning
from kpitree.analysis.levers import Lever, LeverPlan
from kpitree.node import Value
from kpitree.results import Shown

if TYPE_CHECKING:
    from kpitree.evaluation import Evaluation
    from kpitree.tree import Tree


@dataclass(frozen=True, repr=False)
class Solution(Shown):
    """Lever values that bring ``node`` to ``target``, or as close as their bounds allow.

    Attributes
    ----------
    tree : Tree
    node : str
        The node solved for (the KGI unless another was asked for).
    target : float
    mode : str
        ``"one lever"``, ``"uniform"``, ``"weighted"``, ``"min-effort"`` or ``"balanced"``.
    plan : LeverPlan
        What the method found (values, feasibility, method, note, roots, effort).
    levers : tuple of Lever
        The levers with their values before the solve and their bounds.
    baseline, evaluation : Evaluation
        Every node before the solve and at the solved inputs.
    """

    tree: Tree
    node: str
    target: float
    mode: str
    plan: LeverPlan
    levers: tuple[Lever, ...]
    baseline: Evaluation
    evaluation: Evaluation
    warnings: tuple[LeverWarning, ...] = ()
    """Levers whose needed value is beyond the better end of their benchmark, or trips their
    alert (:mod:`kpitree.analysis.guardrails`)."""
    within: str = "bounds"
    """``"bounds"``, or ``"benchmark"`` when benchmark ranges bounded the levers too."""
    period: str | None = None
    """The period whose target was met (``solve --period``); None: the last period."""
    span: tuple[int, int] | None = None
    """The 0-based periods the node is judged over (its roll-up); None: the last period."""

    @property
    def feasible(self) -> bool:
        """True when the target is reached within the levers' bounds."""
        return self.plan.feasible

    @property
    def reached(self) -> float:
        """The node's value at the solved inputs (at the solved period of a timed tree: the
        last, or the roll-up over ``span``)."""
        return self._judged(self.evaluation)

    @property
    def today(self) -> float:
        """The node's value before the solve, judged as :attr:`reached` is."""
        return self._judged(self.baseline)

    def _judged(self, evaluation: Evaluation) -> float:
        if self.span is None:
            return evaluation.final(self.node)
        from kpitree.analysis.stocks import rolled

        return rolled(self.tree, self.node, evaluation.values, *self.span)

    @property
    def values(self) -> dict[str, Value]:
        """Per lever, its new value (a tuple for a per-period input)."""
        return dict(self.plan.values)

    @property
    def changes(self) -> dict[str, float]:
        """Per lever, the relative change (the common factor minus 1 for a per-period input)."""
        changes = {}
        for lever in self.levers:
            old = lever.array
            new = np.atleast_1d(np.asarray(self.plan.values[lever.name], dtype=float))
            nonzero = np.nonzero(old)[0]
            if nonzero.size:
                changes[lever.name] = float(new[nonzero[0]] / old[nonzero[0]] - 1)
            else:
                changes[lever.name] = 0.0 if not new.any() else float("inf")
        return changes

    @property
    def binding(self) -> dict[str, str | None]:
        """Per lever, ``"low"`` or ``"high"`` when its new value sits on that bound."""
        return {lever.name: lever.binding(self.plan.values[lever.name]) for lever in self.levers}

    def cascade(self) -> Cascade:
        """Every node's target at the solved inputs, with owner, unit and the plan before."""
        names = {lever.name for lever in self.levers}
        return build_cascade(self.baseline, self.evaluation, self.node, names)

    def to_frame(self) -> pd.DataFrame:
        """One row per lever: value before and after, relative change, binding bound, effort."""
        changes, binding = self.changes, self.binding
        records = [
            {
                "lever": lever.name,
                "owner": self.tree.nodes[lever.name].owner,
                "unit": self.tree.nodes[lever.name].unit,
                "before": lever.base,
                "after": self.plan.values[lever.name],
                "change": changes[lever.name],
                "binding": binding[lever.name],
                "effort": lever.effort,
            }
            for lever in self.levers
        ]
        return pd.DataFrame.from_records(records).set_index("lever")

    @property
    def scenario(self) -> str | None:
        """The scenario the solve started from (``None``: the plan)."""
        return self.baseline.scenario

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: tree, kgi (the tree's goal), node (the node solved for), scenario, target,
        feasible, levers, changes, kgi_reached (the value ``node`` reaches), values (every
        node at the solved inputs), owners, warnings, and details; ``period`` is the period
        whose target was met (null: the last)."""
        return {
            "tree": self.tree.name,
            "kgi": self.tree.kgi,
            "node": self.node,
            "scenario": self.scenario,
            "target": self.target,
            "period": self.period,
            "feasible": self.feasible,
            "levers": {name: _plain(value) for name, value in self.plan.values.items()},
            "changes": self.changes,
            "kgi_reached": self.reached,
            "values": self.evaluation.to_dict()["values"],
            "owners": self.cascade().owners(),
            "periods": self.evaluation.periods,
            "mode": self.mode,
            "method": self.plan.method,
            "binding": self.binding,
            "before": {lever.name: _plain(lever.base) for lever in self.levers},
            "roots": [_plain(root) for root in self.plan.roots],
            "flat": [[_plain(low), _plain(high)] for low, high in self.plan.intervals],
            "effort": self.plan.effort,
            "note": self.plan.note,
            "warnings": [warning.to_dict() for warning in self.warnings],
            "within": self.within,
        }

    _repr_fields = ("target", "feasible")


def _plain(value: Value) -> float | list[float]:
    return [float(v) for v in value] if isinstance(value, tuple) else float(value)
