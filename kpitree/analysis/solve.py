"""Goal seek: the lever values at which a node (the KGI by default) reaches its target.

One lever on a static tree is solved exactly when that is cheap: a node linear in the lever
(every formula on the way affine in it, :mod:`kpitree.analysis.lever_shape`) from two
evaluations, a small algebraic one (a low-degree polynomial or rational function of the lever,
or one that reads it once) by sympy, over the lever's bounds only. Otherwise, and on timed
trees, by a batched scan of the bounded interval, every sign change then narrowed in batches
(:mod:`kpitree.analysis.bracket`). What a solve learns about the tree's formulas is cached per
tree, and the node is never built as one expression of the whole tree (it can double in size
at every level). Several levers are moved together by one of the modes of
:mod:`kpitree.analysis.multilever`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import replace

import numpy as np
import sympy

from kpitree.analysis.bracket import RESIDUAL, solve_line
from kpitree.analysis.guardrails import lever_warnings
from kpitree.analysis.lever_shape import is_linear, is_small_algebra, lever_expression
from kpitree.analysis.levers import (
    WITHIN,
    Lever,
    LeverPlan,
    directions,
    judged_over,
    node_values,
    resolve_levers,
)
from kpitree.analysis.multilever import MODES, solve_levers
from kpitree.analysis.solution import Solution
from kpitree.analysis.status import milestone_at
from kpitree.analysis.stocks import rolled
from kpitree.errors import SolveError, TargetError
from kpitree.node import Value
from kpitree.targets import span_of
from kpitree.tree import Overrides, Tree

LINEAR = "exact: the node is linear in the lever, solved from two evaluations"
SCAN = "scan of the bounds and each sign change narrowed to the last bits"


def solve(
    tree: Tree,
    levers: Sequence[str],
    *,
    target: float | None = None,
    mode: str = "uniform",
    weights: Mapping[str, float] | None = None,
    node: str | None = None,
    overrides: Overrides | None = None,
    scenario: str | None = None,
    within: str = "bounds",
    period: str | int | None = None,
) -> Solution:
    """Find the lever values at which ``node`` reaches ``target``.

    Parameters
    ----------
    tree : Tree
    levers : sequence of str
        The inputs to move. With one, its value is solved for exactly; with several, ``mode``
        says how the effort is shared.
    target : float, optional
        The value to reach (at the last period of a timed tree); default the node's ``target``.
    mode : {"uniform", "weighted", "min-effort", "balanced"}
        ``uniform``: the same relative change on every lever, each in the direction that
        helps; ``weighted``: relative changes proportional to ``weights``; ``min-effort``: the
        least total ``effort x |ln(new / old)|`` within bounds (the whole move on the cheapest
        lever); ``balanced``: the least ``effort x ln(new / old) ** 2``, which shares the move.
        Ignored for one lever.
    weights : mapping, optional
        Per lever weight for ``weighted`` (default 1).
    node : str, optional
        The node to solve for (default the KGI).
    overrides, scenario
        Start from these input values instead of the tree's own.
    within : {"bounds", "benchmark"}
        ``benchmark``: a lever's benchmark range bounds it too (from today's value when that
        lies outside the range).
    period : str or int, optional
        Meet the target of this period (a label, a 1-based number, or on a monthly tree a
        quarter ``2027-Q2`` or year ``2027``) instead of the last period's. A quarter or year is
        the node's roll-up over it (a stock's last month, a flow's sum, a ratio of flows
        recomputed). The default target is the node's target judged at the period's end
        (:func:`kpitree.analysis.status.target_at`), over that target's own span; without a
        period, the last period's target, over its span when it is a quarter or year.

    Returns
    -------
    Solution
        New lever values, their changes, binding bounds, feasibility, and every node evaluated
        at the solved inputs (``.cascade()``).

    Raises
    ------
    SolveError
        No target, a lever that is not an input the node reads, bad weights, unknown mode,
        ``within`` or ``period``.
    """
    name = tree.node(node).name if node is not None else tree.kgi
    if mode not in MODES:
        raise SolveError(f"mode '{mode}' is not one of {', '.join(MODES)}")
    if within not in WITHIN:
        raise SolveError(f"within '{within}' is not one of {', '.join(WITHIN)}")
    label, span, target = _judged_target(tree, name, period, target)
    target = float(target)
    if not math.isfinite(target):
        raise SolveError(f"target must be a finite number, found {target}")
    base = tree.input_values(overrides, scenario)
    baseline = tree.evaluate(overrides=overrides, scenario=scenario)  # undefined today: its error
    chosen = resolve_levers(tree, levers, name, base, within=within)
    if weights and mode != "weighted":
        raise SolveError(f"weights are used by mode 'weighted' only; mode is '{mode}'")
    with judging(span):
        if len(chosen) == 1:
            plan = solve_one(tree, chosen[0], node=name, target=target, base=base)
        else:
            plan = solve_levers(
                tree, chosen, node=name, target=target, base=base, mode=mode, weights=weights or {}
            )
    solved = tree.evaluate(overrides={**_as_overrides(overrides), **plan.values}, scenario=scenario)
    # Better for the goal: the solved node's own direction (the KGI's sign for the KGI).
    goal = (
        tree.kgi_sign if name == tree.kgi else (-1 if tree.nodes[name].direction == "lower" else 1)
    )
    today = baseline.final(name) if span is None else rolled(tree, name, baseline.values, *span)
    if goal * (today - target) > 0:
        # Solving lands on the target exactly, so the levers move the worse way: say so.
        side, better = ("below", "lower") if goal < 0 else ("above", "higher")
        met = (
            f"{name} is already {side} its target today "
            f"({shown(today, tree.nodes[name].unit, target)}, {better} is better): the "
            f"levers move so that it lands on the target exactly"
        )
        plan = replace(plan, note=f"{met}; {plan.note}" if plan.note else met)
    signs = plan.signs or _moved_signs(chosen, plan, today)
    if not signs and any(tree.nodes[lever.name].benchmark for lever in chosen):
        with judging(span):  # which way helps the node where it is judged
            signs = tuple(directions(tree, chosen, node=name, base=base).tolist())
    better = [goal * sign for sign in signs] or [goal] * len(chosen)  # type: ignore[assignment]
    return Solution(
        tree=tree,
        node=name,
        target=target,
        mode=mode if len(chosen) > 1 else "one lever",
        plan=plan,
        levers=tuple(chosen),
        baseline=baseline,
        evaluation=solved,
        warnings=lever_warnings(tree, chosen, plan.values, better),  # type: ignore[arg-type]
        within=within,
        period=label,
        span=span,
    )


def judging(span: tuple[int, int] | None) -> AbstractContextManager[None]:
    """Node values over ``span`` inside the block (:func:`judged_over`); the last period, as
    without a block, for None."""
    return nullcontext() if span is None else judged_over(*span)


def _judged_target(
    tree: Tree, name: str, period: str | int | None, target: float | None
) -> tuple[str | None, tuple[int, int] | None, float]:
    """The period's label (None: the last period), the 0-based span the node is judged over
    (None: the last period), and the target: ``target``, or the node's target judged at the
    span's end over its own span (a quarter's milestone is that quarter's roll-up)."""
    span: tuple[int, int] | None
    if period is None:
        span, label = None, None
        last = milestone_at(tree, name, tree.time.periods - 1) if tree.time else None
        if target is None and last is not None and last.is_span:
            # The last milestone is a quarter or year: met over its span, as --period names it.
            return last.label, (last.first, last.last), last.value
    elif tree.time is None:
        raise SolveError(f"tree '{tree.name}' is static: it has no period '{period}' to solve at")
    else:
        label = str(period)
        try:
            span = span_of(label, tree.time)
        except TargetError:
            labels = tree.time.labels
            raise SolveError(
                f"period '{label}' is not a period, quarter or year of tree '{tree.name}' "
                f"({labels[0]} .. {labels[-1]})"
            ) from None
    if target is not None:
        return label, span, target
    if span is None:
        milestone, found = None, tree.nodes[name].target
    else:
        milestone = milestone_at(tree, name, span[1])
        found = None if milestone is None else milestone.value
    if found is None:
        at = "" if label is None else f" at {label}"
        raise SolveError(
            f"node '{name}' has no target{at}: give one (--target VALUE on the command line, "
            f"target= in Python) or add 'target:' to the node in the tree file"
        )
    if milestone is not None:
        span = (milestone.first, milestone.last)
    return label, span, found


def _moved_signs(levers: Sequence[Lever], plan: LeverPlan, before: float) -> tuple[float, ...]:
    """For one lever that moved and moved the node: +1 when they moved the same way, else -1
    (the secant's sign, free where an engine call for the slope would not be); () otherwise."""
    if len(levers) != 1:
        return ()
    lever = levers[0]
    moved = float(np.mean(np.asarray(plan.values[lever.name], dtype=float) - lever.array))
    change = plan.reached - before
    if not (math.isfinite(moved) and math.isfinite(change)) or moved == 0 or change == 0:
        return ()
    return (math.copysign(1.0, moved * change),)


def solve_one(
    tree: Tree, lever: Lever, *, node: str, target: float, base: Mapping[str, Value]
) -> LeverPlan:
    """The value of one lever at which ``node`` reaches ``target``, within the lever's bounds.

    A single-valued input is solved for its value; a per-period input for the common factor
    on all its periods. Every solution within bounds is kept (``roots``); the one nearest the
    current value is returned. On a static tree a node linear in the lever is solved from two
    evaluations, a small algebraic one by sympy; the scan runs only when neither applies (or
    when sympy finds no root within bounds and the closest point is wanted).
    """
    if lever.per_period:
        low, high = lever.factor_range()
        start, scale = 1.0, 1.0

        def function(points: np.ndarray) -> np.ndarray:
            changes = {lever.name: lever.rows(points)}
            return node_values(tree, changes, len(points), node=node, base=base)

        def value(point: float) -> Value:
            return lever.value(point)
    else:
        low, high = lever.low, lever.high
        start = float(lever.base)  # type: ignore[arg-type]
        scale = abs(start) or 1.0

        def function(points: np.ndarray) -> np.ndarray:
            changes = {lever.name: points.reshape(-1, 1)}
            return node_values(tree, changes, len(points), node=node, base=base)

        def value(point: float) -> Value:
            return float(min(max(point, lever.low), lever.high))

    exact = None
    if not (lever.per_period or tree.is_timed):
        exact = _exact_roots(tree, node, lever, base, target, function)
    if exact is None:
        line = solve_line(function, target, low, high, start=start, scale=scale)
        roots, intervals, method = list(line.roots), line.intervals, SCAN
        best, reached = line.best, line.best_value
    else:
        found, method = exact
        roots, intervals = sorted(found), ()
        if roots:
            best = min(roots, key=lambda x: (abs(x - start), x))
            reached = found[best]
        elif method == LINEAR:
            # A straight line comes closest to the target at the bound on the root's side.
            best = _nearest_bound(function, target, low, high)
            reached = float(function(np.array([best]))[0])
        else:  # sympy found no root within bounds: the scan finds the closest point
            line = solve_line(function, target, low, high, start=start, scale=scale)
            best, reached = line.best, line.best_value
    return LeverPlan(
        values={lever.name: value(best)},
        feasible=bool(roots),
        reached=reached,
        method=method,
        note=_note(tree, lever, roots, intervals, best, reached, target, node),
        roots=tuple(value(root) for root in roots),
        intervals=tuple((value(a), value(b)) for a, b in intervals),
    )


def _exact_roots(
    tree: Tree,
    node: str,
    lever: Lever,
    base: Mapping[str, Value],
    target: float,
    function: Callable[[np.ndarray], np.ndarray],
) -> tuple[dict[float, float], str] | None:
    """The roots within bounds (each with the node's value there) and how they were found,
    when they are known exactly: the node is linear in the lever (two evaluations), or a
    small algebraic expression of it (sympy). None when neither applies or the answer does
    not check out numerically."""
    if is_linear(tree, node, lever.name):
        roots = _linear_roots(function, target, lever)
        return None if roots is None else (roots, LINEAR)
    if not is_small_algebra(tree, node, lever.name):
        return None
    values = {
        name: float(array[0, 0]) for name, array in tree.engine.run(base, nodes=[node]).items()
    }
    expr = lever_expression(tree, node, lever.name, values)
    found = _symbolic_roots(expr, tree.symbol(lever.name), lever, target)
    if found is None:
        return None
    checked = function(np.array(found)) if found else np.array([])
    if not all(abs(v - target) <= RESIDUAL * max(abs(target), 1e-300) for v in checked):
        return None
    return dict(zip(found, checked.tolist(), strict=True)), "exact: sympy solveset on the bounds"


def _linear_roots(
    function: Callable[[np.ndarray], np.ndarray], target: float, lever: Lever
) -> dict[float, float] | None:
    """The root of a node that is a straight line in the lever, from two points on the line:
    ``{root: value there}`` within bounds, ``{}`` outside, None when the line is flat or
    undefined (the scan then describes it) or the root does not check out."""
    start = float(lever.base)  # type: ignore[arg-type]
    step = max(abs(start), 1.0)
    first, second = function(np.array([start, start + step]))
    slope = (second - first) / step
    if not (math.isfinite(first) and math.isfinite(slope)) or slope == 0:
        return None
    root = start + (target - first) / slope
    if not math.isfinite(root):
        return None
    if not lever.low <= root <= lever.high:
        return {}
    (reached,) = function(np.array([root]))
    if not abs(reached - target) <= RESIDUAL * max(abs(target), 1e-12 * abs(target - first)):
        return None
    return {root: float(reached)}


def _nearest_bound(
    function: Callable[[np.ndarray], np.ndarray], target: float, low: float, high: float
) -> float:
    """The bound of ``[low, high]`` whose value is nearer the target (a finite one)."""
    ends = [end for end in (low, high) if math.isfinite(end)]
    gaps = np.abs(function(np.array(ends)) - target)
    return float(ends[int(np.nanargmin(gaps))])


def _note(
    tree: Tree,
    lever: Lever,
    roots: list[float],
    intervals: tuple[tuple[float, float], ...],
    best: float,
    reached: float,
    target: float,
    node: str,
) -> str:
    what = f"the factor on every period of {lever.name}" if lever.per_period else lever.name
    current = 1.0 if lever.per_period else float(lever.base)  # type: ignore[arg-type]
    unit = None if lever.per_period else tree.nodes[lever.name].unit

    def value(number: float) -> str:  # a lever value, as the tables show it
        return shown(number, unit, current or 1.0)

    def level(number: float) -> str:  # the node's value
        return shown(number, tree.nodes[node].unit, target or 1.0)

    bounds = f"[{value(lever.low)}, {value(lever.high)}]"
    closest = (
        f"returned {value(best)}, the closest to the current {value(current)} (the smallest change)"
    )
    if not roots:
        return (
            f"no value of {what} within bounds {bounds} brings {node} to {level(target)}; the "
            f"closest is {level(reached)}, at {what} = {value(best)}"
        )
    if intervals:
        # Each flat interval stands in roots as its point nearest the current value.
        stretches = " and ".join(f"between {value(a)} and {value(b)}" for a, b in intervals)
        others = [root for root in roots if not any(a <= root <= b for a, b in intervals)]
        listed = ", ".join(value(root) for root in others)
        return (
            f"{node} is flat at the target {level(target)} for {what} {stretches}"
            + (f"; it also reaches it at {listed}" if others else "")
            + f"; {closest}"
        )
    if len(roots) > 1:
        listed = ", ".join(value(root) for root in roots)
        return (
            f"{len(roots)} values of {what} within bounds reach the target ({listed}): {node} "
            f"is not monotone in it; {closest}"
        )
    return ""


def shown(value: float, unit: str | None, scale: float) -> str:
    """A number inside a message as the tables show it (float noise below ``scale`` reads 0)."""
    # Formatting is presentation's; imported here so every note reads as the tables do.
    from kpitree.present.numbers import format_message

    return format_message(value, unit, scale)


def _symbolic_roots(
    expr: sympy.Expr, x: sympy.Symbol, lever: Lever, target: float
) -> list[float] | None:
    """Exact roots of ``expr = target`` within the lever's bounds, or None when sympy is not
    used (or gives no finite set).

    Only expressions that sympy inverts at once are tried: the lever read once (any power,
    exp, log), or a polynomial of degree <= 2 after clearing denominators. A general higher
    degree makes solveset fall back to CRootOf and can take seconds; the scan is faster there.
    """
    if x not in expr.free_symbols:
        return None
    goal = sympy.Rational(target)
    if expr.count(x) != 1:
        numerator, _ = sympy.fraction(sympy.together(expr - goal))
        try:
            degree = sympy.Poly(numerator, x).degree()
        except sympy.PolynomialError:
            return None
        if degree > 2:
            return None
    domain = sympy.Interval(
        -sympy.oo if math.isinf(lever.low) else sympy.Rational(lever.low),
        sympy.oo if math.isinf(lever.high) else sympy.Rational(lever.high),
    )
    found = sympy.solveset(sympy.Eq(expr, goal), x, domain=domain)
    if not isinstance(found, sympy.FiniteSet) or not all(root.is_real for root in found):
        return None
    return sorted(float(root.evalf(30)) for root in found)


def _as_overrides(overrides: Overrides | None) -> dict[str, Value | Sequence[float]]:
    return dict(overrides or {})
