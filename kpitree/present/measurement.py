"""A :class:`~kpitree.measurement.Measurement` as a terminal table, JSON or CSV."""

from __future__ import annotations

import json

from kpitree.measurement.result import Measurement
from kpitree.present.numbers import format_message, format_number, partial_mark
from kpitree.present.table import render_table

IMPLIED_TITLE = "implied inputs (solved so the tree reproduces the measured nodes)"
RECONCILIATION_TITLE = "reconciliation: each measured derived node against the tree"


def measurement_table(result: Measurement) -> str:
    """Three tables: the measured nodes per period, the inputs they imply per period, and the
    reconciliation (node, period, measured, computed, difference measured minus computed, the
    input it pins); numbers
    as every table shows them (:func:`~kpitree.present.numbers.format_number`, by unit), ``-``
    where there is nothing."""
    title = f"{result.tree}: measured from records as of {result.as_of}"
    text = render_table(
        ["period", *result.measured], _period_rows(result, result.measured), title=title
    )
    implied = result.implied_series()
    if implied:
        rows = _period_rows(result, implied)
        text += "\n\n" + render_table(["period", *implied], rows, title=IMPLIED_TITLE)
    if result.reconciliation:
        text += "\n\n" + render_table(
            ["node", "period", "measured", "computed", "difference", "pins"],
            [_reconciled(result, row) for row in result.reconciliation],
            title=RECONCILIATION_TITLE,
            align="llrrrl",
        )
    notes = []
    if result.partial is not None and implied:
        notes.append(
            f"note: {result.partial_label} is partial: inputs are implied and nodes reconciled "
            "over complete periods only (--measure --partial pace implies them from its paced "
            "flows)"
        )
    return text + "\n" + "".join(f"\n{note}\n" for note in notes)


def _period_rows(
    result: Measurement, series: dict[str, tuple[float | None, ...]]
) -> list[list[str]]:
    rows = []
    for index, label in enumerate(result.labels or ()):
        mark = f" {partial_mark(result.elapsed)}" if index == result.partial else ""
        cells = [f"{label}{mark}"]
        for name, values in series.items():
            value = values[index]
            cells.append("-" if value is None else format_number(value, result.units.get(name)))
        rows.append(cells)
    return rows


def _reconciled(result: Measurement, row: dict) -> list[str]:
    unit = result.units.get(row["node"])
    measured = row["measured"]
    return [
        row["node"],
        str(row["period"]),
        format_number(measured, unit),
        format_number(row["computed"], unit),
        _difference(row["difference"], unit, measured),
        row["pins"] or "-",
    ]


def _difference(value: float, unit: str | None, scale: float) -> str:
    """Measured minus computed, signed; the solve's rounding noise (1e-12 of the measured
    value) reads as 0."""
    text = format_message(value, unit, scale=scale)
    return f"+{text}" if value > 0 and text != "0" else text


def measurement_json(result: Measurement) -> str:
    """:meth:`Measurement.to_dict` as indented JSON."""
    return json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n"


def measurement_csv(result: Measurement) -> str:
    """:meth:`Measurement.to_csv`: readable back as ``--actuals`` for the inputs."""
    return result.to_csv()
