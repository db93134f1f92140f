"""The alerts that fire on actuals, as one result (what ``kpitree check`` reports)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kpitree.analysis.alerts import AlertHit
from kpitree.results import Shown

if TYPE_CHECKING:
    import pandas as pd

    from kpitree.tree import Tree


@dataclass(frozen=True, repr=False)
class Alerts(Shown):
    """Every threshold crossed, in node order then period order.

    Attributes
    ----------
    tree : Tree
    hits : tuple of AlertHit
    periods : tuple of str or None
        The periods checked (those with actuals), ``None`` for a static tree.
    """

    tree: Tree
    hits: tuple[AlertHit, ...]
    periods: tuple[str, ...] | None = None

    @property
    def kgi(self) -> str:
        """The name of the goal node."""
        return self.tree.kgi

    @property
    def fired(self) -> bool:
        """Whether any alert fired (``kpitree check`` then exits 1)."""
        return bool(self.hits)

    def to_frame(self) -> pd.DataFrame:
        """One row per alert: node, period, value, threshold, direction, owner, unit."""
        import pandas as pd

        columns = ["node", "period", "value", "threshold", "direction", "owner", "unit"]
        records = [[getattr(hit, column) for column in columns] for hit in self.hits]
        return pd.DataFrame.from_records(records, columns=columns)

    def to_dict(self) -> dict[str, Any]:
        """``{"tree", "kgi", "periods", "fired", "alerts": [{"node", "period", "value",
        "threshold", "direction", "owner", "message"}]}``, JSON-ready."""
        return {
            "tree": self.tree.name,
            "kgi": self.kgi,
            "periods": None if self.periods is None else list(self.periods),
            "fired": self.fired,
            "alerts": [{**hit.to_dict(), "message": hit.message()} for hit in self.hits],
        }

    _repr_fields = ("fired",)
