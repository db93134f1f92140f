"""The target cascade: every node's value at the solved inputs, as the targets to hand out.

Rows run from the solved node down through what it reads (the reverse funnel: won deals, SQL,
MQL, leads, visits, budget), then the nodes outside that path whose values follow (CAC,
customers). Each row carries owner and unit, the plan before the solve and the target after
(at the last period); in a timed tree also the target per period and a total over all periods
for flows and rates implied by flows (the roll-up rule of :mod:`kpitree.rollup`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from kpitree.results import Shown
from kpitree.rollup import aggregate, rules

if TYPE_CHECKING:
    from kpitree.evaluation import Evaluation
    from kpitree.tree import Tree

NO_OWNER = "(no owner)"


@dataclass(frozen=True)
class CascadeRow:
    """One node's target.

    ``plan`` and ``target`` are the values before and after the solve at the last period (a
    static tree's only value). ``periods`` is the target per period of a timed tree, and
    ``total`` its roll-up over all periods for a flow (the sum) or a rate implied by flows
    (recomputed from their sums), ``plan_total`` before the solve; None for other nodes.
    """

    node: str
    label: str
    owner: str
    unit: str
    lever: bool
    plan: float
    target: float
    periods: tuple[float, ...] | None = None
    total: float | None = None
    plan_total: float | None = None

    @property
    def change(self) -> float:
        """Relative change from plan to target (NaN when the plan is 0 and the target not)."""
        if self.plan == 0:
            return 0.0 if self.target == 0 else float("nan")
        return self.target / self.plan - 1


@dataclass(frozen=True, repr=False)
class Cascade(Shown):
    """Every node's target after a solve; ``departments()`` groups them by owner."""

    node: str
    periods: tuple[str, ...] | None
    rows: tuple[CascadeRow, ...]
    tree: Tree | None = field(default=None, compare=False)
    """The tree solved, for the ``tree`` and ``kgi`` of :meth:`to_dict`."""

    def departments(self) -> dict[str, list[CascadeRow]]:
        """Rows grouped by owner, owners in order of first appearance (no owner last)."""
        groups: dict[str, list[CascadeRow]] = {}
        for row in self.rows:
            groups.setdefault(row.owner, []).append(row)
        if NO_OWNER in groups:
            groups[NO_OWNER] = groups.pop(NO_OWNER)
        return groups

    def owners(self) -> dict[str, list[str]]:
        """Per owner, the names of the nodes it owns."""
        return {owner: [row.node for row in rows] for owner, rows in self.departments().items()}

    def to_frame(self) -> pd.DataFrame:
        """One row per node: owner, unit, lever, plan, target (last period), change, then for
        a timed tree the target per period and the total (empty for a stock or a rate)."""
        records = []
        for row in self.rows:
            record: dict[str, object] = {
                "node": row.node,
                "label": row.label,
                "owner": row.owner,
                "unit": row.unit,
                "lever": row.lever,
                "plan": row.plan,
                "target": row.target,
                "change": row.change,
            }
            if self.periods is not None and row.periods is not None:
                record.update(zip(self.periods, row.periods, strict=True))
                record["total"] = row.total
            records.append(record)
        return pd.DataFrame.from_records(records).set_index("node")

    def to_dict(self) -> dict[str, Any]:
        """``{"tree", "kgi", "node", "periods", "owners", "rows": [{"node", "owner", "plan",
        "target", ...}]}``, JSON-ready: the rows of :meth:`to_frame`."""
        frame = self.to_frame().reset_index()
        return {
            "tree": None if self.tree is None else self.tree.name,
            "kgi": None if self.tree is None else self.tree.kgi,
            "node": self.node,
            "periods": None if self.periods is None else list(self.periods),
            "owners": self.owners(),
            "rows": frame.to_dict(orient="records"),
        }


def build_cascade(baseline: Evaluation, solved: Evaluation, node: str, levers: set[str]) -> Cascade:
    """The cascade of ``solved`` against ``baseline`` (the same tree before the solve)."""
    tree = solved.tree
    upstream = tree.upstream(node) | {node}
    backwards = list(reversed(tree.order()))
    ordered = [name for name in backwards if name == node]
    ordered += [name for name in backwards if name in upstream and name != node]
    ordered += [name for name in backwards if name not in upstream]
    # The total over the whole horizon follows the roll-up rule: flows sum, rates implied by
    # flows are recomputed from them; a stock or a mean has no total (its target says it).
    totaled: set[str] = set()
    plan_totals: dict[str, np.ndarray] = {}
    totals: dict[str, np.ndarray] = {}
    if tree.time is not None:
        roll = rules(tree)
        totaled = {name for name, rule in roll.items() if rule.kind in ("sum", "ratio")}
        whole = [tuple(range(tree.period_count))]
        plan_totals = aggregate(tree, baseline.values, whole, roll)
        totals = aggregate(tree, solved.values, whole, roll)
    rows = []
    for name in ordered:
        found = tree.nodes[name]
        unit = found.unit or ""
        after = np.atleast_1d(solved.values[name]).astype(float)
        before = np.atleast_1d(baseline.values[name]).astype(float)
        flow = name in totaled
        rows.append(
            CascadeRow(
                node=name,
                label=found.title,
                owner=found.owner or NO_OWNER,
                unit=unit,
                lever=name in levers,
                plan=float(before[-1]),
                target=float(after[-1]),
                periods=tuple(float(v) for v in after) if tree.is_timed else None,
                total=float(totals[name][0]) if flow else None,
                plan_total=float(plan_totals[name][0]) if flow else None,
            )
        )
    return Cascade(node, tree.periods, tuple(rows), tree)
