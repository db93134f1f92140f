"""A :class:`~kpitree.analysis.shapley.Shapley` result as a terminal table or JSON."""

from __future__ import annotations

from kpitree.analysis.shapley import Shapley
from kpitree.present.assumptions import assumption_lines
from kpitree.present.export import to_json
from kpitree.present.table import render_table


def shapley_table(result: Shapley) -> str:
    """Inputs as rows (largest effect first) with the effect, its 95 % interval and SE."""
    order = sorted(range(len(result.names)), key=lambda i: -result.effects[i])
    rows = [
        [
            result.names[i],
            f"{result.effects[i]:.3f}",
            f"± {result.effects_conf[i]:.3f}",
            f"{result.effects_se[i]:.4f}",
        ]
        for i in order
    ]
    scenario = f" (scenario {result.scenario})" if result.scenario else ""
    title = (
        f"{result.tree.name}{scenario}: Shapley effects of {result.tree.kgi} at the last "
        f"period, {result.orders:,} random orders ({result.evaluations:,} evaluations), "
        f"seed {result.seed}"
    )
    text = render_table(["input", "Sh", "95 %", "SE"], rows, title=title)
    text += "\nSh: the input's share of the variance, its own and its part of every interaction"
    text += (
        "\nand correlation (the shares add up to 1)."
        if result.correlated
        else "\n(the shares add up to 1; the inputs are independent, so S1 <= Sh <= ST)."
    )
    for line in assumption_lines(result.tree, result.fixed, result.notes):
        text += f"\n{line}"
    return text + "\n"


def shapley_json(result: Shapley) -> str:
    """``result.to_dict()`` as JSON."""
    return to_json(result.to_dict()) + "\n"
