"""Several levers at once: how the move towards a target is shared between them.

Every lever moves in the direction that helps (the sign of its effect on the node, so churn
goes down when the goal goes up), within its bounds.

- ``uniform``: every lever changes by the same relative amount ``u`` (``new = old x (1 + u)``,
  ``1 - u`` for a lever that works against the goal); ``u`` is solved on one line.
- ``weighted``: lever ``i`` changes by ``w_i x u``.
- ``min-effort``: the least total ``sum(effort_i x |ln(new_i / old_i)|)``. The log ratio is the
  relative change for small moves, and makes the problem exact for a product of levers (the
  funnel ``leads x r1 x r2 x r3``): there the node's log is linear in the levers' logs, so the
  problem is a linear program (scipy linprog). Elsewhere (timed trees, sums) the candidates
  are every corner (one lever solved alone, the others at 0 or at their bound) and SLSQP on
  the same problem with the equality ``node = target``, started from the uniform move and
  from each lever's lone solution; the feasible one with the least effort is kept.
- ``balanced``: the least ``sum(effort_i x ln(new_i / old_i) ** 2)``, which shares the move
  (:mod:`kpitree.analysis.balanced`).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import replace

import numpy as np
from scipy.optimize import linprog, minimize

from kpitree.analysis.balanced import RowFunction, balanced
from kpitree.analysis.bracket import RESIDUAL, solve_line, target_constraint
from kpitree.analysis.lever_shape import product_exponents
from kpitree.analysis.levers import Lever, LeverPlan, directions, node_values
from kpitree.errors import SolveError
from kpitree.node import Value
from kpitree.tree import Tree

MODES = ("uniform", "weighted", "min-effort", "balanced")
# An open bound in min-effort is searched up to this factor on the current value.
OPEN_FACTOR = 1e9
# Up to this many levers, min-effort tries every corner (each lever alone, any subset of the
# others at their bound): levers x 2**(levers - 1) one-line solves, 192 for 6.
CORNER_LEVERS = 6


def check_weights(levers: Sequence[Lever], weights: Mapping[str, float]) -> None:
    """Refuse a weight for something that is not a lever, or one that is not positive."""
    names = [lever.name for lever in levers]
    for name, weight in weights.items():
        if name not in names:
            raise SolveError(
                f"weight given for '{name}', which is not a lever (levers: {', '.join(names)})"
            )
        if not (math.isfinite(weight) and weight > 0):
            raise SolveError(f"weight of lever '{name}' must be a positive number, found {weight}")


def solve_levers(
    tree: Tree,
    levers: Sequence[Lever],
    *,
    node: str,
    target: float,
    base: Mapping[str, Value],
    mode: str,
    weights: Mapping[str, float],
) -> LeverPlan:
    """Move several levers so that ``node`` reaches ``target``, as ``mode`` says."""
    check_weights(levers, weights)
    for lever in levers:
        if not np.any(lever.array):
            raise SolveError(
                f"lever '{lever.name}' is 0: a relative change cannot move it; give it a "
                f"non-zero value (--set) or solve for it alone"
            )
    signs = directions(tree, levers, node=node, base=base)
    if mode == "balanced":
        exponents = _product_exponents(tree, levers, node, base)
        plan = balanced(tree, levers, signs, exponents, node=node, target=target, base=base)
    elif mode == "min-effort":
        plan = _min_effort(tree, levers, signs, node=node, target=target, base=base)
    else:
        share = np.array([weights.get(lever.name, 1.0) for lever in levers])
        share_or_none = share if mode == "weighted" else None
        plan = _along_line(tree, levers, signs, share_or_none, node=node, target=target, base=base)
    return replace(plan, signs=tuple(float(sign) for sign in signs))


def _along_line(
    tree: Tree,
    levers: Sequence[Lever],
    signs: np.ndarray,
    share: np.ndarray | None,
    *,
    node: str,
    target: float,
    base: Mapping[str, Value],
) -> LeverPlan:
    slopes = signs * (share if share is not None else 1.0)
    # u range: every lever within its bounds, and no factor below 0 (a change beyond -100 %
    # would flip the sign of a count or a rate).
    low, high = -math.inf, math.inf
    limits = []
    for lever, slope in zip(levers, slopes, strict=True):
        factor_low, factor_high = lever.factor_range()
        factor_low = max(factor_low, 0.0)
        ends = sorted(((factor_low - 1) / slope, (factor_high - 1) / slope))
        limits.append(ends)
        low, high = max(low, ends[0]), min(high, ends[1])
    if low > 0 or high < 0:  # pragma: no cover - the current values are within bounds
        raise SolveError("the current lever values are outside their bounds")

    def function(points: np.ndarray) -> np.ndarray:
        changes = {
            lever.name: lever.rows(1 + slope * points)
            for lever, slope in zip(levers, slopes, strict=True)
        }
        return node_values(tree, changes, len(points), node=node, base=base)

    line = solve_line(function, target, low, high, start=0.0, scale=0.1)
    u = line.best
    values = {
        lever.name: lever.value(1 + slope * u) for lever, slope in zip(levers, slopes, strict=True)
    }
    what = "the same relative change" if share is None else "relative changes proportional to"
    method = f"{what} {_share_words(share)}, solved on one line"
    note = ""
    if not line.feasible:
        binding = [
            lever.name
            for lever, ends in zip(levers, limits, strict=True)
            if math.isclose(ends[1] if u >= 0 else ends[0], u, rel_tol=1e-9, abs_tol=1e-12)
        ]
        # What is reported is the node where the common change stops, not the most the levers
        # can reach: the other levers could still move on their own.
        if binding:
            note = (
                f"the target is out of reach by {what} {_share_words(share)}: the change stops "
                f"at {_change(u)}, where {', '.join(binding)} "
                f"reach{'es' if len(binding) == 1 else ''}"
                f" a bound; reported is {node} there"
            )
            if len(binding) < len(levers):
                note += (
                    ", not the most the levers can reach (the others could still move; mode "
                    "min-effort takes each lever to its own bound)"
                )
        else:
            note = (
                f"the target is out of reach by {what} {_share_words(share)}: reported is the "
                f"closest {node} comes along that line, at a change of {_change(u)}"
            )
    elif line.intervals:
        note = (
            f"{node} is flat at the target for "
            + " and ".join(
                f"common changes between {_change(a)} and {_change(b)}" for a, b in line.intervals
            )
            + f"; returned the smallest, {_change(line.best)}"
        )
    elif len(line.roots) > 1:
        note = (
            f"{len(line.roots)} common changes reach the target; returned the smallest, "
            f"{_change(line.best)}"
        )
    return LeverPlan(values, line.feasible, line.best_value, method, note)


def _share_words(share: np.ndarray | None) -> str:
    return "on every lever" if share is None else "the weights"


def _min_effort(
    tree: Tree,
    levers: Sequence[Lever],
    signs: np.ndarray,
    *,
    node: str,
    target: float,
    base: Mapping[str, Value],
) -> LeverPlan:
    efforts = np.array([lever.effort for lever in levers])
    current = float(node_values(tree, {}, 1, node=node, base=base)[0])
    if current == target:
        values = {lever.name: lever.base for lever in levers}
        return LeverPlan(
            values, True, current, "min-effort: the target is already met", "", (), 0.0
        )
    # z_i >= 0 is how far lever i moves in log terms, in the direction that closes the gap.
    moves = signs * np.sign(target - current)
    caps = []
    for lever, move in zip(levers, moves, strict=True):
        factor_low, factor_high = lever.factor_range()
        end = factor_high if move > 0 else factor_low
        if move < 0 and end <= 0:
            end = 0.0  # log space never reaches zero: open towards it
        caps.append(math.log(end) * move if end > 0 and math.isfinite(end) else math.inf)
    caps_array = np.maximum(np.array(caps), 0.0)

    def factors(z: np.ndarray) -> np.ndarray:
        return np.exp(moves * z)

    def evaluate(rows: np.ndarray) -> np.ndarray:
        changes = {
            lever.name: lever.rows(np.exp(moves[index] * rows[:, index]))
            for index, lever in enumerate(levers)
        }
        return node_values(tree, changes, rows.shape[0], node=node, base=base)

    exponents = _product_exponents(tree, levers, node, base)
    if exponents is not None and current > 0 and target > 0:
        z, feasible = _linear_program(exponents, efforts, caps_array, math.log(target / current))
        method = "min-effort: linear program in log space (scipy linprog), the node is a product"
    else:
        z, feasible = _slsqp(evaluate, efforts, caps_array, target, current)
        method = (
            "min-effort: SLSQP (scipy minimize) on sum(effort x |ln(new/old)|) from several "
            "starts, and every corner (one lever solved alone, the others at 0 or at their "
            "bound); the least effort kept"
        )
    reached = float(evaluate(z[None, :])[0])
    values = {lever.name: lever.value(f) for lever, f in zip(levers, factors(z), strict=True)}
    note = ""
    if not feasible:
        note = "the target is out of reach: every lever is at the bound that helps"
        if np.isinf(caps_array).any():
            note += f" (an open bound is searched up to {OPEN_FACTOR:g} x the current value)"
    return LeverPlan(values, feasible, reached, method, note, (), float(efforts @ z))


def _product_exponents(
    tree: Tree, levers: Sequence[Lever], node: str, base: Mapping[str, Value]
) -> np.ndarray | None:
    """``p`` with node = c x prod(lever_i ** p_i) on a static tree, else None (read formula by
    formula, see :func:`kpitree.analysis.lever_shape.product_exponents`)."""
    if tree.is_timed:
        return None
    values = {
        name: float(array[0, 0]) for name, array in tree.engine.run(base, nodes=[node]).items()
    }
    exponents = product_exponents(tree, node, [lever.name for lever in levers], values)
    return None if exponents is None else np.array(exponents)


def _linear_program(
    exponents: np.ndarray, efforts: np.ndarray, caps: np.ndarray, gap: float
) -> tuple[np.ndarray, bool]:
    """min efforts . z  s.t.  |p| . z = |ln(target / current)|, 0 <= z <= caps."""
    bounds = [(0.0, None if math.isinf(cap) else cap) for cap in caps]
    result = linprog(
        efforts, A_eq=np.abs(exponents)[None, :], b_eq=[abs(gap)], bounds=bounds, method="highs"
    )
    if result.status == 0:
        return np.asarray(result.x, dtype=float), True
    return np.where(np.isinf(caps), math.log(OPEN_FACTOR), caps), False


def _slsqp(
    evaluate: RowFunction, efforts: np.ndarray, caps: np.ndarray, target: float, current: float
) -> tuple[np.ndarray, bool]:
    """min efforts . z  s.t.  node(z) = target, 0 <= z <= caps, the least of several answers.

    The objective is linear, so where the node is convex in the log moves (a sum of levers:
    ``a + b`` is ``e^z1 + e^z2``) the least effort sits on a corner: one lever moved alone,
    the others at 0 or at their bound, and SLSQP started between corners stays on the
    stationary point there (the uniform move of ``a + b`` is the *most* costly split). Where
    it is concave the optimum can be inside, which SLSQP finds. So the candidates are every
    corner, and SLSQP from the uniform move and from each lever's lone solution; the feasible
    one with the least effort is kept.
    """
    reach = np.where(np.isinf(caps), math.log(OPEN_FACTOR), caps)
    tolerance = RESIDUAL * max(abs(target), 1e-12 * abs(target - current), 1e-300)
    # The uniform move: every lever by the same log amount t, capped at its bound.
    line = solve_line(
        lambda t: evaluate(np.minimum(np.asarray(t)[:, None], reach[None, :])),
        target,
        0.0,
        float(reach.max()),
        start=0.0,
        scale=0.1,
    )
    uniform = [np.minimum(line.best, reach)] if line.feasible else []
    alone, corners = _corners(evaluate, efforts, reach, target)
    found = uniform + alone + corners
    if not found:
        return reach, False
    found += [
        z
        for z in (_descend(evaluate, efforts, reach, target, s) for s in uniform + alone)
        if z is not None
    ]
    rows = np.array(found)
    feasible = np.abs(evaluate(rows) - target) <= tolerance
    if not feasible.any():  # pragma: no cover - corners and starts are roots of solve_line
        return reach, False
    costs = np.where(feasible, rows @ efforts, math.inf)
    return rows[int(np.argmin(costs))], True


def _corners(
    evaluate: RowFunction, efforts: np.ndarray, reach: np.ndarray, target: float
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Each lever solved alone with the others at 0 (its lone solution), and with some of the
    others pinned at their bound (capped levers only); every lever count up to CORNER_LEVERS
    tries every subset, beyond that only none or all of the others are pinned.

    A corner whose pinned levers alone cost more than the best corner found so far is skipped.
    """
    count = len(efforts)
    capped = np.isfinite(reach) & (reach > 0)
    alone: list[np.ndarray] = []
    pinned: list[np.ndarray] = []
    best = math.inf
    for size in range(count):
        for free in range(count):
            others = [i for i in range(count) if i != free and capped[i]]
            if count > CORNER_LEVERS and 0 < size < len(others):
                continue
            for subset in itertools.combinations(others, size):
                z = np.zeros(count)
                z[list(subset)] = reach[list(subset)]
                if efforts @ z >= best:
                    continue
                solved = _along(evaluate, z, free, reach, target)
                if solved is None:
                    continue
                best = min(best, float(efforts @ solved))
                (alone if size == 0 else pinned).append(solved)
    return alone, pinned


def _along(
    evaluate: RowFunction, z: np.ndarray, index: int, reach: np.ndarray, target: float
) -> np.ndarray | None:
    """``z`` with lever ``index`` solved on its own (the least move), or None if it cannot."""

    def function(points: np.ndarray) -> np.ndarray:
        rows = np.repeat(z[None, :], len(points), axis=0)
        rows[:, index] = points
        return evaluate(rows)

    line = solve_line(function, target, 0.0, float(reach[index]), start=0.0, scale=0.1)
    if not line.feasible:
        return None
    solved = z.copy()
    solved[index] = line.best
    return solved


def _descend(
    evaluate: RowFunction, efforts: np.ndarray, reach: np.ndarray, target: float, start: np.ndarray
) -> np.ndarray | None:
    """SLSQP from the feasible point ``start``, polished onto the target; None if it fails."""
    result = minimize(
        lambda z: float(efforts @ z),
        start,
        jac=lambda z: efforts,
        bounds=[(0.0, cap) for cap in reach],
        constraints=[target_constraint(evaluate, target, len(efforts))],
        method="SLSQP",
        options={"ftol": 1e-12, "maxiter": 200},
    )
    if not result.success:
        return None
    z = np.clip(np.asarray(result.x, dtype=float), 0.0, reach)
    z[z < 1e-12] = 0.0  # SLSQP leaves rounding dust on levers it does not move
    return _polish(evaluate, z, reach, target)


def _polish(evaluate: RowFunction, z: np.ndarray, reach: np.ndarray, target: float) -> np.ndarray:
    """Hit the target to rounding by re-solving the freest lever alone (SLSQP stops near it)."""
    free = [i for i in range(len(z)) if 0 < z[i] < reach[i]] or list(range(len(z)))
    index = max(free, key=lambda i: z[i])

    def along(points: np.ndarray) -> np.ndarray:
        rows = np.repeat(z[None, :], len(points), axis=0)
        rows[:, index] = points
        return evaluate(rows)

    line = solve_line(along, target, 0.0, float(reach[index]), start=float(z[index]), scale=0.1)
    if line.feasible:
        z = z.copy()
        z[index] = line.best
    return z


def _change(u: float) -> str:
    """A common relative change as the lever table shows it: ``+3.1 %``."""
    # Formatting is presentation's; imported here so the note reads as the tables do.
    from kpitree.present.numbers import format_percent

    return format_percent(u)
