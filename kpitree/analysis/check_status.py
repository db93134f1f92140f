"""What ``kpitree check`` reports: the alerts that fire on actuals, and where the watched nodes
stand against plan at the last period with actuals.

The watched nodes are the KGI and every node with an alert or a target. Each is judged as
:func:`kpitree.analysis.compare.compare` judges it: a stock (ARR, customers) by its change over
the period (net new) against the plan's change, shown with its level; anything else by its
value. A stock a few per cent short in level can be a tenth short in net new: off track here
too. The exit status stays the alerts' (a threshold crossed), as a scheduled job expects.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

import numpy as np

from kpitree.analysis.alert_list import Alerts

if TYPE_CHECKING:
    from kpitree.analysis.compare import Comparison


@dataclass(frozen=True, repr=False)
class Check(Alerts):
    """The alerts of :class:`Alerts` and the watched nodes' standing against plan.

    Attributes
    ----------
    comparison : Comparison
        Plan against actuals for every node (:func:`kpitree.analysis.compare.compare`).
    """

    comparison: Comparison | None = None

    @classmethod
    def of(cls, alerts: Alerts, comparison: Comparison) -> Check:
        """``alerts`` with the watched nodes' standing from ``comparison``."""
        kept = {field.name: getattr(alerts, field.name) for field in fields(Alerts)}
        return cls(**kept, comparison=comparison)

    @property
    def watched(self) -> list[str]:
        """The KGI and every node with an alert or a target, in the tree's order."""
        return [
            name
            for name, node in self.tree.nodes.items()
            if name == self.tree.kgi or node.alert is not None or node.target is not None
        ]

    def status_rows(self) -> list[dict[str, Any]]:
        """Per watched node at the last period with actuals: ``node``, ``period``, ``plan``,
        ``actual`` (levels), ``relative`` (the gap judged: of the change for a stock),
        ``status``, and for a stock ``change_plan`` and ``change_actual``."""
        comparison = self.comparison
        if comparison is None:
            return []
        # The last judged period: a partial one that is not paced is measured to date only.
        judged = comparison.judged_periods
        periods = list(comparison.periods or ())
        last = periods.index(judged[-1]) if judged else len(periods or (None,)) - 1
        period = periods[last] if periods else None
        rows = []
        for name in self.watched:
            row: dict[str, Any] = {
                "node": name,
                "period": period,
                "plan": float(comparison.plan[name][last]),
                "actual": float(comparison.actual[name][last]),
                "relative": _plain(comparison.judged_relative(name)[last]),
                "status": comparison.status[name][last],
            }
            if name in comparison.change_plan:
                row["change_plan"] = float(comparison.change_plan[name][last])
                row["change_actual"] = float(comparison.change_actual[name][last])
            rows.append(row)
        return rows

    def to_dict(self) -> dict[str, Any]:
        """The alerts' dictionary (:meth:`Alerts.to_dict`) with ``"status"``: the rows of
        :meth:`status_rows`."""
        return {**super().to_dict(), "status": self.status_rows()}


def _plain(value: float) -> float | None:
    return None if not np.isfinite(value) else float(value)
