"""Evaluate a tree once, on its own values, a scenario's or overrides: the ``Evaluation``."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from kpitree.results import Shown

if TYPE_CHECKING:
    import pandas as pd

    from kpitree.rollup import Rollup
    from kpitree.tree import Overrides, TreeModel


@dataclass(frozen=True, repr=False)
class Evaluation(Shown):
    """Every node's value, from one evaluation of a tree.

    Attributes
    ----------
    tree : Tree
        The tree evaluated (for labels, units and owners).
    values : dict[str, numpy.ndarray]
        Per node: shape ``()`` for a static tree, ``(periods,)`` for a timed one.
    inputs : dict
        The input values used.
    scenario : str or None
        The scenario evaluated, if any.
    """

    tree: TreeModel
    values: dict[str, np.ndarray]
    inputs: dict[str, Any]
    scenario: str | None = None

    @property
    def kgi(self) -> str:
        """The name of the goal node."""
        return self.tree.kgi

    @property
    def periods(self) -> list[str] | None:
        """Period labels of a timed tree, ``None`` for a static one."""
        periods = self.tree.periods
        return list(periods) if periods is not None else None

    @property
    def kgi_value(self) -> float:
        """The KGI, at the last period in a timed tree."""
        return self.final(self.tree.kgi)

    def final(self, name: str) -> float:
        """Node ``name``'s value, at the last period in a timed tree."""
        return float(np.asarray(self[name]).reshape(-1)[-1])

    def __getitem__(self, name: str) -> Any:
        """A float for a static tree, an array with one value per period for a timed one."""
        self.tree.node(name)
        value = self.values[name]
        return float(value) if value.ndim == 0 else value

    def rollup(self, by: str) -> Rollup:
        """Every node per quarter, year or fiscal year (see :func:`kpitree.rollup.roll_up`)."""
        # pandas and the roll-up rules on first use: reading a tree (which imports this
        # module) should not wait for them.
        from kpitree.rollup import roll_up

        return replace(roll_up(self.tree, self.values, by), scenario=self.scenario)

    def to_frame(self, by: str | None = None) -> pd.DataFrame:
        """One column per node; one row per period (a ``PeriodIndex`` named ``period``: monthly,
        quarterly, weekly as the tree's axis is), or one row ``value`` for a static tree. ``by``
        (``quarter``, ``year``, ``fiscal-year``) gives one row per bucket."""
        from kpitree.periods import period_index

        if by is not None:
            return self.rollup(by).to_frame()
        import pandas as pd

        index = period_index(self.tree.time)
        columns = {name: np.atleast_1d(self.values[name]) for name in self.tree.nodes}
        return pd.DataFrame(columns, index=index)

    def to_dict(self) -> dict[str, Any]:
        """``{"tree", "kgi", "scenario", "periods", "values"}``, JSON-ready."""
        return {
            "tree": self.tree.name,
            "kgi": self.kgi,
            "scenario": self.scenario,
            "periods": self.periods,
            "values": {
                name: (float(value) if value.ndim == 0 else [float(v) for v in value])
                for name, value in self.values.items()
            },
        }

    _repr_fields = ("scenario",)


def evaluate(
    tree: TreeModel, overrides: Overrides | None = None, scenario: str | None = None
) -> Evaluation:
    """Evaluate every node of ``tree`` once.

    Parameters
    ----------
    tree : TreeModel
    overrides : mapping, optional
        Input values replacing the tree's (after the scenario's).
    scenario : str, optional
        One of the tree's scenarios.

    Returns
    -------
    Evaluation
    """
    inputs = tree.input_values(overrides, scenario)
    arrays = tree.engine.run(inputs, samples=1)
    timed = tree.is_timed
    values = {
        name: (np.array(array[0]) if timed else np.array(array[0, 0]))
        for name, array in arrays.items()
    }
    return Evaluation(tree, values, inputs, scenario)
