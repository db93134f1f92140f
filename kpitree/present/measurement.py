"""A :class:`~kpitree.measurement.Measurement` as a terminal table, JSON or CSV."""

from __future__ import annotations

import json

from kpitree.measurement.result import Measurement
from kpitree.present.numbers import partial_mark
from kpitree.present.table import render_table


def measurement_table(result: Measurement) -> str:
    """One row per period, one column per measured node; ``-`` where not measured."""
    names = list(result.measured)
    rows = []
    for index, label in enumerate(result.labels or ()):
        mark = f" {partial_mark(result.elapsed)}" if index == result.partial else ""
        cells = [f"{label}{mark}"]
        for name in names:
            value = result.measured[name][index]
            cells.append("-" if value is None else f"{value:,.10g}")
        rows.append(cells)
    title = f"{result.tree}: measured from records as of {result.as_of}"
    return render_table(["period", *names], rows, title=title) + "\n"


def measurement_json(result: Measurement) -> str:
    """:meth:`Measurement.to_dict` as indented JSON."""
    return json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n"


def measurement_csv(result: Measurement) -> str:
    """:meth:`Measurement.to_csv`: readable back as ``--actuals`` for the inputs."""
    return result.to_csv()
