"""Stocks, flows and rates: what a node's number means over time, and so how it is judged.

The classification is the roll-up's (:func:`kpitree.rollup.rules`, one source for both): a
node that rolls up to its **last** period is a **stock** (MRR, customers, a ``cohort()``), one
that **sums** is a **flow** (leads, new MRR), anything else (a **ratio** recomputed from flows
or a **mean**) a **rate**. A stock is judged by its change over the period (net new),
``value(p) - value(p - 1)``, with the level before period 1 its ``initial`` (or, for a stock
computed from stocks, its formula at their initial levels and the inputs of period 1).

Over several periods (a quarter's target on a monthly tree) a node is taken together by its
roll-up rule: :func:`rolled`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import sympy

from kpitree.formula import node_symbol
from kpitree.rollup import aggregate, reads, rules

if TYPE_CHECKING:
    from kpitree.tree import Tree

STOCK, FLOW, RATE = "stock", "flow", "rate"

_KINDS = {"last": STOCK, "sum": FLOW}


def stocks(tree: Tree) -> set[str]:
    """The names of the stock nodes of ``tree`` (empty for a static tree)."""
    if tree.time is None:
        return set()
    return {name for name, rule in rules(tree).items() if rule.kind == "last"}


def kind(tree: Tree, name: str, stock_names: set[str] | None = None) -> str:
    """``"stock"``, ``"flow"`` or ``"rate"`` (see the module's rule)."""
    if tree.time is None:
        return RATE
    if stock_names is not None and name in stock_names:
        return STOCK
    return _KINDS.get(rules(tree)[name].kind, RATE)


def rolled(tree: Tree, name: str, values: Mapping[str, np.ndarray], first: int, last: int) -> float:
    """Node ``name``'s value over periods ``first..last`` (0-based, ends included) taken
    together by its roll-up rule: a stock's last, a flow's sum, a ratio of flows recomputed
    from their sums, a mean otherwise. ``values`` holds every node's value per period."""
    if tree.time is None or first == last:
        return float(np.atleast_1d(np.asarray(values[name], dtype=float))[last])
    rule = rules(tree)[name]
    needed = {other: values[other] for other in ({name} | reads(tree, rule))}
    return float(aggregate(tree, needed, [range(first, last + 1)])[name][0])


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
