"""The balanced mode of a several-lever solve: the move shared between the levers.

min-effort's cost is linear in the log moves, so it puts the whole move on the cheapest lever.
Planning sessions usually want it shared; the balanced mode minimises the square instead,

    sum(effort_i x y_i ** 2),  y_i = ln(new_i / old_i),  node = target,  y within bounds,

which spreads it. Where the node is a product of the levers (``c x prod(lever_i ** p_i)``, a
static funnel), ``ln node`` is linear in ``y`` and the answer is closed: ``y_i = lam x p_i /
effort_i``, each clipped to its bounds, with ``lam`` the one number at which ``sum(p_i y_i) =
ln(target / current)`` (found on one line: the sum rises with ``lam``). Without bounds that
binds, log changes are proportional to ``p_i / effort_i`` (to 1 / effort for a plain product).
Elsewhere (timed trees, sums) the same shape ``y_i = clip(lam x d_i / effort_i)``, ``d_i`` the
direction that helps, is solved on one line for a first answer, and SLSQP then minimises the
square from it under ``node = target``; the better of the two that hits the target is kept.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import numpy as np
from scipy.optimize import brentq, minimize

from kpitree.analysis.bracket import RESIDUAL, solve_line, target_constraint
from kpitree.analysis.levers import Lever, LeverPlan, node_values
from kpitree.node import Value
from kpitree.tree import Tree

# Rows of log moves (S, levers) -> the node per row (S,).
RowFunction = Callable[[np.ndarray], np.ndarray]
# An open bound is searched up to this factor on the current value (as in min-effort).
OPEN_FACTOR = 1e9

CLOSED = "balanced: least sum(effort x ln(new/old)^2), closed form for a product of the levers"
GENERAL = (
    "balanced: least sum(effort x ln(new/old)^2), one line of log moves proportional to "
    "1/effort, then SLSQP (scipy minimize) from there"
)


def log_bounds(levers: Sequence[Lever]) -> tuple[np.ndarray, np.ndarray]:
    """Per lever, the least and largest log move ``ln(factor)`` within its bounds."""
    reach = math.log(OPEN_FACTOR)
    lows, highs = [], []
    for lever in levers:
        factor_low, factor_high = lever.factor_range()
        lows.append(max(math.log(factor_low), -reach) if factor_low > 0 else -reach)
        highs.append(min(math.log(factor_high), reach) if math.isfinite(factor_high) else reach)
    return np.array(lows), np.array(highs)


def balanced(
    tree: Tree,
    levers: Sequence[Lever],
    signs: np.ndarray,
    exponents: np.ndarray | None,
    *,
    node: str,
    target: float,
    base: Mapping[str, Value],
) -> LeverPlan:
    """Solve the balanced mode (see the module's docstring).

    ``signs`` are +1/-1 per lever (raising it raises the node), ``exponents`` the product's
    powers when the node is a product of the levers (else None).
    """
    efforts = np.array([lever.effort for lever in levers])
    low, high = log_bounds(levers)

    def evaluate(rows: np.ndarray) -> np.ndarray:
        changes = {lever.name: lever.rows(np.exp(rows[:, i])) for i, lever in enumerate(levers)}
        return node_values(tree, changes, rows.shape[0], node=node, base=base)

    current = float(evaluate(np.zeros((1, len(levers))))[0])
    if current == target:
        y, feasible, method = np.zeros(len(levers)), True, "balanced: the target is already met"
    elif exponents is not None and current > 0 and target > 0:
        y, feasible = closed_form(exponents, efforts, low, high, math.log(target / current))
        method = CLOSED
    else:
        y, feasible = _general(evaluate, signs * np.sign(target - current), efforts, low, high,
                               target, current)  # fmt: skip
        method = GENERAL
    reached = float(evaluate(y[None, :])[0])
    values = {lever.name: lever.value(math.exp(z)) for lever, z in zip(levers, y, strict=True)}
    note = "" if feasible else "the target is out of reach: every lever is at the bound that helps"
    return LeverPlan(values, feasible, reached, method, note, (), float(efforts @ y**2))


def closed_form(
    exponents: np.ndarray, efforts: np.ndarray, low: np.ndarray, high: np.ndarray, gap: float
) -> tuple[np.ndarray, bool]:
    """``y`` minimising ``sum(effort y^2)`` with ``exponents . y = gap`` and ``low <= y <= high``.

    The optimum is ``y(lam) = clip(lam p / effort, low, high)`` (the conditions of optimality
    of a separable convex problem under one linear constraint); ``p . y(lam)`` never falls as
    ``lam`` rises, so ``lam`` is its root on one line. When ``gap`` lies beyond what the bounds
    allow, the levers stay at the bound that helps and the answer is not feasible.
    """
    direction = exponents / efforts

    def reached(lam: float) -> float:
        return float(exponents @ np.clip(lam * direction, low, high))

    # The most the bounds allow toward the gap: each lever at the bound that helps.
    helps = exponents * gap
    most = np.where(helps > 0, high, np.where(helps < 0, low, 0.0))
    curvature = float(exponents @ direction)
    if curvature <= 0 or abs(float(exponents @ most)) < abs(gap):
        return most, False
    span = gap / curvature  # the answer's lam when no bound binds
    while abs(reached(span)) < abs(gap):
        span *= 2  # a bound that binds pushes lam further out
    lam = brentq(lambda x: reached(x) - gap, *sorted((0.0, span)), xtol=1e-300, rtol=1e-15)
    return np.clip(lam * direction, low, high), True


def _general(
    evaluate: RowFunction,
    moves: np.ndarray,
    efforts: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    target: float,
    current: float,
) -> tuple[np.ndarray, bool]:
    """The line ``y = clip(lam x moves / effort)`` solved for the target, then SLSQP."""
    shape = moves / efforts
    top = float(np.max(np.maximum(high * np.sign(shape), low * np.sign(shape)) / np.abs(shape)))

    def along(points: np.ndarray) -> np.ndarray:
        return evaluate(np.clip(np.asarray(points)[:, None] * shape[None, :], low, high))

    line = solve_line(along, target, 0.0, top, start=0.0, scale=0.1)
    if not line.feasible:  # as in min-effort: every lever at the bound that helps
        return np.where(shape > 0, high, low), False
    start = np.clip(line.best * shape, low, high)
    tolerance = RESIDUAL * max(abs(target), 1e-12 * abs(target - current), 1e-300)
    result = minimize(
        lambda y: float(efforts @ y**2),
        start,
        jac=lambda y: 2 * efforts * y,
        bounds=list(zip(low, high, strict=True)),
        constraints=[target_constraint(evaluate, target, len(efforts))],
        method="SLSQP",
        options={"ftol": 1e-14, "maxiter": 200},
    )
    if result.success:
        y = _onto_target(evaluate, np.clip(result.x, low, high), low, high, target)
        if abs(evaluate(y[None, :])[0] - target) <= tolerance and efforts @ y**2 < efforts @ (
            start**2
        ):
            return y, True
    return start, True


def _onto_target(
    evaluate: RowFunction, y: np.ndarray, low: np.ndarray, high: np.ndarray, target: float
) -> np.ndarray:
    """SLSQP stops near the target: scale the whole move so the node hits it to rounding."""

    def scaled(points: np.ndarray) -> np.ndarray:
        return evaluate(np.clip(np.asarray(points)[:, None] * y[None, :], low, high))

    line = solve_line(scaled, target, 0.5, 1.5, start=1.0, scale=0.01)
    return np.clip(line.best * y, low, high) if line.feasible else y
