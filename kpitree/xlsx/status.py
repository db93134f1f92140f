"""A node's status (on track, at risk, off track) as a live Excel formula.

The same rule as :func:`kpitree.analysis.status.node_status`, judged at the last period: each
of the target and the alert gives a rank (1 on track, 2 at risk, 3 off track) and the worse
wins. The target is read from its cell, so a planner who edits it sees the status change.
"""

from __future__ import annotations

import math

from kpitree.analysis.status import MARGIN, Status, lower_is_better
from kpitree.node import Node
from kpitree.xlsx.formula import excel_number

_VERDICTS = ",".join(
    f'"{status.value}"' for status in (Status.ON_TRACK, Status.AT_RISK, Status.OFF_TRACK)
)


def status_formula(node: Node, value: str, target: str, start: float | None = None) -> str | None:
    """The formula of ``node``'s status, or ``None`` when it has neither target nor alert.

    Parameters
    ----------
    node : Node
    value : str
        The address of the value judged (the last period's cell).
    target : str
        The address of the cell holding the node's target.
    start : float, optional
        A stock's level before period 1: the margin is then of the change asked, target - start.
    """
    ranks = []
    margin = excel_number(MARGIN)
    if node.target is not None:
        shortfall = f"({value}-{target})" if lower_is_better(node) else f"({target}-{value})"
        base = f"ABS({target})"
        if start is not None and math.isfinite(start):
            base = f"IF({target}={excel_number(start)},{base},ABS({target}-{excel_number(start)}))"
        ranks.append(f"IF({shortfall}<=0,1,IF({shortfall}<={margin}*{base},2,3))")
    if node.alert is not None:
        fires, near = [], []
        below, above = node.alert.below, node.alert.above
        if below is not None:
            low = excel_number(below)
            fires.append(f"{value}<{low}")
            gap = f"({value}-{low})"
            near.append(f"AND({gap}>=0,{gap}<={margin}*ABS({low}))")
        if above is not None:
            high = excel_number(above)
            fires.append(f"{value}>{high}")
            gap = f"({high}-{value})"
            near.append(f"AND({gap}>=0,{gap}<={margin}*ABS({high}))")
        ranks.append(f"IF(OR({','.join(fires)}),3,IF(OR({','.join(near)}),2,1))")
    if not ranks:
        return None
    return f"=CHOOSE(MAX({','.join(ranks)}),{_VERDICTS})"
