"""Exact derivatives of the KGI with respect to every input: reverse mode (adjoints).

Each formula's partial derivatives with respect to what it reads (nodes this period and lag
symbols such as ``prev(mrr)``) are taken symbolically with sympy, compiled once per engine and
evaluated at the base values; the chain rule then carries the KGI's adjoint back through the
graph, through ``prev()`` and ``delay()`` as well (an ``initial`` value or a delay default is a
constant, so nothing flows into it). Static and timed trees take the same path: a static tree
is a tree of one period.

Why reverse mode: the KGI at one period is one output, so one backward pass over nodes x
periods gives its derivative with respect to every input in every period, in memory that grows
with nodes x periods (forward tangents would need a row per input: inputs x nodes x periods).
Only the nodes the KGI depends on are differentiated. Why not differentiate
``tree.expression(kgi)``: in a timed tree the KGI at period 12 is a nest of twelve recurrences,
and unrolling it symbolically grows with every period.

Conventions, which are sympy's: where a formula has a kink (``min``, ``max``, ``abs`` at a
tie) the derivative uses Heaviside(0) = 1/2 (for two arguments the mean of the one-sided
derivatives); ``floor`` and ``ceil`` have derivative 0 wherever they are differentiable. A
zero factor wins along a chain (0 x inf is 0): a node the KGI does not move with, or a read
that does not move a node, passes nothing back even where another factor is infinite (sqrt at
0), so an infinite slope reaches only the inputs that actually move through it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from weakref import WeakKeyDictionary

import networkx as nx
import numpy as np
import sympy
from numpy.typing import ArrayLike

from kpitree.engine import Engine, compile_expression
from kpitree.formula import TIME, Lag, node_symbol
from kpitree.tree import Tree


@dataclass(frozen=True)
class _Read:
    """One thing a formula reads: a node in the same period (``lag`` None) or earlier."""

    node: str
    lag: Lag | None

    @property
    def periods_back(self) -> int:
        return 0 if self.lag is None else self.lag.periods


@dataclass(frozen=True)
class _NodePartials:
    """A node's formula differentiated with respect to everything it reads, compiled."""

    reads: tuple[_Read, ...]
    """What the formula reads, in the compiled function's argument order."""
    moved: tuple[int, ...]
    """Indices into ``reads`` of the partials that are not identically 0."""
    function: Callable[..., Any] | None
    """Returns the partials of ``moved``, in order; None when all are 0."""
    uses_time: bool


@dataclass(frozen=True)
class _Plan:
    """The nodes the KGI depends on, grouped as the engine steps them, KGI side first."""

    components: tuple[tuple[tuple[str, ...], bool], ...]
    """(members in same-period order, recurrent) in reverse evaluation order."""


# Compiled partials live as long as the engine they belong to (a Tree caches its engine), so a
# second sensitivity, tornado or bottleneck of the same tree compiles nothing.
_COMPILED: WeakKeyDictionary[Engine, dict[str, _NodePartials]] = WeakKeyDictionary()
_PLANS: WeakKeyDictionary[Engine, dict[str, _Plan]] = WeakKeyDictionary()


class _Maximum(sympy.Function):
    """Max, unevaluated: sympy's Max compares every pair of arguments symbolically each time
    it is built, seconds per derivative of a five- or six-argument max. Its Heaviside is not
    evaluated either (that asks sympy's assumptions whether the difference can be negative,
    again and again); it is the same function, only not simplified."""

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        arg = self.args[argindex - 1]
        others = self.args[: argindex - 1] + self.args[argindex:]
        rest = others[0] if len(others) == 1 else _Maximum(*others)
        return sympy.Heaviside(arg - rest, evaluate=False)


class _Minimum(sympy.Function):
    """Min, unevaluated (see :class:`_Maximum`)."""

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        arg = self.args[argindex - 1]
        others = self.args[: argindex - 1] + self.args[argindex:]
        rest = others[0] if len(others) == 1 else _Minimum(*others)
        return sympy.Heaviside(rest - arg, evaluate=False)


def _rebuilt(expr: sympy.Basic, change: Callable[[sympy.Basic, tuple], sympy.Basic | None]) -> Any:
    """``expr`` rebuilt bottom-up; ``change(node, new_args)`` may return a replacement.

    Unlike ``Basic.replace``, a node whose arguments did not change is kept as it is, and no
    Min/Max is ever rebuilt with evaluation.
    """
    args = tuple(_rebuilt(arg, change) for arg in expr.args)
    replaced = change(expr, args)
    if replaced is not None:
        return replaced
    if args == expr.args:
        return expr
    return expr.func(*args)


def differentiate(expr: sympy.Expr, symbol: sympy.Symbol) -> sympy.Expr:
    """d expr / d symbol with sympy's conventions, fast for min/max of many arguments.

    Floor and ceiling are frozen as constants while differentiating (sympy leaves
    ``Derivative(floor(x), x)`` unevaluated; its value is 0 wherever it exists) and Min/Max
    are differentiated unevaluated, by sympy's own rule (Heaviside of the argument against
    the max/min of the others), then put back as unevaluated Min/Max.

    Parameters
    ----------
    expr : sympy.Expr
        A formula's expression.
    symbol : sympy.Symbol
        What to differentiate by.

    Returns
    -------
    sympy.Expr
        The derivative, numerically identical to ``sympy.diff(expr, symbol)``.
    """
    (derivative,) = _gradient(expr, [symbol])
    return derivative


def _gradient(expr: sympy.Expr, symbols: list[sympy.Symbol]) -> list[sympy.Expr]:
    """:func:`differentiate` by each of ``symbols``, the expression prepared once."""
    frozen: dict[sympy.Symbol, sympy.Expr] = {}
    changed = False

    def plain(node: sympy.Basic, args: tuple) -> sympy.Basic | None:
        nonlocal changed
        if isinstance(node, sympy.floor | sympy.ceiling):
            constant = sympy.Dummy("step", real=True)
            frozen[constant] = node
            changed = True
            return constant
        if isinstance(node, sympy.Max | sympy.Min):
            changed = True
            return (_Maximum if isinstance(node, sympy.Max) else _Minimum)(*args)
        return None

    def restored(node: sympy.Basic, args: tuple) -> sympy.Basic | None:
        if isinstance(node, sympy.Dummy) and node in frozen:
            return frozen[node]
        if isinstance(node, _Maximum):
            return sympy.Max(*args, evaluate=False)
        if isinstance(node, _Minimum):
            return sympy.Min(*args, evaluate=False)
        if isinstance(node, sympy.Heaviside):
            return sympy.Heaviside(*args, evaluate=False)
        return None

    prepared = _rebuilt(expr, plain)
    derivatives = [sympy.diff(prepared, symbol) for symbol in symbols]
    if not changed:  # nothing to put back: sympy.diff alone makes no Heaviside here
        return derivatives
    return [_rebuilt(derivative, restored) for derivative in derivatives]


def _compile_partials(tree: Tree, name: str) -> _NodePartials:
    formula = tree.formulas[name]
    reads = [_Read(dependency, None) for dependency in sorted(formula.names)]
    reads += [_Read(lag.node, lag) for lag in formula.lags]
    symbols = [node_symbol(r.node) if r.lag is None else r.lag.symbol for r in reads]
    derivatives = _gradient(formula.expr, symbols)
    moved = tuple(index for index, derivative in enumerate(derivatives) if derivative != 0)
    if formula.uses_time:
        symbols.append(TIME)
    function = None
    if moved:
        function = compile_expression([derivatives[index] for index in moved], symbols)
    return _NodePartials(tuple(reads), moved, function, formula.uses_time)


def _partials_of(tree: Tree, name: str) -> _NodePartials:
    compiled = _COMPILED.setdefault(tree.engine, {})
    if name not in compiled:
        compiled[name] = _compile_partials(tree, name)
    return compiled[name]


def _plan(tree: Tree) -> _Plan:
    plans = _PLANS.setdefault(tree.engine, {})
    if tree.kgi in plans:
        return plans[tree.kgi]
    needed = (tree.upstream(tree.kgi) | {tree.kgi}) - set(tree.inputs)
    graph = tree.graph.subgraph(needed)
    position = {name: index for index, name in enumerate(tree.order())}
    condensed = nx.condensation(graph)
    components = []
    for component in nx.topological_sort(condensed):
        members = sorted(condensed.nodes[component]["members"], key=position.__getitem__)
        recurrent = len(members) > 1 or graph.has_edge(members[0], members[0])
        components.append((tuple(members), recurrent))
    plans[tree.kgi] = _Plan(tuple(reversed(components)))
    return plans[tree.kgi]


def _argument(tree: Tree, read: _Read, values: Mapping[str, np.ndarray]) -> np.ndarray:
    """What a formula reads, per period: the node's values, or its values ``k`` periods back
    (the ``initial`` value or the delay default before period 1)."""
    history = values[read.node]
    lag = read.lag
    if lag is None:
        return history
    periods = len(history)
    fill = lag.default if lag.default is not None else tree.nodes[read.node].initial
    shifted = np.full(periods, np.nan if fill is None else float(fill))
    k = min(lag.periods, periods)
    shifted[k:] = history[: periods - k]
    return shifted


def _evaluate(
    tree: Tree, partials: _NodePartials, values: Mapping[str, np.ndarray], periods: int
) -> list[tuple[_Read, np.ndarray]]:
    """Each partial that is not identically 0, with its value per period."""
    if partials.function is None:
        return []
    arguments = [_argument(tree, read, values) for read in partials.reads]
    if partials.uses_time:
        arguments.append(np.arange(1, periods + 1, dtype=float))
    results = partials.function(*arguments)
    return [
        (partials.reads[index], np.broadcast_to(np.asarray(result, dtype=float), (periods,)))
        for index, result in zip(partials.moved, results, strict=True)
    ]


def _passed_back(adjoint: np.ndarray, partial: np.ndarray) -> np.ndarray:
    """adjoint x partial, with 0 wherever either factor is exactly 0 (0 x inf is 0)."""
    return np.where((adjoint != 0) & (partial != 0), adjoint * partial, 0.0)


def kgi_gradient(
    tree: Tree, base: Mapping[str, ArrayLike], period: int
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """The KGI's value and its derivative with respect to every input in every period.

    Parameters
    ----------
    tree : Tree
    base : mapping
        The value of every input (a number or one per period): the point of differentiation.
    period : int
        The 0-based index of the KGI's period.

    Returns
    -------
    values : dict
        The value of every node the KGI depends on (and of the KGI), ``(period + 1,)``:
        periods after the KGI's cannot move it.
    gradient : dict
        Per input, d KGI[period] / d input[p] for p = 0..period, ``(period + 1,)``; zeros for
        an input the KGI does not depend on.
    """
    periods = period + 1
    run = tree.engine.run(base, samples=1, nodes=[tree.kgi])
    values = {name: np.asarray(array[0, :periods], dtype=float) for name, array in run.items()}
    adjoint = {name: np.zeros(periods) for name in values}
    adjoint[tree.kgi][period] = 1.0
    with np.errstate(all="ignore"):
        for members, recurrent in _plan(tree).components:
            evaluated = {
                name: _evaluate(tree, _partials_of(tree, name), values, periods) for name in members
            }
            if recurrent:
                _step_back(members, evaluated, adjoint, periods)
            for name in members:
                for read, partial in evaluated[name]:
                    if recurrent and read.node in members:
                        continue  # carried by _step_back
                    flow = _passed_back(adjoint[name], partial)
                    k = read.periods_back
                    if k == 0:
                        adjoint[read.node] += flow
                    elif k < periods:
                        adjoint[read.node][: periods - k] += flow[k:]
    gradient = {name: adjoint.get(name, np.zeros(periods)) for name in tree.inputs}
    return values, gradient


def _step_back(
    members: tuple[str, ...],
    evaluated: Mapping[str, list[tuple[_Read, np.ndarray]]],
    adjoint: dict[str, np.ndarray],
    periods: int,
) -> None:
    """Within a component that feeds back on itself (an MRR balance), the adjoint of period p
    feeds earlier periods of the members: step from the last period back, members in reverse
    same-period order, as the engine steps forward. Reads from outside the component are
    passed back afterwards, vectorised, once the members' adjoints are complete."""
    inside = set(members)
    internal = {
        name: [(read.node, read.periods_back, partial) for read, partial in evaluated[name]]
        for name in members
    }
    for name in members:
        internal[name] = [entry for entry in internal[name] if entry[0] in inside]
    for period in range(periods - 1, -1, -1):
        for name in reversed(members):
            weight = float(adjoint[name][period])
            if weight == 0:
                continue
            for reads, back, partial in internal[name]:
                earlier = period - back
                if earlier >= 0 and partial[period] != 0:
                    adjoint[reads][earlier] += weight * partial[period]
