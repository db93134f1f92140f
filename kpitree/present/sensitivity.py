"""A :class:`~kpitree.analysis.sensitivity.Sensitivity` as a terminal table, JSON or CSV."""

from __future__ import annotations

import math

from kpitree.analysis.sensitivity import Sensitivity
from kpitree.present.export import to_csv, to_json
from kpitree.present.kgi import kgi_heading
from kpitree.present.numbers import format_number
from kpitree.present.table import render_table


def sensitivity_table(result: Sensitivity) -> str:
    """One row per input, largest |elasticity| first; inputs the KGI ignores at the end."""
    header = ["input", "value", "unit", "dKGI/dinput", "elasticity", "owner", "note"]
    rows = []
    for entry in result.inputs:
        notes = []
        if isinstance(entry.value, tuple):
            notes.append("per period (value: the mean)")
        if not entry.upstream:
            notes.append("not upstream of the KGI")
        elasticity = "-" if math.isnan(entry.elasticity) else f"{entry.elasticity:+.3f}"
        rows.append(
            [entry.name, format_number(entry.mean_value, entry.unit), entry.unit or "",
             format_number(entry.derivative), elasticity if entry.upstream else "0",
             entry.owner or "", "; ".join(notes)]
        )  # fmt: skip
    title = kgi_heading(result.tree, "sensitivity of", result.kgi, result.period,
                        result.kgi_value, result.kgi_unit, result.scenario)  # fmt: skip
    footer = (
        "elasticity: % change of the KGI per 1 % change of the input (every period scaled "
        "together);\ndKGI/dinput: KGI units per input unit (every period shifted together)"
    )
    align = "lrlrrll"
    if not any(row[-1] for row in rows):  # no notes: no empty column
        header, rows, align = header[:-1], [row[:-1] for row in rows], align[:-1]
    table = render_table(header, rows, title=title, align=align)
    return f"{table}\n{footer}\n"


def sensitivity_json(result: Sensitivity) -> str:
    """``{"tree", "kgi", "period", "kgi_value", "scenario", "inputs": [...]}``."""
    return to_json(result.to_dict()) + "\n"


def sensitivity_csv(result: Sensitivity) -> str:
    """One row per input."""
    return to_csv(result.to_frame())
