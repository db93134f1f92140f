"""Inputs implied by actuals of derived nodes, and the reconciliation of every measured node.

Records give counts (``sql``, ``won``) and money (``new_mrr``), rarely rates. A measured derived
node whose formula reads exactly one input without an actual in a period pins that input
there: the input's value is solved so that the tree reproduces the measured value (``sql_rate =
sql / mql``; with ``won = delay(sql, 2) * win_rate`` the win rate of month m is won at m over
sql at m - 2). Nodes are taken in the tree's order and periods in time order, so an input
implied by one node feeds the nodes after it and the stocks of later periods. A formula that
reads two such inputs needs ``calibrates: NAME`` on the node to say which one it pins.

The solve is a secant step on the whole tree's evaluation in that period: exact (to rounding)
when the node is linear in the input, as a funnel stage is; a few more steps otherwise. A node
that does not move with the input in that period (``won`` in January, when it closes the deals
qualified before the tree starts) pins nothing there; the reconciliation shows its gap.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from kpitree.errors import DataError, Location

if TYPE_CHECKING:
    from kpitree.tree import Tree

_STEPS = 60  # secant steps for a node not linear in its input; linear ones take one


@dataclass(frozen=True)
class Implied:
    """What the actuals of derived nodes imply.

    Attributes
    ----------
    values : dict[str, dict[int, float]]
        Per implied input: 0-based period -> the value that reproduces the measured node.
    pinned_by : dict[str, str]
        Per implied input: the measured node that pinned it.
    reconciliation : tuple[dict, ...]
        One row per measured node and period: ``node``, ``period``, ``measured``,
        ``computed`` (the tree on the actual and implied inputs), ``difference``, ``pins``
        (the input it pinned, or ``None``).
    """

    values: dict[str, dict[int, float]]
    pinned_by: dict[str, str]
    reconciliation: tuple[dict[str, Any], ...]


def imply_inputs(
    tree: Tree,
    given: Mapping[str, Mapping[int, float]],
    derived: Mapping[str, Mapping[int, float]],
    where: Location | None = None,
) -> Implied:
    """Solve the inputs pinned by actuals of derived nodes, and reconcile every measured node.

    Parameters
    ----------
    tree : Tree
    given : mapping
        Actuals of inputs: name -> 0-based period -> value.
    derived : mapping
        Actuals of derived nodes, the same way.
    where : Location, optional
        Where the actuals come from, for messages about a node without a location.

    Returns
    -------
    Implied

    Raises
    ------
    DataError
        A measured node whose formula reads two or more inputs without an actual in a period
        and no ``calibrates:`` (or one that names none of them).
    """
    known: dict[str, dict[int, float]] = {name: dict(v) for name, v in given.items()}
    inputs = _input_arrays(tree, known)
    implied: dict[str, dict[int, float]] = {}
    pinned_by: dict[str, str] = {}
    pins: dict[tuple[str, int], str] = {}
    position = {name: index for index, name in enumerate(tree.nodes)}
    for name in tree.order():
        if name not in derived or tree.nodes[name].is_input:
            continue
        reads = sorted(
            (ref for ref in tree.graph.predecessors(name) if tree.nodes[ref].is_input),
            key=position.__getitem__,
        )
        for period in sorted(derived[name]):
            free = [ref for ref in reads if period not in known.get(ref, {})]
            if not free:
                continue
            pick = _pick(tree, name, free, reads, period, where)
            value = _solve(tree, inputs, name, pick, period, derived[name][period])
            if value is None:
                continue
            inputs[pick][period] = value
            known.setdefault(pick, {})[period] = value
            implied.setdefault(pick, {})[period] = value
            pinned_by.setdefault(pick, name)
            pins[(name, period)] = pick
    rows = tree.engine.run(inputs, samples=1, nodes=tuple(derived), nonfinite={}) if derived else {}
    reconciliation = []
    for name in tree.order():
        if name not in derived:
            continue
        for period in sorted(derived[name]):
            measured = float(derived[name][period])
            computed = float(np.asarray(rows[name]).reshape(-1)[period])
            reconciliation.append(
                {
                    "node": name,
                    "period": tree.periods[period] if tree.periods is not None else None,
                    "measured": measured,
                    "computed": computed,
                    "difference": measured - computed,
                    "pins": pins.get((name, period)),
                }
            )
    return Implied(implied, pinned_by, tuple(reconciliation))


def _input_arrays(tree: Tree, known: Mapping[str, Mapping[int, float]]) -> dict[str, np.ndarray]:
    """Every input as one float per period, the actuals in place of the plan."""
    periods = tree.period_count
    arrays = {}
    for name, value in tree.input_values().items():
        array = np.array(np.broadcast_to(np.asarray(value, dtype=float), (periods,)))
        for period, actual in known.get(name, {}).items():
            array[period] = actual
        arrays[name] = array
    return arrays


def _pick(
    tree: Tree,
    name: str,
    free: list[str],
    reads: list[str],
    period: int,
    where: Location | None,
) -> str:
    node = tree.nodes[name]
    measure = getattr(node.measure, "location", None)
    location = where or measure or node.location
    if node.calibrates is not None and node.calibrates not in reads:
        raise DataError(
            f"node '{name}': calibrates: '{node.calibrates}' is not an input its formula reads "
            f"({', '.join(reads) or 'none'})",
            location,
        )
    if len(free) == 1:
        return free[0]
    if node.calibrates in free:
        return node.calibrates
    label = tree.periods[period] if tree.periods is not None else "the actuals"
    names = " and ".join(f"'{ref}'" for ref in free)
    raise DataError(
        f"node '{name}' has an actual in {label} and its formula reads {names} without one: "
        f"say which input the actual pins with 'calibrates: NAME' on '{name}', or give an "
        f"actual for the other",
        location,
    )


def _solve(
    tree: Tree,
    inputs: dict[str, np.ndarray],
    name: str,
    pick: str,
    period: int,
    target: float,
) -> float | None:
    """The value of ``pick`` at ``period`` at which ``name`` there equals ``target``; ``None``
    when the node does not move with it (or no value is found)."""

    def values(*trials: float) -> list[float]:
        column = np.tile(inputs[pick], (len(trials), 1))
        column[:, period] = trials
        base = {**inputs, pick: column}
        rows = tree.engine.run(base, samples=len(trials), nodes=(name,), nonfinite={})
        return [float(v) for v in np.asarray(rows[name])[:, period]]

    start = float(inputs[pick][period])
    other = start + max(abs(start) * 0.5, 1.0)
    low, high = values(start, other)
    x0, f0, x1, f1 = start, low, other, high
    scale = max(abs(target), 1.0)
    for _ in range(_STEPS):
        if not (math.isfinite(f0) and math.isfinite(f1)) or f1 == f0:
            return None
        x2 = x1 + (target - f1) * (x1 - x0) / (f1 - f0)
        if not math.isfinite(x2):
            return None
        (f2,) = values(x2)
        if math.isfinite(f2) and abs(f2 - target) <= 1e-12 * scale:
            return x2
        x0, f0, x1, f1 = x1, f1, x2, f2
    return None
