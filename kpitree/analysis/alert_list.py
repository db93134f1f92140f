"""The alerts that fire on actuals, as one result (what ``kpitree check`` reports)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kpitree.analysis.alerts import AlertHit
from kpitree.results import Shown

if TYPE_CHECKING:
    import pandas as pd

    from kpitree.actuals import Actuals
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
    partial : str or None
        The partial period of measured actuals: checked only when ``paced`` (its flows
        scaled to the whole period), else shown and left unchecked.
    elapsed : float or None
        The share of the partial period elapsed.
    paced : bool
    """

    tree: Tree
    hits: tuple[AlertHit, ...]
    periods: tuple[str, ...] | None = None
    partial: str | None = None
    elapsed: float | None = None
    paced: bool = False
    scenario: str | None = None
    """The plan scenario the actuals were checked against (``check --plan``), ``None`` for the
    base plan."""

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
        from kpitree.periods import period_columns

        records = [[getattr(hit, column) for column in columns] for hit in self.hits]
        frame = pd.DataFrame.from_records(records, columns=columns)
        return period_columns(frame, self.tree.time, ("period",))

    def to_dict(self) -> dict[str, Any]:
        """``{"tree", "kgi", "scenario", "periods", "partial", "partial_elapsed", "partial_paced",
        "fired", "alerts": [{"node", "period", "value", "threshold", "direction", "owner",
        "message"}]}``, JSON-ready."""
        return {
            "tree": self.tree.name,
            "kgi": self.kgi,
            "scenario": self.scenario,
            "periods": None if self.periods is None else list(self.periods),
            "partial": self.partial,
            "partial_elapsed": self.elapsed,
            "partial_paced": self.paced,
            "fired": self.fired,
            "alerts": [{**hit.to_dict(), "message": hit.message()} for hit in self.hits],
        }

    _repr_fields = ("fired",)


def alerts_on(tree: Tree, actuals: Actuals, plan: str | None = None) -> Alerts:
    """Every alert that fires on ``actuals`` (see
    :func:`~kpitree.analysis.compare.check_actuals`), with the periods checked and the
    partial period, if any."""
    from kpitree.analysis.compare import check_actuals

    hits = tuple(check_actuals(tree, actuals, plan=plan))
    labels = actuals.labels
    checked = actuals.period_labels
    partial = None
    if actuals.partial is not None and labels is not None:
        partial = labels[actuals.partial]
        checked = [label for label in checked or () if label != partial or actuals.paced]
    return Alerts(
        tree, hits, None if checked is None else tuple(checked), partial,
        actuals.elapsed if partial else None, actuals.paced and partial is not None, plan,
    )  # fmt: skip
