"""Exact derivatives of every node with respect to the inputs: forward-mode tangents.

Each formula's partial derivatives with respect to what it reads (nodes this period and lag
symbols such as ``prev(mrr)``) are taken symbolically with sympy and evaluated at the base
values; the chain rule then carries tangents through the graph period by period, through
``prev()`` and ``delay()`` as well (an ``initial`` value or a delay default is a constant, so
its tangent is 0). Static and timed trees take the same path: a static tree is a tree of one
period.

Why forward mode rather than differentiating ``tree.expression(kgi)``: in a timed tree the KGI
at period 12 is a nest of twelve recurrences, and unrolling it symbolically grows with every
period; the tangents here cost one pass over nodes x periods, with a row per seed, and are as
exact as the formulas' own floating-point evaluation. Where a formula has a kink (``min``,
``max``, ``abs`` at a tie) sympy's derivative uses Heaviside(0) = 1/2, the mean of the two
one-sided derivatives; ``floor`` and ``ceil`` have derivative 0 wherever they are
differentiable.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy
from numpy.typing import ArrayLike

from kpitree.engine import compile_expression
from kpitree.formula import TIME, Lag, node_symbol
from kpitree.tree import Tree


@dataclass(frozen=True)
class _Partial:
    """The derivative of one formula with respect to one thing it reads."""

    reads: str
    lag: int
    """0 for a read in the same period, k for ``prev()`` (1) or ``delay(x, k)``."""
    values: np.ndarray
    """The partial derivative at the base values, one per period: ``(periods,)``."""


def _differentiate(expr: sympy.Expr, symbol: sympy.Symbol) -> sympy.Expr:
    """d expr / d symbol, with floor and ceiling treated as locally constant.

    sympy leaves ``Derivative(floor(x), x)`` unevaluated; its value is 0 wherever it exists,
    so each floor/ceiling is frozen as a constant while differentiating and put back after.
    """
    frozen: dict[sympy.Symbol, sympy.Expr] = {}

    def freeze(term: sympy.Expr) -> sympy.Symbol:
        constant = sympy.Dummy("step", real=True)
        frozen[constant] = term
        return constant

    plain = expr.replace(lambda e: isinstance(e, sympy.floor | sympy.ceiling), freeze)
    return sympy.diff(plain, symbol).xreplace(frozen)


def _partials(
    tree: Tree, name: str, values: Mapping[str, np.ndarray], periods: int
) -> list[_Partial]:
    """Every partial derivative of node ``name``'s formula, evaluated at ``values``."""
    formula = tree.formulas[name]
    reads: list[tuple[sympy.Symbol, str, Lag | None]] = [
        (node_symbol(dependency), dependency, None) for dependency in sorted(formula.names)
    ]
    reads += [(lag.symbol, lag.node, lag) for lag in formula.lags]
    symbols = [symbol for symbol, _, _ in reads]
    arguments = [_argument(tree, node, lag, values, periods) for _, node, lag in reads]
    if formula.uses_time:
        symbols.append(TIME)
        arguments.append(np.arange(1, periods + 1, dtype=float))
    partials = []
    for symbol, node, lag in reads:
        derivative = _differentiate(formula.expr, symbol)
        if derivative == 0:
            continue
        function: Callable[..., Any] = compile_expression(derivative, symbols)
        with np.errstate(all="ignore"):
            result = np.asarray(function(*arguments), dtype=float)
        partials.append(
            _Partial(node, 0 if lag is None else lag.periods, np.broadcast_to(result, (periods,)))
        )
    return partials


def _argument(
    tree: Tree, node: str, lag: Lag | None, values: Mapping[str, np.ndarray], periods: int
) -> np.ndarray:
    """What a formula reads, per period: the node's values, or its values ``k`` periods back
    (the ``initial`` value or the delay default before period 1)."""
    history = values[node]
    if lag is None:
        return history
    fill = lag.default if lag.default is not None else tree.nodes[node].initial
    shifted = np.full(periods, np.nan if fill is None else float(fill))
    k = min(lag.periods, periods)
    shifted[k:] = history[: periods - k]
    return shifted


def tangents(
    tree: Tree,
    base: Mapping[str, ArrayLike],
    seeds: Mapping[str, ArrayLike],
    rows: int,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Every node's base values and its directional derivatives, one direction per row.

    Parameters
    ----------
    tree : Tree
    base : mapping
        The value of every input (a number or one per period): the point of differentiation.
    seeds : mapping
        Per input, its change per unit of each row's direction: ``(rows,)`` (the same in every
        period) or ``(rows, periods)``. Inputs not named do not move.
    rows : int
        Number of directions.

    Returns
    -------
    values : dict
        Every node's value at ``base``, ``(periods,)``.
    tangents : dict
        Every node's tangent, ``(rows, periods)``: d node / d (step along the row's direction).
    """
    periods = tree.period_count
    run = tree.engine.run(base, samples=1)
    values = {name: np.asarray(array[0], dtype=float) for name, array in run.items()}
    tangent: dict[str, np.ndarray] = {}
    for name in tree.inputs:
        seed = np.asarray(seeds.get(name, 0.0), dtype=float)
        if seed.ndim == 1:
            seed = seed[:, None]
        tangent[name] = np.array(np.broadcast_to(seed, (rows, periods)))
    derived = [name for name in tree.order() if not tree.nodes[name].is_input]
    partials = {name: _partials(tree, name, values, periods) for name in derived}
    for name in derived:
        tangent[name] = np.zeros((rows, periods))
    # Periods outside, nodes inside: a lagged read needs its source's earlier periods only,
    # a same-period read a node earlier in tree.order().
    # A direction that does not move what a formula reads contributes nothing, even where the
    # partial is not finite (sqrt at 0): only the rows that move it get p x tangent, so an
    # infinite partial makes inf/NaN for the inputs behind it alone, not inf x 0 = NaN for all.
    with np.errstate(all="ignore"):
        for period in range(periods):
            for name in derived:
                column = tangent[name][:, period]  # a view: += writes into tangent[name]
                for partial in partials[name]:
                    earlier = period - partial.lag
                    if earlier < 0:
                        continue
                    moved = tangent[partial.reads][:, earlier]
                    column += np.where(moved != 0, partial.values[period] * moved, 0.0)
    return values, tangent
