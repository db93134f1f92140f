"""Alerts: every ``alert:`` threshold checked against evaluated values, period by period."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kpitree.evaluation import Evaluation


@dataclass(frozen=True)
class AlertHit:
    """One threshold crossed: which node, in which period, by how much, and who owns it."""

    node: str
    period: str | None
    value: float
    threshold: float
    direction: str
    """``"below"`` or ``"above"``."""
    owner: str | None
    unit: str | None = None

    def message(self) -> str:
        """``node 'sql_rate' at 2027-03: 0.095 is below 0.15 (owner: inside sales)``, numbers
        as the tables show them (``0.1128``, ``5,333,333``, ``9.5 %``)."""
        # Formatting is presentation's; imported here so every caller gets the same text.
        from kpitree.present.numbers import format_message

        when = f" at {self.period}" if self.period is not None else ""
        owner = f" (owner: {self.owner})" if self.owner else ""
        value = format_message(self.value, self.unit, self.threshold)
        threshold = format_message(self.threshold, self.unit)
        digits = 6
        while value == threshold and digits <= 15:
            # 0.14996 shown as 0.15 "below 0.15" would contradict itself: show more digits.
            value, digits = f"{self.value:.{digits}g}", digits + 2
        return f"node '{self.node}'{when}: {value} is {self.direction} {threshold}{owner}"

    def to_dict(self) -> dict[str, object]:
        """JSON-ready fields."""
        return {
            "node": self.node,
            "period": self.period,
            "value": self.value,
            "threshold": self.threshold,
            "direction": self.direction,
            "owner": self.owner,
        }


def check_alerts(evaluation: Evaluation) -> list[AlertHit]:
    """Every alert that fires in ``evaluation``, in node order then period order."""
    hits = []
    periods = evaluation.periods
    for name, node in evaluation.tree.nodes.items():
        if node.alert is None:
            continue
        values = np.atleast_1d(evaluation.values[name])
        for index, value in enumerate(values):
            for direction, threshold in (("below", node.alert.below), ("above", node.alert.above)):
                if threshold is None:
                    continue
                crossed = value < threshold if direction == "below" else value > threshold
                if crossed:
                    period = periods[index] if periods is not None else None
                    hits.append(
                        AlertHit(
                            name, period, float(value), threshold, direction, node.owner, node.unit
                        )
                    )
    return hits
