"""kpitree: KPI trees for revenue teams.

Declare a goal (KGI) as formulas over KPIs down to the inputs each department owns, then
evaluate it, find the bottleneck, set targets backward and forecast under uncertainty.

>>> import kpitree
>>> tree = kpitree.load("trees/saas_arr.yaml")  # doctest: +SKIP
>>> tree.evaluate().kgi_value  # doctest: +SKIP
"""

from kpitree.actuals import Actuals, read_actuals
from kpitree.errors import KpiTreeError
from kpitree.evaluation import Evaluation
from kpitree.node import Alert, Node
from kpitree.spec import load, loads
from kpitree.timeaxis import TimeAxis
from kpitree.tree import Correlation, Tree

__all__ = [
    "Actuals",
    "Alert",
    "Correlation",
    "Evaluation",
    "KpiTreeError",
    "Node",
    "TimeAxis",
    "Tree",
    "load",
    "loads",
    "read_actuals",
]
__version__ = "0.1.0"
