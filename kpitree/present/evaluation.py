"""An :class:`~kpitree.evaluation.Evaluation` as a terminal table, JSON or CSV."""

from __future__ import annotations

from kpitree.analysis.status import final_judgement
from kpitree.evaluation import Evaluation
from kpitree.periods import period_labels
from kpitree.present.export import to_csv, to_json
from kpitree.present.numbers import format_number, format_share
from kpitree.present.table import render_table


def evaluation_table(evaluation: Evaluation) -> str:
    """Nodes as rows (KGI marked with ``*``), periods as columns, with unit and owner."""
    tree = evaluation.tree
    periods = evaluation.periods or ["value"]
    header = ["node", "unit", "owner", *periods]
    rows = []
    for name, node in tree.nodes.items():
        values = evaluation.values[name].reshape(-1)
        marker = "* " if name == tree.kgi else "  "
        rows.append(
            [marker + name, node.unit or "", node.owner or "",
             *(format_number(float(v), node.unit) for v in values)]
        )  # fmt: skip
    scenario = f", scenario '{evaluation.scenario}'" if evaluation.scenario else ""
    title = f"{tree.name}{scenario}: KGI {tree.kgi} = {_kgi_text(evaluation)}"
    return (
        render_table(header, rows, title=title, align="lll" + "r" * len(periods), marked=0) + "\n"
    )


def _kgi_text(evaluation: Evaluation) -> str:
    node = evaluation.tree.nodes[evaluation.kgi]
    judged = final_judgement(evaluation.tree, evaluation.kgi, evaluation.values)
    if judged is not None and judged[0].is_span:
        # A quarter or year target is judged on the KGI's roll-up over it, not its last month.
        milestone, value = judged
        text = f"{format_number(value, node.unit)} in {milestone.label}"
        target: float | None = milestone.value
    else:
        value, target = evaluation.kgi_value, node.target
        text = format_number(value, node.unit)
        if evaluation.periods:
            text += f" at {evaluation.periods[-1]}"
    if target is not None:
        share = value / target if target else float("nan")
        text += f" (target {format_number(target, node.unit)}, {format_share(share)} of it)"
    return text


def evaluation_json(evaluation: Evaluation) -> str:
    """``{"tree", "kgi", "periods", "values"}``."""
    return to_json(evaluation.to_dict()) + "\n"


def evaluation_csv(evaluation: Evaluation) -> str:
    """One row per period (one row for a static tree), one column per node."""
    frame = evaluation.to_frame()
    # The tree's own labels (2027-Q1, a week's first day), as --actuals reads them back.
    frame.index = period_labels(frame.index, evaluation.tree.time)
    return to_csv(frame, index=evaluation.periods is not None)
