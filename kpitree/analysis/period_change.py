"""Attribution of the KGI's change from one period to the previous, exact with no residual.

In a timed tree ``KGI(p) - KGI(p - 1)`` is not a function of the inputs' values at ``p`` and
``p - 1`` alone: MRR at ``p`` is last month's MRR plus this month's movements, so most of it is
carried over from earlier periods. But the KGI at any period is one static function ``F`` of
the inputs' values in that period, the values its ``prev()`` / ``delay()`` reads see in that
period (``prev(mrr)``: MRR one period back; ``delay(sql, 2)``: SQLs two periods back) and the
period number ``t`` if a formula uses it. :mod:`kpitree.analysis.period_function` evaluates
``F`` node by node (never as one substituted expression, which can double at every level).

The players are the inputs ``F`` reads whose value differs between the two periods, one
*driver* per lag read whose value differs (``carried over: prev(mrr)``, ``pipeline:
delay(sql, 2)``) and ``t`` if ``F`` uses it. The lag reads' values come from the full
evaluation: the node's value ``k`` periods back, or its ``initial`` / delay's default before
period 1. The worth of a coalition ``S`` is ``F`` with the players in ``S`` at their values in
period ``p`` and the others at their values in ``p - 1``; the Shapley values (Owen by owner
beyond ``exact_limit`` players, see :mod:`kpitree.analysis.attribution`) add up exactly to
``F(state at p) - F(state at p - 1) = KGI(p) - KGI(p - 1)``, every coalition evaluated as one
row of one vectorised call of ``F``.

An input that changed between the periods but that ``F`` does not read in the same period (the
visits behind SQLs that close two months later) gets 0: its effect reaches the KGI only through
a driver (``delay(sql, 2)``), and this comparison explains the step from ``p - 1`` to ``p``, not
the history before it. Period 1 has no previous period: the initial values are stocks
(``initial`` of a ``prev()``), not a state of every input, so comparing with them is refused.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import sympy

from kpitree.analysis.attribution import NO_OWNER, Attribution, Driver, by_owner, play
from kpitree.analysis.batch import resolve_period
from kpitree.analysis.period_function import PeriodFunction, period_function
from kpitree.errors import DataError, EvaluationError
from kpitree.formula import TIME, Lag, node_symbol

if TYPE_CHECKING:
    from kpitree.actuals import Actuals
    from kpitree.tree import Overrides, Tree

# Coalitions per call of the compiled formula (each row holds one float per symbol).
_ROWS_PER_CALL = 1 << 18


def attribute_previous(
    tree: Tree,
    values: Overrides | None = None,
    *,
    scenario: str | None = None,
    period: str | int | None = None,
    node: str | None = None,
    method: str = "auto",
    exact_limit: int = 20,
    label: str | None = None,
) -> Attribution:
    """Split ``node(period) - node(period - 1)`` (the KGI by default) into one contribution per
    input and per driver carried over from earlier periods.

    Parameters
    ----------
    tree : Tree
        A timed tree.
    values : mapping, optional
        Input values (a number, or one per period) replacing the tree's or the scenario's.
    scenario : str, optional
        A scenario of the tree (default: the tree's own values).
    period : str or int, optional
        The later of the two periods (default: the last); not the first.
    node : str, optional
        The node explained (default: the KGI).
    method, exact_limit
        See :func:`kpitree.analysis.attribution.attribute`; here the players are the changed
        inputs and drivers.
    label : str, optional
        The name of the state, for tables and charts (default: the scenario's name or
        ``plan``).

    Returns
    -------
    Attribution
        ``previous`` is the label of the earlier period; ``drivers`` describes the players
        that are not inputs (keyed ``prev(mrr)``, ``delay(sql, 2)``, ``t``).

    Raises
    ------
    DataError
        For a static tree, the first period, bad input values, or too many players.
    EvaluationError
        When a mix of the two periods' values makes the node's formula undefined.
    """
    if tree.time is None:
        raise DataError(
            f"tree '{tree.name}' is static: it has no previous period to compare with "
            f"(give it a time axis, or compare two states)"
        )
    name = tree.kgi if node is None else tree.node(node).name
    index = resolve_period(tree, period)
    labels = tree.time.labels
    if index == 0:
        later = f"; explain {labels[1]} or a later period" if len(labels) > 1 else ""
        raise DataError(
            f"period {labels[0]} is the first of tree '{tree.name}': there is no previous "
            f"period to compare it with (the initial values are not a state of the inputs)"
            f"{later}"
        )
    inputs = tree.input_values(values, scenario)
    history = tree.engine.run(inputs, nodes=[name])
    function = period_function(tree, name)
    series = _terms(tree, function.arguments, history)
    # Each symbol read: (value in period p - 1, value in period p).
    state = {
        term: (float(per_period[index - 1]), float(per_period[index]))
        for term, per_period in series.items()
    }
    # Only what F depends on plays; a read that cancels (x - x) keeps its earlier value.
    terms = [term for term in series if _symbol(term) in function.symbols]
    players = [term for term in terms if state[term][0] != state[term][1]]
    drivers = _drivers(tree, [term for term in terms if not isinstance(term, str)])
    bit_of = {term: bit for bit, term in enumerate(players)}

    def rows(masks: np.ndarray) -> np.ndarray:
        arguments = {
            _symbol(term): np.where((masks >> bit_of[term]) & 1, after, before)
            if term in bit_of
            else before
            for term, (before, after) in state.items()
        }
        with np.errstate(all="ignore"):
            worth = np.broadcast_to(np.asarray(function(arguments), dtype=float), masks.shape)
        if not np.isfinite(worth).all():
            raise EvaluationError(
                f"node '{name}': a mix of {labels[index - 1]} and {labels[index]} values makes "
                f"its formula undefined ({worth[~np.isfinite(worth)][0]}), so the change cannot "
                f"be split between them; formula: {tree.nodes[name].formula}",
                tree.nodes[name].location,
            )
        return worth

    keys = {term: _key(term, drivers) for term in terms}
    owners = {keys[term]: _owner(tree, term) for term in players}
    game = play(
        [keys[term] for term in players],
        owners,
        rows,
        method=method,
        exact_limit=exact_limit,
        chunk=max(1024, _ROWS_PER_CALL // max(1, len(series))),
        noun="inputs and drivers",
    )
    contributions = dict.fromkeys(tree.inputs, 0.0)
    contributions.update(dict.fromkeys((keys[term] for term in terms if term in drivers), 0.0))
    contributions.update(game.values)
    state_label = label or scenario or "plan"
    return Attribution(
        tree=tree,
        node=name,
        period=labels[index],
        base=game.base,
        new=game.new,
        contributions=contributions,
        by_owner=by_owner(contributions, owners),
        by_node=_by_node(
            tree, function, {_symbol(term): keys[term] for term in terms}, contributions
        ),
        method=game.method,
        base_label=f"{state_label} {labels[index - 1]}",
        new_label=f"{state_label} {labels[index]}",
        evaluations=game.evaluations,
        drivers={driver.name: driver for driver in drivers.values()},
        previous=labels[index - 1],
    )


def attribute_previous_actuals(
    tree: Tree,
    actuals: Actuals,
    *,
    plan: str | None = None,
    period: str | int | None = None,
    node: str | None = None,
    method: str = "auto",
) -> Attribution:
    """Split the KGI's change from the period before ``period`` (default: the last period with
    actuals) to ``period``, on actuals (plan values where there is no actual)."""
    from kpitree.analysis.compare import actual_inputs

    index = resolve_period(tree, period) if period is not None else actuals.last
    actual_inputs(tree, actuals, plan)  # checks the actuals belong to this tree
    values = actuals.apply(tree.input_values(scenario=plan), through=index)
    return attribute_previous(
        tree, values, period=index + 1, node=node, method=method, label="actual"
    )


def _terms(
    tree: Tree, symbols: frozenset[sympy.Symbol], history: Mapping[str, np.ndarray]
) -> dict[str | Lag | sympy.Symbol, np.ndarray]:
    """Each of ``symbols`` (an input's name, a :class:`Lag`, or ``TIME``) with its value in
    every period: inputs in file order, then lag reads by name, then ``t``."""
    lags = {lag.symbol: lag for formula in tree.formulas.values() for lag in formula.lags}
    terms: dict[Any, np.ndarray] = {}
    for input_ in tree.inputs:
        if node_symbol(input_) in symbols:
            terms[input_] = np.asarray(history[input_], dtype=float)[0]
    for symbol in sorted(symbols & lags.keys(), key=lambda s: s.name):
        lag = lags[symbol]
        terms[lag] = tree.engine.lagged(lag, history[lag.node])[0]
    if TIME in symbols:
        terms[TIME] = np.arange(1.0, tree.engine.periods + 1)
    return terms


def _symbol(term: str | Lag | sympy.Symbol) -> sympy.Symbol:
    if isinstance(term, str):
        return node_symbol(term)
    if isinstance(term, Lag):
        return term.symbol
    return term


def _drivers(tree: Tree, terms: list[Lag | sympy.Symbol]) -> dict[Any, Driver]:
    """A :class:`Driver` per lag read and for ``t``, named as a person writes the read."""
    names: dict[Any, str] = {}
    for term in terms:
        if isinstance(term, Lag):
            names[term] = (
                f"prev({term.node})"
                if term.default is None and term.periods == 1
                else f"delay({term.node}, {term.periods})"
            )
        else:
            names[term] = "t"
    # Two delay() reads of one node and span with different defaults: keep them apart.
    counts = Counter(names.values())
    for term, name in list(names.items()):
        if isinstance(term, Lag) and counts[name] > 1:
            default = "initial" if term.default is None else f"{term.default:g}"
            names[term] = f"{name[:-1]}, {default})"
    drivers = {}
    for term, name in names.items():
        if isinstance(term, Lag):
            kind = "carried over" if term.default is None and term.periods == 1 else "pipeline"
            owner = tree.nodes[term.node].owner
            drivers[term] = Driver(name, kind, term.node, owner)
        else:
            drivers[term] = Driver(name, "period number", None, None)
    return drivers


def _key(term: str | Lag | sympy.Symbol, drivers: Mapping[Any, Driver]) -> str:
    return term if isinstance(term, str) else drivers[term].name


def _owner(tree: Tree, term: str | Lag | sympy.Symbol) -> str:
    if isinstance(term, str):
        return tree.nodes[term].owner or NO_OWNER
    if isinstance(term, Lag):
        return tree.nodes[term.node].owner or NO_OWNER
    return NO_OWNER


def _by_node(
    tree: Tree,
    function: PeriodFunction,
    keys: Mapping[sympy.Symbol, str],
    contributions: Mapping[str, float],
) -> dict[str, float]:
    """Per derived node that the explained node reads in the same period (and that node
    itself): the contributions of the inputs and drivers its own function depends on."""
    return {
        name: sum(contributions[keys[s]] for s in function.reads[name] if s in keys)
        for name in tree.derived
        if name in function.reads
    }
