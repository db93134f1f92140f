"""Stocks, flows and rates: what a node's number means over time, and so how it is judged.

- A **stock** is a level carried from one period to the next: a node whose value (with the
  nodes it reads in the same period substituted) reads its own previous value
  (``mrr = prev(mrr) + new_mrr - churned_mrr``, also through ``mrr_start = prev(mrr)``), or a
  node that reads a stock in the same period (``arr = mrr * 12``, ``arpu = mrr / customers``:
  levels computed from levels). A stock is judged by its change over the period (net new),
  ``value(p) - value(p - 1)``, with the level before period 1 its ``initial`` (or, for a
  stock computed from stocks, its formula at their initial levels and the inputs of period 1).
- A **flow** is an amount per period: its unit ends in ``/month`` (the tree's unit) with one
  thing counted before it (``leads/month``, ``JPY/month``), not a ratio or percentage.
- Anything else is a **rate** or other value (``ratio/month``, ``JPY/customer/month``).

Over several periods (a quarter's target on a monthly tree) a stock rolls up to its last
period, a flow to its sum and anything else to its mean: :func:`rollup`. (A general roll-up
with an ``aggregate`` key belongs to the period roll-up module; this is the simple rule.)
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING

import numpy as np
import sympy

from kpitree.formula import node_symbol
from kpitree.node import PERCENT_UNITS

if TYPE_CHECKING:
    from kpitree.tree import Tree

STOCK, FLOW, RATE = "stock", "flow", "rate"


_FOUND: weakref.WeakKeyDictionary[Tree, frozenset[str]] = weakref.WeakKeyDictionary()
"""Per tree (a tree does not change once built): its stocks, asked for once per period."""


def stocks(tree: Tree) -> set[str]:
    """The names of the stock nodes of ``tree`` (empty for a static tree)."""
    if tree not in _FOUND:
        _FOUND[tree] = frozenset(_find_stocks(tree))
    return set(_FOUND[tree])


def _find_stocks(tree: Tree) -> set[str]:
    if tree.time is None:
        return set()
    graph = tree.graph
    order = tree.order()
    reach: dict[str, set[str]] = {name: {name} for name in tree.nodes}
    for name in order:  # readers come after what they read
        for source, _, lag in graph.in_edges(name, data="lag"):
            if lag == 0 and source != name:
                reach[name] |= reach[source]
    # reach[x]: the nodes x reads in the same period, itself included.
    found = {
        name
        for name in tree.nodes
        if any(
            lag > 0 and name in reach[target]
            for _, target, lag in graph.out_edges(name, data="lag")
        )
    }
    for name in order:
        if name not in found and any(s in found for s in reach[name] - {name}):
            found.add(name)
    return found


def kind(tree: Tree, name: str, stock_names: set[str] | None = None) -> str:
    """``"stock"``, ``"flow"`` or ``"rate"`` (see the module's rule)."""
    if name in (stock_names if stock_names is not None else stocks(tree)):
        return STOCK
    unit = (tree.nodes[name].unit or "").strip().lower()
    per = f"/{tree.time.unit}" if tree.time is not None else None
    if per and unit.endswith(per):
        counted = unit[: -len(per)].strip()
        if counted and "/" not in counted and counted not in (*PERCENT_UNITS, "ratio"):
            return FLOW
    return RATE


def rollup(values: np.ndarray, first: int, last: int, node_kind: str) -> float:
    """The value of periods ``first..last`` (0-based, ends included) taken together: a stock's
    last, a flow's sum, a rate's mean. The one place to switch to the roll-up module's rule."""
    span = np.asarray(values, dtype=float)[first : last + 1]
    if node_kind == STOCK:
        return float(span[-1])
    if node_kind == FLOW:
        return float(span.sum())
    return float(span.mean())


def level_before(
    tree: Tree, name: str, values: dict[str, np.ndarray], stock_names: set[str]
) -> float:
    """A stock's level before period 1: its ``initial``, or its formula at the initial levels
    of the stocks it reads (other nodes at their period-1 ``values``); NaN when unknown."""
    node = tree.nodes[name]
    if node.initial is not None:
        return float(node.initial)
    formula = tree.formulas.get(name)
    if formula is None or formula.lags:
        return float("nan")
    substitutions = {}
    for dependency in formula.names:
        if dependency in stock_names:
            level = level_before(tree, dependency, values, stock_names)
        elif dependency in values:
            level = float(np.atleast_1d(values[dependency])[0])
        else:
            return float("nan")
        substitutions[node_symbol(dependency)] = sympy.Float(level)
    try:
        return float(formula.expr.xreplace(substitutions))
    except TypeError:  # a function left unevaluated (e.g. a division by zero)
        return float("nan")


def changes(series: np.ndarray, before: float) -> np.ndarray:
    """Per period, the change from the period before (``before`` ahead of period 1)."""
    series = np.asarray(series, dtype=float)
    return np.diff(series, prepend=before)
