"""A :class:`~kpitree.analysis.probability.ProbabilitySolution` as a table, JSON or CSV.

The table is ``solve``'s, headed by the probability asked for, the one reached with its
standard error, and each lever's interval within two standard errors.
"""

from __future__ import annotations

from kpitree.analysis.probability import ProbabilitySolution
from kpitree.present.export import to_json
from kpitree.present.numbers import format_number, format_share
from kpitree.present.solution import solution_csv, solution_table


def probability_table(result: ProbabilitySolution) -> str:
    """The probability lines, then the solve table at the returned lever values."""
    tree = result.solution.tree
    sign = ">=" if tree.kgi_sign > 0 else "<="
    target = format_number(result.solution.target, tree.nodes[tree.kgi].unit)
    lines = [
        f"P({tree.kgi} {sign} {target}): wanted {format_share(result.probability)}, reached "
        f"{format_share(result.achieved, 2)} (SE {format_share(result.se, 2)}) over "
        f"{result.samples:,} paths, seed {result.seed}",
    ]
    if not result.feasible:
        lines.append(
            f"  NOT FEASIBLE: the best within the bounds is {format_share(result.best, 2)}"
        )
    for lever in result.solution.levers:
        low, high = result.lever_interval[lever.name]
        what = "common factor" if lever.per_period else "value"
        unit = None if lever.per_period else tree.nodes[lever.name].unit
        lines.append(
            f"  {lever.name}: {what} within two SE of {format_share(result.probability)}: "
            f"{format_number(low, unit)} to {format_number(high, unit)}"
        )
    return "\n".join(lines) + "\n\n" + solution_table(result.solution)


def probability_json(result: ProbabilitySolution) -> str:
    """``solve``'s JSON with ``"probability"`` (see :meth:`ProbabilitySolution.to_dict`)."""
    return to_json(result.to_dict()) + "\n"


def probability_csv(result: ProbabilitySolution) -> str:
    """The cascade at the returned lever values, as ``solve`` writes it."""
    return solution_csv(result.solution)
