"""A :class:`~kpitree.analysis.sobol.Sobol` result as a terminal table or JSON."""

from __future__ import annotations

from kpitree.analysis.sobol import Sobol
from kpitree.present.assumptions import assumption_lines
from kpitree.present.export import to_json
from kpitree.present.table import render_table


def sobol_table(result: Sobol) -> str:
    """Inputs as rows (largest total index first) with S1 and ST and their 95 % intervals."""
    order = sorted(range(len(result.names)), key=lambda i: -result.ST[i])
    rows = [
        [
            result.names[i],
            f"{result.S1[i]:.3f}",
            f"± {result.S1_conf[i]:.3f}",
            f"{result.ST[i]:.3f}",
            f"± {result.ST_conf[i]:.3f}",
        ]
        for i in order
    ]
    scenario = f" (scenario {result.scenario})" if result.scenario else ""
    title = (
        f"{result.tree.name}{scenario}: Sobol indices of {result.tree.kgi} at the last period, "
        f"N = {result.samples:,} ({result.evaluations:,} evaluations), seed {result.seed}"
    )
    text = render_table(["input", "S1", "95 %", "ST", "95 %"], rows, title=title)
    text += "\nS1: share of the variance due to the input alone; ST: including its interactions."
    for line in assumption_lines(result.tree, result.fixed, result.notes):
        text += f"\n{line}"
    return text + "\n"


def sobol_json(result: Sobol) -> str:
    """``result.to_dict()`` as JSON."""
    return to_json(result.to_dict()) + "\n"
