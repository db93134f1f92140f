"""What ``kpitree validate`` reports of a tree that reads without error: its shape in numbers,
as a result (table, JSON, CSV, ``-o FILE``) like every command's."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kpitree.results import Shown

if TYPE_CHECKING:
    import pandas as pd

    from kpitree.tree import TreeModel


@dataclass(frozen=True, repr=False)
class Validation(Shown):
    """A tree file that was read and checked: its name, KGI and counts.

    Attributes
    ----------
    tree : str
        The tree's name.
    file : str
        The file read.
    kgi : str
    nodes, inputs, derived : int
        Node counts.
    period_count : int or None
        Periods of a timed tree, ``None`` for a static one.
    time_unit : str or None
        The unit of its periods (``month``...).
    scenarios, uncertain : int
        Scenarios, and inputs with a distribution.
    """

    tree: str
    file: str
    kgi: str
    nodes: int
    inputs: int
    derived: int
    period_count: int | None
    time_unit: str | None
    scenarios: int
    uncertain: int

    def to_dict(self) -> dict[str, Any]:
        """``{"file", "ok", "tree", "kgi", "nodes", "inputs", "derived", "periods", "unit",
        "scenarios", "uncertain"}``, JSON-ready (``periods`` and ``unit`` null when static)."""
        return {
            "file": self.file,
            "ok": True,
            "tree": self.tree,
            "kgi": self.kgi,
            "nodes": self.nodes,
            "inputs": self.inputs,
            "derived": self.derived,
            "periods": self.period_count,
            "unit": self.time_unit,
            "scenarios": self.scenarios,
            "uncertain": self.uncertain,
        }

    def to_frame(self) -> pd.DataFrame:
        """One row (index ``tree``) with the counts."""
        import pandas as pd

        data = self.to_dict()
        return pd.DataFrame([data]).set_index("tree")

    _repr_fields = ("file",)


def validation_of(tree: TreeModel, file: str) -> Validation:
    """The :class:`Validation` of ``tree``, read from ``file``."""
    time = tree.time
    return Validation(
        tree.name, file, tree.kgi, len(tree.nodes), len(tree.inputs), len(tree.derived),
        time.periods if time is not None else None, time.unit if time is not None else None,
        len(tree.scenarios), sum(1 for n in tree.nodes.values() if n.distribution is not None),
    )  # fmt: skip
