"""kpitree: KPI trees for revenue teams.

Declare a goal (KGI) as formulas over KPIs down to the inputs each department owns, then
evaluate it, find the bottleneck, set targets backward and forecast under uncertainty.

>>> import kpitree
>>> tree = kpitree.load("trees/saas_arr.yaml")  # doctest: +SKIP
>>> tree.evaluate().kgi_value  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kpitree.actuals import Actuals, read_actuals
    from kpitree.errors import KpiTreeError
    from kpitree.evaluation import Evaluation
    from kpitree.measurement import Measurement, measure
    from kpitree.node import Alert, Node
    from kpitree.spec import load, loads
    from kpitree.timeaxis import TimeAxis
    from kpitree.tree import Correlation, Tree

# The public names and the module each lives in. They are imported on first use: sympy,
# scipy.stats, networkx and pandas take over a second to import, and `kpitree --help` or
# `kpitree validate` should not wait for the parts they never touch.
_EXPORTS = {
    "Actuals": "kpitree.actuals",
    "Alert": "kpitree.node",
    "Correlation": "kpitree.tree",
    "Evaluation": "kpitree.evaluation",
    "KpiTreeError": "kpitree.errors",
    "Node": "kpitree.node",
    "TimeAxis": "kpitree.timeaxis",
    "Tree": "kpitree.tree",
    "Measurement": "kpitree.measurement",
    "load": "kpitree.spec",
    "measure": "kpitree.measurement",
    "loads": "kpitree.spec",
    "read_actuals": "kpitree.actuals",
}

__all__ = [
    "Actuals",
    "Alert",
    "Correlation",
    "Evaluation",
    "KpiTreeError",
    "Measurement",
    "Node",
    "TimeAxis",
    "Tree",
    "load",
    "loads",
    "measure",
    "read_actuals",
]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'kpitree' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
