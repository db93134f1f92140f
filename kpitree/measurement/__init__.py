"""Measuring a tree from record data: CRM, MA and SFA exports declared as the tree's sources.

:func:`measure` reads the sources into an embedded DuckDB, runs each node's ``measure:`` and
returns a :class:`~kpitree.measurement.result.Measurement`. Only the declarations live in the
modules imported here; DuckDB is imported when a tree is measured.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import zoneinfo
from typing import TYPE_CHECKING, Any

from kpitree.measurement.result import Measurement

if TYPE_CHECKING:
    from kpitree.tree import Tree

if TYPE_CHECKING:
    from kpitree.actuals import Actuals

__all__ = ["Measurement", "actuals_from_measure", "measure"]

PARTIAL = ("skip", "pace")
"""How the period holding the as-of date is used as actuals: left out, or its flows paced."""


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
        An :class:`~kpitree.actuals.Actuals` (what ``read_actuals`` returns, so every analysis
        takes it), the partial period included as measured to date, with one value per
        measured node and period (``measured``), the inputs implied by measured derived nodes
        (``implied``) and the reconciliation, both over complete periods only: the partial
        period's implied inputs are those of its paced flows, given by
        :func:`actuals_from_measure` with ``partial="pace"``.

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
    from kpitree.actuals import with_implied

    values = {
        name: {index: v for index, v in enumerate(series) if v is not None}
        for name, series in measured.items()
    }
    reported = tuple(sorted({index for v in values.values() for index in v}))
    partial_index = periods.labels.index(partial) if partial is not None else None
    elapsed = None
    if partial_index is not None:
        start, end = periods.starts[partial_index], periods.starts[partial_index + 1]
        elapsed = ((day - start).days + 1) / (end - start).days
    source = f"measured as of {day.isoformat()}"
    extra: dict[str, Any] = {
        "kgi": tree.kgi,
        "as_of": day,
        "measured": measured,
        "time": tree.time,
        "elapsed": elapsed,
        "units": {name: node.unit for name, node in tree.nodes.items()},
    }
    if not reported:  # an as-of date before the axis: nothing to imply or reconcile
        return Measurement(tree.name, source, (), {}, tree.periods, partial=partial_index, **extra)
    # Inputs are implied, and measured nodes reconciled, over complete periods only: counts to
    # date against a whole period's plan would imply rates a fraction of the real ones (a web
    # conversion of 1.2 % half-way through a month converting 2.4 %). The partial period's
    # implied inputs come from its paced flows: actuals_from_measure(partial="pace").
    complete = {
        name: {index: v for index, v in by_period.items() if index != partial_index}
        for name, by_period in values.items()
    }
    actuals = with_implied(
        tree, source, reported, {name: v for name, v in complete.items() if v}, None,
        partial_index,
    )  # fmt: skip
    fields: dict[str, Any] = {f.name: getattr(actuals, f.name) for f in dataclasses.fields(actuals)}
    if partial_index is not None:
        # The partial period stays among the actuals as measured to date.
        to_date = {
            name: by_period[partial_index]
            for name, by_period in values.items()
            if partial_index in by_period
        }
        inputs = {name: dict(v) for name, v in fields["values"].items()}
        derived = {name: dict(v) for name, v in fields["derived"].items()}
        for name, value in to_date.items():
            target = inputs if tree.nodes[name].is_input else derived
            target.setdefault(name, {})[partial_index] = value
        fields |= {"values": inputs, "derived": derived}
    return Measurement(**fields | extra)


def actuals_from_measure(
    tree: Tree, as_of: dt.date | str | None = None, partial: str = "skip"
) -> Actuals:
    """Measure ``tree`` from its sources as :class:`~kpitree.actuals.Actuals`, the object
    ``--actuals FILE`` gives, for every command that takes actuals.

    Parameters
    ----------
    tree : Tree
    as_of : datetime.date or str, optional
        As in :func:`measure` (default: today in the tree's time zone).
    partial : {"skip", "pace"}
        The period holding ``as_of``: ``skip`` leaves it out (it is not judged as a full
        period); ``pace`` keeps it with every flow (a node that sums over periods, by the
        roll-up rule) divided by the share of the period elapsed, rates and stocks as measured.

    Returns
    -------
    Actuals
        The :class:`Measurement` itself when no period is partial; otherwise ``partial`` is
        the index of the period holding ``as_of`` (``None`` when it ends that day), among
        ``periods`` only when paced (``paced``), with ``elapsed`` its share elapsed.
    """
    from kpitree.actuals import with_implied
    from kpitree.errors import DataError

    if partial not in PARTIAL:
        raise DataError(f"partial: expected one of {', '.join(PARTIAL)}, found '{partial}'")
    result = measure(tree, as_of)
    labels = result.labels or ()
    if not result.periods:
        raise DataError(
            f"tree '{tree.name}': nothing measured up to {result.as_of} (the first "
            f"period is {labels[0]})"
        )
    index = result.partial
    if index is None:
        return result
    values = {
        name: {p: v for p, v in enumerate(series) if v is not None and p != index}
        for name, series in result.measured.items()
    }
    share = result.elapsed or 1.0
    if partial == "pace":
        from kpitree.rollup import rules

        kinds = rules(tree)
        for name, series in result.measured.items():
            value = series[index]
            if value is not None:
                values[name][index] = value / share if kinds[name].kind == "sum" else value
    values = {name: v for name, v in values.items() if v}
    reported = tuple(sorted({p for v in values.values() for p in v}))
    if not reported:
        raise DataError(
            f"tree '{tree.name}': only the partial period {labels[index]} is measured up to "
            f"{result.as_of}: use partial 'pace' or a later as-of date"
        )
    found = with_implied(tree, result.source, reported, values, None, index)
    return dataclasses.replace(found, elapsed=share, paced=partial == "pace")


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
