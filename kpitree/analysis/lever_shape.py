"""How a node depends on its levers, read formula by formula.

A solve never substitutes the whole tree into one sympy expression: a node read twice per level
(``n_i = min(n_{i-1}, a + i) + max(n_{i-1}, b)``) doubles that expression at every level, and a
chain of 2,000 formulas nests it 2,000 deep. Each question here is answered one formula at a
time, along the nodes between the lever and the node solved, and cached per tree (the tree's
formulas do not change, so what is learnt about them stays true):

- :func:`is_linear`: the node is an affine function of the lever (every formula on the way is
  affine in what depends on the lever), so two evaluations give the root exactly;
- :func:`is_small_algebra` and :func:`lever_expression`: the node as one small sympy expression
  of the lever alone, unless a formula on the way is not plain algebra or the expression would
  grow past a budget;
- :func:`product_exponents`: the node as ``c x prod(lever_i ** p_i)`` (min-effort's linear
  program), from the elasticities of each formula.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import networkx as nx
import sympy

from kpitree.analysis.tree_cache import cached
from kpitree.formula import node_symbol
from kpitree.tree import Tree

# Formulas sympy inverts quickly and exactly; anything else (if, min, floor, abs) is scanned.
ALGEBRA = (sympy.Add, sympy.Mul, sympy.Pow, sympy.Symbol, sympy.Number, sympy.exp, sympy.log)
# The largest expression (sympy tree nodes, counted before simplification) given to sympy;
# beyond it building and solving it costs more than scanning the bounds.
EXPRESSION_BUDGET = 400


def lever_path(tree: Tree, node: str, levers: Sequence[str]) -> tuple[str, ...]:
    """The derived nodes that depend on any of ``levers`` (in any period) and that ``node``
    depends on, ``node`` included, in evaluation order."""

    def build() -> tuple[str, ...]:
        moved: set[str] = set()
        for lever in levers:
            moved |= nx.descendants(tree.graph, lever)
        needed = tree.upstream(node) | {node}
        return tuple(name for name in tree.order() if name in moved and name in needed)

    return cached(tree, ("path", node, tuple(levers)), build)


def _moved_symbols(tree: Tree, name: str, moved: set[str]) -> list[sympy.Symbol]:
    """The symbols of ``name``'s formula whose value moves with the lever."""
    formula = tree.formulas[name]
    symbols = [node_symbol(dependency) for dependency in sorted(formula.names & moved)]
    symbols += [lag.symbol for lag in formula.lags if lag.node in moved]
    return symbols


def is_linear(tree: Tree, node: str, lever: str) -> bool:
    """True when ``node`` (at every period) is an affine function of input ``lever``.

    Each formula on the way must be affine in the symbols that move with the lever: its
    derivative in each of them is free of all of them. A ``min``, ``if``, ``floor`` or a
    product of two moved values fails that test (their derivatives keep the symbol), so only
    true straight lines pass; a lag read (``prev(mrr)``) of an affine node is affine too.
    """

    def build() -> bool:
        path = lever_path(tree, node, (lever,))
        moved = set(path) | {lever}
        for name in path:
            expr = tree.formulas[name].expr
            symbols = _moved_symbols(tree, name, moved)
            for symbol in symbols:
                slope = sympy.diff(expr, symbol)
                if slope.free_symbols & set(symbols) or slope.has(sympy.nan, sympy.zoo):
                    return False
        return True

    return cached(tree, ("linear", node, lever), build)


def is_small_algebra(tree: Tree, node: str, lever: str) -> bool:
    """True when every formula between ``lever`` and ``node`` is plain algebra
    (:data:`ALGEBRA`) and ``node`` as one expression of the lever stays within
    :data:`EXPRESSION_BUDGET` (bounded from the formulas, before anything is built)."""

    def build() -> bool:
        size = {lever: 1}
        for name in lever_path(tree, node, (lever,)):
            expr = tree.formulas[name].expr
            if not all(isinstance(part, ALGEBRA) for part in sympy.preorder_traversal(expr)):
                return False
            grown = sum(1 for _ in sympy.preorder_traversal(expr)) + sum(
                expr.count(node_symbol(dependency)) * (size[dependency] - 1)
                for dependency in tree.formulas[name].names
                if dependency in size
            )
            if grown > EXPRESSION_BUDGET:
                return False
            size[name] = grown
        return True

    return cached(tree, ("small algebra", node, lever), build)


def lever_expression(
    tree: Tree, node: str, lever: str, values: Mapping[str, float]
) -> sympy.Expr | None:
    """``node`` of a static tree as a sympy expression of ``lever`` alone, built node by node,
    or None unless :func:`is_small_algebra`.

    Every other node is replaced by its value in ``values`` as an exact rational (the binary
    value of the float).
    """
    if not is_small_algebra(tree, node, lever):
        return None
    expressions: dict[str, sympy.Expr] = {lever: node_symbol(lever)}
    for name in lever_path(tree, node, (lever,)):
        formula = tree.formulas[name]
        expressions[name] = formula.expr.xreplace(
            {
                node_symbol(dependency): expressions[dependency]
                if dependency in expressions
                else sympy.Rational(values[dependency])
                for dependency in formula.names
            }
        )
    return expressions[node]


def product_exponents(
    tree: Tree, node: str, levers: Sequence[str], values: Mapping[str, float]
) -> list[float] | None:
    """``p`` with ``node = c x prod(lever_i ** p_i)`` on a static tree, else None.

    Node by node: a formula's elasticity ``s dF/ds / F`` in each moved symbol ``s`` (the others
    at their ``values``) must be a constant; the node's exponents are then those constants
    times the exponents of the symbols (the chain rule of elasticities). A formula that is not
    a product of powers of what moves fails, which is what makes the problem not linear in
    log space.
    """
    path = lever_path(tree, node, tuple(levers))
    moved = set(path) | set(levers)
    exponents: dict[str, list[float]] = {
        lever: [1.0 if other == lever else 0.0 for other in levers] for lever in levers
    }
    for name in path:
        formula = tree.formulas[name]
        expr = formula.expr.xreplace(
            {
                node_symbol(dependency): sympy.Float(values[dependency])
                for dependency in formula.names - moved
            }
        )
        total = [0.0] * len(levers)
        for dependency in sorted(formula.names & moved):
            symbol = node_symbol(dependency)
            elasticity = sympy.cancel(symbol * sympy.diff(expr, symbol) / expr)
            if elasticity.free_symbols or not (elasticity.is_number and elasticity.is_finite):
                return None
            share = float(elasticity)
            total = [t + share * e for t, e in zip(total, exponents[dependency], strict=True)]
        exponents[name] = total
    return exponents[node]
