"""A node at one period as a function of what it reads in that period, evaluated node by node.

In a timed tree a node at any period is one static function ``F`` of the inputs' values in that
period, the values its ``prev()`` / ``delay()`` reads see in that period and the period number
``t``. Substituting every same-period read into one sympy expression gives ``F`` too, but a
node read twice per level doubles that expression at every level (``n_i = min(n_{i-1}, a + i)
+ max(n_{i-1}, b)``: 16 s at 14 levels). Here ``F`` calls the nodes' own formulas in evaluation
order, vectorised over rows, with the engine's compiled formulas.

Which symbols ``F`` depends on is read from the formulas. While the substituted expression
stays small (bounded from the formulas before it is built) sympy's own expression decides, so
a read that cancels (``x - x``) is not a symbol of ``F``; beyond that every symbol read counts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import sympy

from kpitree.analysis.tree_cache import cached
from kpitree.engine import compile_expression
from kpitree.formula import TIME, node_symbol
from kpitree.tree import Tree

# The largest expression (sympy tree nodes, counted before simplification) built to learn which
# symbols a node really depends on; a larger one is read from its formulas alone.
EXPRESSION_BUDGET = 200


@dataclass(frozen=True)
class _Step:
    node: sympy.Symbol
    function: Callable[..., Any]
    arguments: tuple[sympy.Symbol, ...]


@dataclass(frozen=True)
class PeriodFunction:
    """``node`` at one period as a function of symbols: same-period inputs (their node
    symbols), lag reads (``Lag.symbol``) and ``TIME``.

    Attributes
    ----------
    node : str
    arguments : frozenset of sympy.Symbol
        Every symbol the formulas read: :meth:`__call__` needs a value for each.
    reads : dict
        Per derived node ``node`` reads in the same period (and ``node``): the symbols its own
        function depends on.
    """

    node: str
    arguments: frozenset[sympy.Symbol]
    reads: dict[str, frozenset[sympy.Symbol]]
    steps: tuple[_Step, ...]

    @property
    def symbols(self) -> frozenset[sympy.Symbol]:
        """The symbols ``F`` depends on."""
        return self.reads[self.node]

    def __call__(self, values: Mapping[sympy.Symbol, Any]) -> Any:
        """``F`` at ``values`` (numbers or arrays that broadcast), one formula at a time."""
        known = dict(values)
        for step in self.steps:
            known[step.node] = step.function(*(known[symbol] for symbol in step.arguments))
        return known[node_symbol(self.node)]


def period_function(tree: Tree, node: str) -> PeriodFunction:
    """``node`` as a function of what it reads in one period (compiled once per tree)."""
    return cached(tree, ("period function", node), lambda: _build(tree, node))


def _build(tree: Tree, node: str) -> PeriodFunction:
    closure = _same_period_closure(tree, node)
    derived = [name for name in tree.order() if name in closure and name in tree.formulas]
    read: dict[str, frozenset[sympy.Symbol]] = {}
    compiled = _engine_functions(tree)
    steps = []
    for name in derived:
        formula = tree.formulas[name]
        arguments = [node_symbol(dependency) for dependency in sorted(formula.names)]
        arguments += [lag.symbol for lag in formula.lags]
        arguments += [TIME] if formula.uses_time else []
        function = compiled.get(name)
        if function is None or tree.engine.arguments(name) != tuple(a.name for a in arguments):
            function = compile_expression(formula.expr, arguments)
        steps.append(_Step(node_symbol(name), function, tuple(arguments)))
        below = [read[d] for d in formula.names if d in read]
        own = {node_symbol(d) for d in formula.names if d not in read}
        own |= {lag.symbol for lag in formula.lags} | ({TIME} if formula.uses_time else set())
        read[name] = frozenset(own.union(*below))
    if node not in read:  # an input explains itself
        read[node] = frozenset({node_symbol(node)})
    reads = dict(read)
    for name, expr in _small_expressions(tree, derived).items():
        reads[name] = frozenset(expr.free_symbols)
    return PeriodFunction(node, read[node], reads, tuple(steps))


def _engine_functions(tree: Tree) -> dict[str, Callable[..., Any]]:
    """The engine's compiled formula of each derived node: lambdify is slow on min/max (sympy
    compares their arguments again), so a formula is not compiled twice. It is used only when
    the engine reads the arguments in the order given here (checked by the caller); an engine
    laid out otherwise (no ``steps`` of ``formulas``) gives none, and each is compiled here."""
    return {
        formula.node: formula.function
        for step in getattr(tree.engine, "steps", ())
        for formula in getattr(step, "formulas", ())
        if hasattr(formula, "node") and hasattr(formula, "function")
    }


def _same_period_closure(tree: Tree, node: str) -> set[str]:
    """``node`` and every node it reads in the same period, directly or not."""
    seen = {node}
    stack = [node]
    while stack:
        name = stack.pop()
        formula = tree.formulas.get(name)
        for dependency in formula.names if formula is not None else ():
            if dependency not in seen:
                seen.add(dependency)
                stack.append(dependency)
    return seen


def _small_expressions(tree: Tree, derived: list[str]) -> dict[str, sympy.Expr]:
    """Each derived node as one substituted sympy expression, for those whose size (bounded
    from the formulas, before building) stays within :data:`EXPRESSION_BUDGET`."""
    size: dict[str, int] = {}
    expressions: dict[str, sympy.Expr] = {}
    for name in derived:
        formula = tree.formulas[name]
        inner = [d for d in formula.names if d in tree.formulas]
        if any(d not in expressions for d in inner):
            continue  # something it reads is already too large
        expr = formula.expr
        grown = sum(1 for _ in sympy.preorder_traversal(expr)) + sum(
            expr.count(node_symbol(d)) * (size[d] - 1) for d in inner
        )
        if grown > EXPRESSION_BUDGET:
            continue
        size[name] = grown
        expressions[name] = expr.xreplace({node_symbol(d): expressions[d] for d in inner})
    return expressions


__all__ = ["PeriodFunction", "period_function"]
