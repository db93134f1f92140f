"""kpitree: KPI trees for revenue teams.

Declare a goal (KGI) as formulas over KPIs down to the inputs each department owns, then
evaluate it, find the bottleneck, set targets backward and forecast under uncertainty.

>>> import kpitree
>>> tree = kpitree.load("trees/saas_arr.yaml")  # doctest: +SKIP
>>> tree.evaluate().kgi_value  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kpitree import analysis as analysis
    from kpitree import plots as plots
    from kpitree import report as report
    from kpitree.actuals import Actuals, read_actuals
    from kpitree.errors import KpiTreeError
    from kpitree.evaluation import Evaluation
    from kpitree.facade import Tree, load, loads
    from kpitree.measurement import Measurement, measure
    from kpitree.node import Alert, Node
    from kpitree.timeaxis import TimeAxis
    from kpitree.tree import Correlation, TreeModel

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
    "Tree": "kpitree.facade",
    "TreeModel": "kpitree.tree",
    "Measurement": "kpitree.measurement",
    "load": "kpitree.facade",
    "measure": "kpitree.measurement",
    "loads": "kpitree.facade",
    "read_actuals": "kpitree.actuals",
}
# Subpackages reached as attributes (`kpitree.report.build_report`,
# `kpitree.plots.tree_diagram.plot_tree`), imported on first use like the names above.
_SUBPACKAGES = ("analysis", "plots", "report")

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
    "TreeModel",
    "load",
    "loads",
    "measure",
    "read_actuals",
]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name in _SUBPACKAGES:
        package = _import_package(f"kpitree.{name}")
        globals()[name] = package
        return package
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'kpitree' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    # The public API only: the helpers this module imports (importlib, Any, ModuleType)
    # are no part of it, and tab completion should not offer them.
    return sorted({*__all__, *_SUBPACKAGES, "__version__"})


def _import_package(name: str) -> ModuleType:
    """Package ``name`` with each of its modules imported, so ``package.module.function``
    works after ``import kpitree`` alone."""
    package = importlib.import_module(name)
    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{name}.{module.name}")
    return package
