"""Measuring a tree from record data: CRM, MA and SFA exports declared as the tree's sources.

:func:`measure` reads the sources into an embedded DuckDB, runs each node's ``measure:`` and
returns a :class:`~kpitree.measurement.result.Measurement`. Only the declarations live in the
modules imported here; DuckDB is imported when a tree is measured.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import TYPE_CHECKING

from kpitree.measurement.result import Measurement

if TYPE_CHECKING:
    from kpitree.tree import Tree

__all__ = ["Measurement", "measure"]


def measure(tree: Tree, as_of: dt.date | str | None = None) -> Measurement:
    """Measure every node of ``tree`` that has a ``measure:``, period by period.

    Parameters
    ----------
    tree : Tree
        A timed tree (with a ``start``) declaring ``sources:``.
    as_of : datetime.date or str, optional
        Records up to the end of this day in the tree's time zone count; periods starting
        after it are ``None`` and the period holding it is partial. Default: today there.

    Returns
    -------
    Measurement
        One value per measured node and period.

    Raises
    ------
    DataError
        A source that cannot be read, a column that does not exist, SQL that does not parse or
        tries to reach outside the declared sources, a value that is not a number (with the
        node, the period and ``FILE:LINE`` of the declaration).
    """
    from kpitree.errors import DataError, did_you_mean
    from kpitree.measurement.duckdb_engine import RecordStore
    from kpitree.measurement.periods import boundaries

    periods = boundaries(tree.time, tree.name)
    day = _as_of(as_of, periods.timezone)
    measures = {name: node.measure for name, node in tree.nodes.items() if node.measure}
    if not measures:
        raise DataError(f"tree '{tree.name}': no node has a 'measure:' to measure")
    for name, item in measures.items():
        # The file reader checks this; a tree built in Python gets the same error here.
        if item.source not in tree.sources:
            raise DataError(
                f"node '{name}': measure: unknown source '{item.source}'"
                f"{did_you_mean(item.source, tree.sources)}",
                item.location,
            )
    # Periods that start after the as-of day are not measured; the one holding it is cut at
    # the end of that day.
    cut = day + dt.timedelta(days=1)
    spans = [
        (periods.starts[index], min(periods.starts[index + 1], cut))
        for index in range(len(periods.labels))
        if periods.starts[index] <= day
    ]
    partial = next(
        (
            periods.labels[index]
            for index in range(len(periods.labels))
            if periods.starts[index] <= day < periods.starts[index + 1] - dt.timedelta(days=1)
        ),
        None,
    )
    measured: dict[str, tuple[float | None, ...]] = {}
    with RecordStore(tree.sources, periods.timezone) as store:
        for name, item in measures.items():
            found = store.measure(item, periods, spans)
            measured[name] = tuple(found.get(index) for index in range(len(periods.labels)))
    return Measurement(tree.name, day, periods.labels, partial, measured)


def _as_of(as_of: dt.date | str | None, timezone: str) -> dt.date:
    from kpitree.errors import DataError

    if as_of is None:
        return dt.datetime.now(zoneinfo.ZoneInfo(timezone)).date()
    if isinstance(as_of, dt.datetime):
        return as_of.date()
    if isinstance(as_of, dt.date):
        return as_of
    try:
        return dt.date.fromisoformat(str(as_of).strip())
    except ValueError:
        raise DataError(f"as of: expected a date YYYY-MM-DD, found '{str(as_of)[:40]}'") from None
