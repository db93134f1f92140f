"""What measuring a tree from its records found: one value (or nothing) per node and period.

A :class:`Measurement` *is* :class:`~kpitree.actuals.Actuals` (the object ``read_actuals``
returns), so every analysis that takes actuals takes it directly; it also carries what was
measured per period, the as-of date and its display as a result.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kpitree.actuals import Actuals
from kpitree.results import Shown

if TYPE_CHECKING:
    import pandas as pd

    from kpitree.timeaxis import TimeAxis


@dataclass(frozen=True, repr=False)
class Measurement(Shown, Actuals):
    """Actuals measured from records as of a date: every node's value per period.

    The fields of :class:`~kpitree.actuals.Actuals` keep their meaning (``periods``: indices
    of the periods measured; ``partial``: the index of the period holding ``as_of``, measured
    to date and included; ``implied``: period index -> value), and these are added:

    Attributes
    ----------
    as_of : datetime.date or None
        Records up to the end of this day (in the tree's time zone) are counted.
    measured : dict[str, tuple[float | None, ...]]
        Per measured node, one value per period of the axis (``labels``); ``None`` for
        periods after ``as_of``.
    time : TimeAxis or None
        The tree's time axis.
    units : dict[str, str or None]
        The unit of every measured node and implied input, for the tables.
    """

    kgi: str | None = None
    """The tree's KGI, named in :meth:`to_dict` as every result names it."""
    as_of: dt.date | None = None
    measured: dict[str, tuple[float | None, ...]] = field(default_factory=dict)
    time: TimeAxis | None = field(default=None, compare=False)
    """The tree's time axis, for the frame's ``PeriodIndex``."""
    units: dict[str, str | None] = field(default_factory=dict, compare=False)

    @property
    def partial_label(self) -> str | None:
        """The label of the partial period, ``None`` when there is none."""
        if self.partial is None or self.labels is None:
            return None
        return self.labels[self.partial]

    def implied_series(self) -> dict[str, tuple[float | None, ...]]:
        """Per implied input, one value per period of the axis (``None`` where not implied)."""
        count = len(self.labels or ())
        return {
            name: tuple(by_period.get(index) for index in range(count))
            for name, by_period in self.implied.items()
        }

    def to_dict(self) -> dict[str, Any]:
        """``{"tree", "kgi", "as_of", "periods", "partial", "measured", "implied",
        "reconciliation"}``, JSON-ready: period labels, the partial period's label (or
        ``None``) and ``None`` for a period not measured."""
        return {
            "tree": self.tree,
            "kgi": self.kgi,
            "as_of": self.as_of.isoformat() if self.as_of is not None else None,
            "periods": list(self.labels or ()),
            "partial": self.partial_label,
            "measured": {name: list(values) for name, values in self.measured.items()},
            "implied": {name: list(values) for name, values in self.implied_series().items()},
            "reconciliation": [dict(row) for row in self.reconciliation],
        }

    def to_frame(self) -> pd.DataFrame:
        """One column per measured node, one row per period (a ``PeriodIndex`` named
        ``period`` where the axis has dates), and a boolean ``partial`` column; NaN where a
        period is not measured."""
        import numpy as np
        import pandas as pd

        from kpitree.periods import period_index

        labels = list(self.labels or ())
        columns: dict[str, Any] = {
            name: np.array([np.nan if v is None else v for v in values], dtype=float)
            for name, values in self.measured.items()
        }
        columns["partial"] = [index == self.partial for index in range(len(labels))]
        return pd.DataFrame(columns, index=period_index(self.time, labels))

    def sheets(self) -> dict[str, pd.DataFrame]:
        """The workbook's sheets: ``measured`` (:meth:`to_frame`), ``implied`` (one column
        per implied input, one row per period) and ``reconciliation`` (one row per measured
        derived node and period, the JSON's fields as columns)."""
        import numpy as np
        import pandas as pd

        from kpitree.periods import period_index

        labels = list(self.labels or ())
        implied = pd.DataFrame(
            {
                name: np.array([np.nan if v is None else v for v in values], dtype=float)
                for name, values in self.implied_series().items()
            },
            index=period_index(self.time, labels),
        )
        columns = ["node", "period", "measured", "computed", "difference", "pins"]
        rows = [[row[key] for key in columns] for row in self.reconciliation]
        return {
            "measured": self.to_frame(),
            "implied": implied,
            "reconciliation": pd.DataFrame(rows, columns=columns).set_index(["node", "period"]),
        }

    def to_csv(self) -> str:
        """A ``period`` column, one column per measured node and one per implied input; one
        row per measured period, an empty cell where a value is missing, so the file reads
        back as ``--actuals`` (blank keeps the plan)."""
        stream = io.StringIO()
        writer = csv.writer(stream, lineterminator="\n")
        columns = {**self.measured, **self.implied_series()}
        writer.writerow(["period", *columns])
        for index, label in enumerate(self.labels or ()):
            cells = [values[index] for values in columns.values()]
            if all(value is None for value in cells):
                continue
            writer.writerow([label, *("" if v is None else _number(v) for v in cells)])
        return stream.getvalue()

    _repr_fields = ("as_of",)


def _number(value: float) -> str:
    """Whole numbers without a decimal point, others with full precision."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))
