"""Count noise: flows of whole things (leads, deals) converted by a rate, drawn binomially.

The rule that finds them (documented in the README): a derived node is a *binomial flow*
when its formula is exactly the product of two reads, ``X * r`` in either order (``X`` may be
read earlier, as in ``delay(sql, 2, 25) * win_rate``), where

- ``r`` is an input bounded inside [0, 1] (``bounds: [0, 1]`` or narrower): a conversion rate,
- ``X`` is a node with a ``unit`` that counts things: not money (a unit starting with a
  three-letter currency code such as ``JPY`` or a currency sign), not a ratio (``ratio``,
  ``%``, ``percent``) and not a duration (``months``, ``days``...).

``X`` may also be a sum of reads of one such node, each weighted by a factor that reads no
count and is not a negative number: a fractional or variable ``delay(sql, cycle)`` or
``lagged(sql, [0.2, 0.5, 0.3])``. Such a node is drawn as ``Binomial(round(X), r)`` per path and
period instead of ``X * r``.
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
from kpitree.formula import TIME, node_symbol
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
    count_read: str | None
    rate: str
    count_expr: sympy.Expr | None = None
    """When the count is a weighted sum of reads of ``count`` (``delay(sql, cycle)``,
    ``lagged(sql, [0.2, 0.8])``): that sum, of ``symbols``."""
    symbols: tuple[sympy.Symbol, ...] = ()
    """The formula's arguments in the engine's order (with ``count_expr``)."""


def binomial_flows(tree: Tree) -> list[FlowRule]:
    """The derived nodes of ``tree`` that the rule above draws binomially, in file order."""
    rules = []
    for name in tree.derived:
        formula = tree.formulas[name]
        expr = formula.expr
        if not isinstance(expr, sympy.Mul) or len(expr.args) != 2:
            continue
        reads = {node_symbol(n).name: n for n in formula.names}
        reads |= {lag.symbol.name: lag.node for lag in formula.lags}
        if not all(isinstance(arg, sympy.Symbol) for arg in expr.args):
            rule = _weighted_flow(tree, name, expr, reads)
            if rule is not None:
                rules.append(rule)
            continue
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


def _weighted_flow(
    tree: Tree, name: str, expr: sympy.Mul, reads: dict[str, str]
) -> FlowRule | None:
    """``X * r`` with ``X`` a sum of reads of one count node, each weighted by a factor that
    reads no count (a fractional or variable delay, a distributed lag): a binomial flow of
    ``round(X)``."""
    for rate_part, sum_part in (expr.args, expr.args[::-1]):
        rate = reads.get(rate_part.name) if isinstance(rate_part, sympy.Symbol) else None
        if rate is None or not _is_rate(tree, rate) or not isinstance(sum_part, sympy.Add):
            continue
        counted: set[str] = set()
        for term in sum_part.args:
            symbols = [s for s in term.free_symbols if s.name in reads]
            count_reads = [
                s
                for s in symbols
                if not _is_rate(tree, reads[s.name])
                and _counts_things(tree.nodes[reads[s.name]].unit)
            ]
            if len(count_reads) != 1:
                return None
            weight = sympy.cancel(term / count_reads[0])
            if count_reads[0] in weight.free_symbols or (weight.is_number and weight < 0):
                return None
            counted.add(reads[count_reads[0].name])
        if len(counted) != 1:
            return None
        formula = tree.formulas[name]
        symbols = [node_symbol(n) for n in sorted(formula.names)]
        symbols += [lag.symbol for lag in formula.lags]
        symbols += [TIME] if formula.uses_time else []
        return FlowRule(name, counted.pop(), None, rate, sum_part, tuple(symbols))
    return None


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
        self.count_index = -1
        self.count_function = None
        if rule.count_expr is not None:
            from kpitree.engine import compile_expression

            self.count_function = compile_expression(rule.count_expr, rule.symbols)
        else:
            self.count_index = list(arguments).index(rule.count_read)  # type: ignore[arg-type]
        self.rate_index = list(arguments).index(rule.rate)
        self.blocks = blocks

    def __call__(self, *arguments: np.ndarray) -> np.ndarray:
        """The node's values for the engine: Binomial(round(count), rate) per path and period,
        drawn from the current blocks' generators (arguments as the node's formula reads)."""
        rows = sum(self.blocks.sizes)
        read = (
            self.count_function(*arguments)
            if self.count_function is not None
            else arguments[self.count_index]
        )
        count = np.rint(np.asarray(read, dtype=float))
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
