"""What measuring a tree from its records found: one value (or nothing) per node and period."""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kpitree.results import Shown

if TYPE_CHECKING:
    import pandas as pd

    from kpitree.actuals import Actuals


@dataclass(frozen=True, repr=False)
class Measurement(Shown):
    """Measured values per node and period, as of a date.

    Attributes
    ----------
    tree : str
        The tree's name.
    as_of : datetime.date
        Records up to the end of this day (in the tree's time zone) are counted.
    periods : tuple[str, ...]
        The tree's period labels.
    partial : str or None
        The label of the period holding ``as_of`` (measured to date), if it is on the axis.
    measured : dict[str, tuple[float | None, ...]]
        Per measured node, one value per period; ``None`` for periods after ``as_of``.
    implied : dict[str, tuple[float | None, ...]]
        Per input pinned by a measured derived node, one value per period (``None`` where not
        implied): see :mod:`kpitree.measurement.implied`.
    reconciliation : tuple[dict[str, Any], ...]
        Each measured derived node and period: ``node``, ``period``, ``measured``,
        ``computed`` (the tree on the measured and implied inputs), ``difference``, ``pins``.
    actuals : Actuals or None
        The same values as :class:`~kpitree.actuals.Actuals` (what ``--actuals`` gives).
    """

    tree: str
    as_of: dt.date
    periods: tuple[str, ...]
    partial: str | None
    measured: dict[str, tuple[float | None, ...]]
    implied: dict[str, tuple[float | None, ...]] = field(default_factory=dict)
    reconciliation: tuple[dict[str, Any], ...] = ()
    actuals: Actuals | None = field(default=None, compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """``{"tree", "as_of", "periods", "partial", "measured", "implied",
        "reconciliation"}``, JSON-ready (``None`` for a period not measured)."""
        return {
            "tree": self.tree,
            "as_of": self.as_of.isoformat(),
            "periods": list(self.periods),
            "partial": self.partial,
            "measured": {name: list(values) for name, values in self.measured.items()},
            "implied": {name: list(values) for name, values in self.implied.items()},
            "reconciliation": [dict(row) for row in self.reconciliation],
        }

    def to_frame(self) -> pd.DataFrame:
        """One column per measured node, one row per period (index ``period``); NaN where a
        period is not measured."""
        import pandas as pd

        columns = {
            name: [math.nan if value is None else value for value in values]
            for name, values in self.measured.items()
        }
        return pd.DataFrame(columns, index=pd.Index(list(self.periods), name="period"))

    def to_csv(self) -> str:
        """A ``period`` column, one column per measured node and one per implied input; one
        row per measured period, an empty cell where a value is missing, so the file reads
        back as ``--actuals`` (blank keeps the plan)."""
        stream = io.StringIO()
        writer = csv.writer(stream, lineterminator="\n")
        columns = {**self.measured, **self.implied}
        writer.writerow(["period", *columns])
        for index, label in enumerate(self.periods):
            cells = [values[index] for values in columns.values()]
            if all(value is None for value in cells):
                continue
            writer.writerow([label, *("" if v is None else _number(v) for v in cells)])
        return stream.getvalue()

    _repr_fields = ("as_of",)


def _number(value: float) -> str:
    """Whole numbers without a decimal point, others with full precision."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))
