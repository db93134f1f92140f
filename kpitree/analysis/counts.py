"""Count noise: flows of whole things (leads, deals) converted by a rate, drawn binomially.

The rule that finds them (documented in the README): a derived node is a *binomial flow*
when its formula is exactly the product of two reads, ``X * r`` in either order (``X`` may be
read earlier, as in ``delay(sql, 2, 25) * win_rate``), where

- ``r`` is an input bounded inside [0, 1] (``bounds: [0, 1]`` or narrower): a conversion rate,
- ``X`` is a node with a ``unit`` that counts things: not money (a unit starting with a
  three-letter currency code such as ``JPY`` or a currency sign), not a ratio (``ratio``,
  ``%``, ``percent``) and not a duration (``months``, ``days``...).

Such a node is drawn as ``Binomial(round(X), r)`` per path and period instead of ``X * r``.
Limits: a product of more than two factors (``leads * mql_rate * sql_rate``) or a rate that is
itself derived is not recognised (write each stage as its own node); ``X`` is rounded to a
whole number; a node without a unit is never treated as a count.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import sympy

from kpitree.errors import EvaluationError
from kpitree.formula import node_symbol
from kpitree.tree import Tree

_MONEY = re.compile(r"^\s*([A-Z]{3}\b|[$€£¥₩₹])")
_NOT_COUNTS = ("ratio", "%", "percent", "day", "week", "month", "quarter", "year", "hour")


def _counts_things(unit: str | None) -> bool:
    if not unit or _MONEY.match(unit):
        return False
    head = re.split(r"[/\s]", unit.strip(), maxsplit=1)[0].lower()
    return not any(head.startswith(word) for word in _NOT_COUNTS)


def _is_rate(tree: Tree, name: str) -> bool:
    node = tree.nodes[name]
    low, high = node.bounds
    return node.is_input and low is not None and high is not None and low >= 0 and high <= 1


@dataclass(frozen=True)
class FlowRule:
    """A binomial flow: ``node = Binomial(round(count), rate)``; ``count_read`` is the symbol
    name of the count's read (``sql``, ``prev(customers)``...)."""

    node: str
    count: str
    count_read: str
    rate: str


def binomial_flows(tree: Tree) -> list[FlowRule]:
    """The derived nodes of ``tree`` that the rule above draws binomially, in file order."""
    rules = []
    for name in tree.derived:
        formula = tree.formulas[name]
        expr = formula.expr
        if not isinstance(expr, sympy.Mul) or len(expr.args) != 2:
            continue
        if not all(isinstance(arg, sympy.Symbol) for arg in expr.args):
            continue
        reads = {node_symbol(n).name: n for n in formula.names}
        reads |= {lag.symbol.name: lag.node for lag in formula.lags}
        first, second = (reads.get(arg.name) for arg in expr.args)
        if first is None or second is None:
            continue
        pairs = [(expr.args[0], first, second), (expr.args[1], second, first)]
        for symbol, count, rate in pairs:
            rate_symbol = node_symbol(rate).name
            if (
                rate_symbol in reads
                and _is_rate(tree, rate)
                and not _is_rate(tree, count)
                and _counts_things(tree.nodes[count].unit)
            ):
                rules.append(FlowRule(name, count, symbol.name, rate))
                break
    return rules


@dataclass
class BlockDraws:
    """The generators of the blocks of paths being evaluated, and their sizes: set before
    each engine run so every block draws from its own stream."""

    generators: list[np.random.Generator] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)


class BinomialFlow:
    """A replacement for a flow's compiled formula (see ``Engine(replacements=...)``)."""

    def __init__(
        self, rule: FlowRule, arguments: Sequence[str], blocks: BlockDraws, periods: int
    ) -> None:
        self.rule = rule
        self.periods = periods
        self.count_index = list(arguments).index(rule.count_read)
        self.rate_index = list(arguments).index(rule.rate)
        self.blocks = blocks

    def __call__(self, *arguments: np.ndarray) -> np.ndarray:
        """The node's values for the engine: Binomial(round(count), rate) per path and period,
        drawn from the current blocks' generators (arguments as the node's formula reads)."""
        rows = sum(self.blocks.sizes)
        count = np.rint(np.asarray(arguments[self.count_index], dtype=float))
        rate = np.asarray(arguments[self.rate_index], dtype=float)
        shape = np.broadcast_shapes(count.shape, rate.shape)
        # A column of a recurrent step is 1-D; a vectorised step is (rows, periods), with a
        # fresh draw each period even when count and rate are the same in every period.
        shape = (rows,) if len(shape) <= 1 else (rows, self.periods)
        count = np.broadcast_to(count, shape)
        rate = np.broadcast_to(rate, shape)
        self._check(count, rate)
        out = np.empty(shape)
        start = 0
        for generator, size in zip(self.blocks.generators, self.blocks.sizes, strict=True):
            part = slice(start, start + size)
            out[part] = generator.binomial(count[part].astype(np.int64), rate[part])
            start += size
        return out

    def _check(self, count: np.ndarray, rate: np.ndarray) -> None:
        rule = self.rule
        if not np.all(np.isfinite(count)) or count.min(initial=0.0) < 0:
            raise EvaluationError(
                f"node '{rule.node}': a binomial draw needs a whole number of '{rule.count}' "
                f">= 0, found {count.min():g}"
            )
        if rate.size and (not np.all(np.isfinite(rate)) or rate.min() < 0 or rate.max() > 1):
            bad = rate[(rate < 0) | (rate > 1) | ~np.isfinite(rate)][0]
            raise EvaluationError(
                f"node '{rule.node}': a binomial draw needs '{rule.rate}' inside [0, 1], "
                f"found {bad:g}"
            )
