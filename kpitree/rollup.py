"""Roll a timed tree's values up into quarters, years or fiscal years, each node by what it is.

A flow (leads per month) sums; a stock (MRR, customers) takes its last period; a rate implied
by flows (SQL / MQL) is recomputed from their roll-ups, never averaged; anything else is the
mean. :func:`rules` infers which from the tree; a node's ``aggregate:`` overrides it.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import sympy

from kpitree.errors import DataError, Location, SpecError
from kpitree.formula import Lag, node_symbol
from kpitree.node import PERCENT_UNITS
from kpitree.results import Shown
from kpitree.timeaxis import Bucket, TimeAxisError

if TYPE_CHECKING:
    from kpitree.tree import Tree

Terms = tuple[tuple[float, sympy.Symbol], ...]
"""A sum of flows ``c1 * x1 + c2 * x2``: each a coefficient and a node or lag symbol."""


@dataclass(frozen=True)
class Rule:
    """How one node rolls up: ``kind`` is sum, last, mean or ratio; a ratio is
    ``numerator / denominator``, each a sum of flows rolled up first."""

    kind: str
    numerator: Terms = ()
    denominator: Terms = ()
    given: bool = False
    """True when the tree file says ``aggregate:``, False when inferred."""

    def describe(self) -> str:
        """``sum``, ``last``, ``mean`` or ``ratio sql / mql``."""
        if self.kind != "ratio":
            return self.kind
        return f"ratio {_terms_text(self.numerator)} / {_terms_text(self.denominator)}"


@dataclass(frozen=True, repr=False)
class Rollup(Shown):
    """Every node's value per quarter or (fiscal) year.

    Attributes
    ----------
    tree : Tree
    by : str
        ``quarter``, ``year`` or ``fiscal-year``.
    buckets : tuple of Bucket
        Label, periods and whether the axis covers only part of it.
    values : dict[str, numpy.ndarray]
        Per node, one value per bucket.
    rules : dict[str, Rule]
        Per node, how it was rolled up.
    """

    tree: Tree
    by: str
    buckets: tuple[Bucket, ...]
    values: dict[str, np.ndarray]
    rules: dict[str, Rule]
    scenario: str | None = None
    """The scenario evaluated (``None``: the plan)."""

    @property
    def periods(self) -> list[str]:
        """The buckets' labels (``FY2027-Q1``, ``2027``, ``FY2027``)."""
        return [bucket.label for bucket in self.buckets]

    @property
    def partial(self) -> list[str]:
        """Labels of the buckets that the time axis covers only in part."""
        return [bucket.label for bucket in self.buckets if bucket.partial]

    def to_frame(self) -> pd.DataFrame:
        """One column per node, one row per bucket: a quarterly or yearly ``PeriodIndex``
        named ``period`` (fiscal ones as pandas names them: :mod:`kpitree.periods`)."""
        from kpitree.periods import bucket_index

        index = bucket_index(self.tree.time, self.by, self.periods)
        return pd.DataFrame({name: self.values[name] for name in self.tree.nodes}, index=index)

    def to_dict(self) -> dict[str, Any]:
        """``{"tree", "kgi", "scenario", "by", "periods", "partial", "aggregate", "values"}``,
        JSON-ready: the shape of an evaluation's, with the buckets as periods."""
        return {
            "tree": self.tree.name,
            "kgi": self.tree.kgi,
            "scenario": self.scenario,
            "by": self.by,
            "periods": self.periods,
            "partial": self.partial,
            "aggregate": {name: rule.describe() for name, rule in self.rules.items()},
            "values": {name: [float(v) for v in self.values[name]] for name in self.tree.nodes},
        }

    _repr_fields = ("by",)


def roll_up(tree: Tree, values: Mapping[str, np.ndarray], by: str) -> Rollup:
    """Roll ``values`` (one array of periods per node) up by quarter, year or fiscal year.

    Parameters
    ----------
    tree : Tree
        A timed tree with a ``start``.
    values : mapping of str to numpy.ndarray
        Every node's value per period, as in :attr:`Evaluation.values`.
    by : str
        ``quarter``, ``year`` or ``fiscal-year``.

    Returns
    -------
    Rollup

    Raises
    ------
    DataError
        For a static tree, an axis without ``start``, or periods that do not fit the buckets.
    SpecError
        For ``aggregate: ratio`` on a node that is no ratio of flows.
    """
    buckets = buckets_of(tree, by)
    found = rules(tree)
    rolled = aggregate(tree, values, [bucket.periods for bucket in buckets], found)
    return Rollup(tree, by, buckets, rolled, found)


def buckets_of(tree: Tree, by: str) -> tuple[Bucket, ...]:
    """The buckets of ``tree``'s time axis (:meth:`TimeAxis.buckets`).

    Raises
    ------
    DataError
        For a static tree, an axis without ``start``, or periods that do not fit the buckets.
    """
    where = Location(tree.source) if tree.source else None
    if tree.time is None:
        raise DataError(
            f"cannot roll up by {by}: tree '{tree.name}' is static (no 'time'), it has one "
            "value per node",
            where,
        )
    try:
        return tree.time.buckets(by)
    except TimeAxisError as error:
        raise DataError(f"time: {error}", where) from None


def paths_needed(tree: Tree, name: str, by: str) -> tuple[str, ...]:
    """The nodes whose simulated paths roll node ``name`` up by ``by``: itself, and a ratio's
    flows. Checks ``by`` first (see :func:`buckets_of`)."""
    buckets_of(tree, by)
    return (name, *sorted(reads(tree, rules(tree)[name]) - {name}))


def roll_paths(
    tree: Tree, paths: Mapping[str, np.ndarray], name: str, by: str
) -> tuple[tuple[Bucket, ...], np.ndarray]:
    """Node ``name``'s ``(samples, periods)`` paths rolled up to ``(samples, buckets)``;
    ``paths`` holds the nodes of :func:`paths_needed`."""
    buckets = buckets_of(tree, by)
    found = rules(tree)
    rolled = aggregate(tree, paths, [bucket.periods for bucket in buckets], found)
    return buckets, rolled[name]


def partial_note(tree: Tree, bucket: Bucket) -> str:
    """``FY2026 is partial: the tree covers only 2027-01 to 2027-03 (3 months)``."""
    labels = tree.periods or ()
    first, last = labels[bucket.periods[0]], labels[bucket.periods[-1]]
    count = len(bucket.periods)
    unit = tree.time.unit if tree.time is not None else "period"
    span = first if count == 1 else f"{first} to {last}"
    plural = "s" * (count > 1)
    return f"{bucket.label} is partial: the tree covers only {span} ({count} {unit}{plural})"


def aggregate(
    tree: Tree,
    values: Mapping[str, np.ndarray],
    groups: Sequence[Sequence[int]],
    found: Mapping[str, Rule] | None = None,
) -> dict[str, np.ndarray]:
    """Each node's value over each group of 0-based period indices, by its :class:`Rule`.

    ``values`` holds arrays whose last axis is the periods (``(periods,)`` for one evaluation,
    ``(samples, periods)`` for simulated paths); the result replaces that axis by the groups.
    Only the nodes in ``values`` are rolled up; a ratio needs the nodes of :func:`reads`.
    """
    found = rules(tree) if found is None else found
    series = _series(tree, values)
    result = {}
    for name in values:
        rule, own = found[name], series[node_symbol(name)]
        rolled = []
        for group in groups:
            if rule.kind == "ratio":
                with np.errstate(divide="ignore", invalid="ignore"):
                    top, bottom = (
                        _sum(rule.numerator, series, group),
                        _sum(rule.denominator, series, group),
                    )
                    rolled.append(top / bottom)
            elif rule.kind == "last":
                rolled.append(own[..., group[-1]])
            elif rule.kind == "sum":
                rolled.append(own[..., list(group)].sum(axis=-1))
            else:
                rolled.append(own[..., list(group)].mean(axis=-1))
        result[name] = np.stack(rolled, axis=-1)
    return result


def reads(tree: Tree, rule: Rule) -> set[str]:
    """The nodes whose values ``rule`` rolls up besides its own (a ratio's flows)."""
    lags = _lags(tree)
    return {
        lags[symbol].node if symbol in lags else symbol.name
        for _, symbol in (*rule.numerator, *rule.denominator)
    }


_FOUND: weakref.WeakKeyDictionary[Tree, dict[str, Rule]] = weakref.WeakKeyDictionary()
"""Per tree (a tree does not change once built): its rules, asked for once per period."""


def rules(tree: Tree) -> dict[str, Rule]:
    """How each node of a timed tree rolls up, in the tree's node order: the one
    classification of stocks (``last``), flows (``sum``) and rates (``ratio``, ``mean``)
    that roll-ups, status and compare share.

    In order: the node's ``aggregate:``; a node that reads its own earlier value, directly
    (``prev(mrr)``) or through nodes it reads in the same period (``mrr_start = prev(mrr)``),
    is a stock (last); so is a ``cohort()`` of a flow: what is left at the period's end of
    every earlier period's intake, a level, not an amount per period; a formula that reads
    stocks only (``base_mrr + cohort_mrr``, ``prev(mrr)``) is a stock; a unit per period of
    the axis (``leads/month``, not ``ratio/month``) is a flow (sum): ``delay()`` and
    ``lagged()`` of a flow are flows, as they move amounts between periods without
    accumulating them; a formula that is a sum of flows over a sum of flows is a ratio of
    their roll-ups; a node ``r`` with a derived flow ``d = f * r`` (or ``f / r``) over
    another flow ``f`` is the ratio ``d / f`` (``f / d``), taken from the first such ``d``
    in file order; a derived node that reads stocks and no flow in its period (ARR = MRR x
    12) is a stock; anything else is the mean.

    Raises
    ------
    SpecError
        For ``aggregate: ratio`` on a node that is neither form of ratio.
    """
    if tree not in _FOUND:
        _FOUND[tree] = _rules(tree)
    return dict(_FOUND[tree])


def _rules(tree: Tree) -> dict[str, Rule]:
    unit_of_time = tree.time.unit if tree.time is not None else ""
    own_past = _reads_own_past(tree)
    # Known before the pass, as a node may read a stock's past before the stock's own row.
    kinds = {name: "last" for name in own_past if tree.nodes[name].aggregate is None}
    for name in tree.order():
        node = tree.nodes[name]
        if node.aggregate in ("sum", "last", "mean"):
            kinds[name] = node.aggregate
        elif node.aggregate is not None:
            continue
        elif name in own_past or _calls(tree, name, "cohort") or _reads_only(tree, name, kinds):
            kinds[name] = "last"
        elif is_flow_unit(node.unit or "", unit_of_time):
            kinds[name] = "sum"
    flows = {node_symbol(name) for name, kind in kinds.items() if kind == "sum"}
    flows |= {lag.symbol for lag in _lags(tree).values() if kinds.get(lag.node) == "sum"}
    implied = _implied_ratios(tree, flows)
    found: dict[str, Rule] = {}
    for name in tree.order():
        node = tree.nodes[name]
        if name in kinds:
            found[name] = Rule(kinds[name], given=node.aggregate is not None)
            continue
        ratio = _own_ratio(tree, name, flows) or implied.get(node_symbol(name))
        if ratio is not None:
            found[name] = Rule("ratio", *ratio, given=node.aggregate is not None)
        elif node.aggregate == "ratio":
            raise SpecError(
                f"node '{name}': aggregate: ratio needs a formula that divides flows "
                f"(sql / mql), or a derived flow that is another flow times '{name}' "
                f"(sql = mql * {name}); found neither",
                node.location,
            )
        elif _reads_stocks_only(tree, name, found):
            found[name] = Rule("last")
        else:
            found[name] = Rule("mean")
    return {name: found[name] for name in tree.nodes}


def _reads_own_past(tree: Tree) -> set[str]:
    """The nodes whose value reads their own value of an earlier period, directly or through
    the nodes they read in the same period."""
    graph = tree.graph
    reach: dict[str, set[str]] = {name: {name} for name in tree.nodes}
    for name in tree.order():  # readers come after what they read
        for source, _, lag in graph.in_edges(name, data="lag"):
            if lag == 0 and source != name:
                reach[name] |= reach[source]
    # reach[x]: the nodes x reads in the same period, itself included. x reads its own past
    # when some node it reaches reads x in an earlier period.
    return {
        name
        for name in tree.nodes
        if any(
            lag > 0 and target in reach[name]
            for _, target, lag in graph.out_edges(name, data="lag")
        )
    }


def _calls(tree: Tree, name: str, function: str) -> bool:
    """True when the node's formula calls ``function()`` (its text already parsed, so a name
    followed by a parenthesis is a call)."""
    formula = tree.formulas.get(name)
    return formula is not None and re.search(rf"\b{function}\s*\(", formula.text) is not None


def _reads_only(tree: Tree, name: str, kinds: Mapping[str, str]) -> bool:
    """True when the node's formula reads stocks (in its period or earlier) and nothing else."""
    formula = tree.formulas.get(name)
    if formula is None:
        return False
    read = set(formula.names) | {lag.node for lag in formula.lags}
    return bool(read) and all(kinds.get(other) == "last" for other in read)


def is_flow_unit(unit: str, unit_of_time: str) -> bool:
    """A quantity per period (``leads/month``, ``JPY/month``) that adds up over periods.

    Rates (``ratio/month``, ``%``) do not add up, and neither does a unit of another period
    (ARR in ``JPY/year`` on a monthly tree) or an average per something per period (ARPU in
    ``JPY/customer/month``). An average written as a plain per-period unit (``JPY/month``)
    cannot be told from a flow: give it ``aggregate: mean``.
    """
    text = unit.replace(" ", "").lower()
    if not text.endswith(f"/{unit_of_time}") or text in PERCENT_UNITS or text.count("/") > 1:
        return False
    return not text.startswith(("ratio", "%", "percent", "rate"))


def _own_ratio(tree: Tree, name: str, flows: set[sympy.Symbol]) -> tuple[Terms, Terms] | None:
    """``(numerator, denominator)`` when the node's formula is flows over flows."""
    formula = tree.formulas.get(name)
    if formula is None:
        return None
    numerator, denominator = sympy.fraction(sympy.together(formula.expr))
    if denominator == 1:
        return None
    top, bottom = _flow_terms(numerator, flows), _flow_terms(denominator, flows)
    return (top, bottom) if top and bottom else None


def _implied_ratios(
    tree: Tree, flows: set[sympy.Symbol]
) -> dict[sympy.Symbol, tuple[Terms, Terms]]:
    """Per symbol ``r``: ``(d, f)`` for the first derived flow ``d = c * f * r`` (``(f, d)``
    for ``d = c * f / r``), where ``f`` is another flow."""
    implied: dict[sympy.Symbol, tuple[Terms, Terms]] = {}
    for other, formula in tree.formulas.items():
        if node_symbol(other) not in flows:
            continue
        coefficient, factors = formula.expr.as_coeff_mul()
        if len(factors) != 2:
            continue
        derived: Terms = ((1.0, node_symbol(other)),)
        for rate, flow in (factors, factors[::-1]):
            if flow not in flows:
                continue
            scaled: Terms = ((float(coefficient), flow),)
            if rate.is_Symbol:
                implied.setdefault(rate, (derived, scaled))
            elif rate.is_Pow and rate.exp == -1 and rate.base.is_Symbol:
                implied.setdefault(rate.base, (scaled, derived))
    return implied


def _flow_terms(expr: sympy.Expr, flows: set[sympy.Symbol]) -> Terms:
    """``expr`` as a sum of coefficient x flow, or ``()`` when it is not one."""
    terms = []
    for term in sympy.Add.make_args(sympy.expand(expr)):
        coefficient, rest = term.as_coeff_Mul()
        if rest not in flows or not coefficient.is_finite:
            return ()
        terms.append((float(coefficient), rest))
    return tuple(terms)


def _reads_stocks_only(tree: Tree, name: str, found: Mapping[str, Rule]) -> bool:
    formula = tree.formulas.get(name)
    if formula is None or not formula.names:
        return False
    kinds = {found[read].kind for read in formula.names}
    return "last" in kinds and "sum" not in kinds


def _lags(tree: Tree) -> dict[sympy.Symbol, Lag]:
    return {lag.symbol: lag for formula in tree.formulas.values() for lag in formula.lags}


def _series(tree: Tree, values: Mapping[str, np.ndarray]) -> dict[sympy.Symbol, np.ndarray]:
    """Every node's value per period, and every lag read of those nodes, by symbol."""
    series = {node_symbol(name): np.asarray(value, dtype=float) for name, value in values.items()}
    for symbol, lag in _lags(tree).items():
        own = series.get(node_symbol(lag.node))
        if own is None:
            continue
        default = lag.default if lag.default is not None else tree.nodes[lag.node].initial
        count = own.shape[-1]
        shift = min(lag.periods, count)
        before = np.full((*own.shape[:-1], shift), np.nan if default is None else default)
        series[symbol] = np.concatenate([before, own[..., : count - shift]], axis=-1)
    return series


def _sum(
    terms: Terms, series: Mapping[sympy.Symbol, np.ndarray], group: Sequence[int]
) -> np.ndarray:
    return sum(c * series[symbol][..., list(group)].sum(axis=-1) for c, symbol in terms)


def _terms_text(terms: Terms) -> str:
    parts = [
        symbol.name if coefficient == 1 else f"{coefficient:g} * {symbol.name}"
        for coefficient, symbol in terms
    ]
    return parts[0] if len(parts) == 1 else "(" + " + ".join(parts) + ")"
