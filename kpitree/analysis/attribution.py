"""Variance attribution: the change of the KGI between two states of the inputs, split into one
contribution per input that add up exactly to the change.

The two states are two sets of input values: plan and actual, or two scenarios. In a timed tree
an input's state is its whole series (plan series or actual series), so each input gets one
contribution for the KGI at the chosen period.

Method: the Shapley value of the game whose players are the inputs that changed and whose
worth ``v(S)`` is the KGI with the inputs in ``S`` at their new values and the others at their
base values. The contribution of input ``i`` is

    phi_i = sum over S not containing i of |S|! (n - |S| - 1)! / n! * (v(S + i) - v(S)),

so the contributions add up to ``v(all) - v(none)`` (no residual), swapping the states flips
every sign, an input that did not change gets exactly zero and the order of the inputs does not
matter (unlike sequential substitution in a spreadsheet). All ``2^n`` subsets are evaluated as
the rows of one batch (:func:`kpitree.analysis.batch.evaluate_rows`; split into several only
when the rows would not fit in memory).

Beyond ``exact_limit`` changed inputs (20 by default) ``2^n`` is too many rows: the Owen value
is used instead, with the inputs grouped by owner. It is the Shapley value of the game between
owners, each owner's share then split between its inputs by their Shapley values inside the
owner, with the other owners either fully in or out. It keeps exact additivity (and the sign
flip and zero for an unchanged input) and needs ``sum_k 2^(m - 1 + g_k)`` rows for ``m`` owners
with ``g_k`` changed inputs each.

Roll-ups: ``by_owner`` adds the contributions of each owner's inputs (``(no owner)`` for inputs
without one); with the Owen value it equals the Shapley value of the owners' game.
``by_node`` gives, for each derived node the KGI depends on, the sum of the contributions of
the inputs under it (its upstream inputs). These overlap (an input counts under every node
above it) and so do not add up across nodes; the KGI's own entry is the whole change.

The game itself (:func:`play`) takes any batch worth function, so other games reuse it: the
change from one period to the previous (:mod:`kpitree.analysis.period_change`) adds players
that are not inputs (:class:`Driver`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from kpitree.analysis.batch import evaluate_rows, resolve_period
from kpitree.errors import DataError
from kpitree.results import Shown

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from kpitree.actuals import Actuals
    from kpitree.tree import Overrides, Tree

NO_OWNER = "(no owner)"
METHODS = ("auto", "shapley", "owen")
# Values per batch call (rows x periods x nodes), to keep one call's arrays near 100 MB.
_CELLS_PER_CALL = 1 << 24


@dataclass(frozen=True)
class Driver:
    """A player that is not an input, in a change from one period to the previous: a value
    carried over from earlier periods (a ``prev()`` or ``delay()`` read) or the period number.

    Attributes
    ----------
    name : str
        Its key in the contributions: ``prev(mrr)``, ``delay(sql, 2)`` or ``t``.
    kind : str
        ``"carried over"`` (prev), ``"pipeline"`` (delay) or ``"period number"`` (t).
    node : str or None
        The node read (``None`` for the period number).
    owner : str or None
        That node's owner.
    """

    name: str
    kind: str
    node: str | None
    owner: str | None

    @property
    def label(self) -> str:
        """``"carried over: prev(mrr)"``: what the bar or row is called."""
        return f"{self.kind}: {self.name}"


@dataclass(frozen=True, repr=False)
class Attribution(Shown):
    """The change of a node (the KGI by default) between two states, split per input.

    Attributes
    ----------
    tree : Tree
    node : str
        The node explained (the KGI unless asked otherwise).
    period : str or None
        The period at which it is explained (``None`` for a static tree).
    base, new : float
        Its value in the base and in the new state.
    contributions : dict[str, float]
        Every input, in file order; zero for an input that did not change. A change from one
        period to the previous adds one entry per driver (see ``drivers``).
    by_owner : dict[str, float]
        Contributions added up per owner of the inputs.
    by_node : dict[str, float]
        Per derived node the explained node depends on: the contributions of its inputs.
    method : str
        ``"shapley"`` or ``"owen"``.
    base_label, new_label : str
        What the two states are (``"plan"``, ``"actual"``, a scenario's name).
    evaluations : int
        Rows evaluated.
    drivers : dict[str, Driver]
        The players that are not inputs (only in a change from one period to the previous).
    previous : str or None
        In a change from one period to the previous, the earlier period (``period`` is the
        later); ``None`` for a change between two states.
    """

    tree: Tree
    node: str
    period: str | None
    base: float
    new: float
    contributions: dict[str, float]
    by_owner: dict[str, float]
    by_node: dict[str, float]
    method: str
    base_label: str = "base"
    new_label: str = "new"
    evaluations: int = 0
    drivers: dict[str, Driver] = field(default_factory=dict)
    previous: str | None = None

    def owner_of(self, name: str) -> str | None:
        """The owner of input or driver ``name``."""
        if name in self.drivers:
            return self.drivers[name].owner
        return self.tree.nodes[name].owner

    def label_of(self, name: str) -> str:
        """``name`` for an input, ``"carried over: prev(mrr)"`` and the like for a driver."""
        return self.drivers[name].label if name in self.drivers else name

    @property
    def delta(self) -> float:
        """``new - base``."""
        return self.new - self.base

    @property
    def changed(self) -> list[str]:
        """Inputs (and drivers) with a non-zero contribution, largest first."""
        nonzero = [name for name, value in self.contributions.items() if value != 0]
        return sorted(nonzero, key=lambda name: -abs(self.contributions[name]))

    def to_frame(self) -> pd.DataFrame:
        """One row per input (then per driver): kind (``input`` or the driver's), owner,
        contribution and its share of the change."""
        rows = [
            {
                "input": name,
                "kind": self.drivers[name].kind if name in self.drivers else "input",
                "owner": self.owner_of(name),
                "contribution": value,
                "share": value / self.delta if self.delta != 0 else float("nan"),
            }
            for name, value in self.contributions.items()
        ]
        return pd.DataFrame(rows).set_index("input")

    def to_dict(self) -> dict[str, Any]:
        """``{"tree", "kgi", "node", "period", "previous_period", "base", "new", "delta",
        "contributions", "by_owner", ...}``, JSON-ready: ``node`` is the node explained."""
        return {
            "tree": self.tree.name,
            "kgi": self.tree.kgi,
            "node": self.node,
            "period": self.period,
            "previous_period": self.previous,
            "base": self.base,
            "new": self.new,
            "delta": self.delta,
            "contributions": dict(self.contributions),
            "by_owner": dict(self.by_owner),
            "by_node": dict(self.by_node),
            "method": self.method,
            "base_label": self.base_label,
            "new_label": self.new_label,
            "drivers": {
                name: {"kind": d.kind, "node": d.node, "owner": d.owner, "label": d.label}
                for name, d in self.drivers.items()
            },
        }

    def plot(self, ax: Axes | None = None, **options: Any) -> Axes:
        """A waterfall chart from base to new (see :func:`kpitree.plots.waterfall`)."""
        from kpitree.plots.waterfall import plot_waterfall

        return plot_waterfall(self, ax=ax, **options)

    _repr_fields = ("period",)


def attribute(
    tree: Tree,
    base: Overrides | None = None,
    new: Overrides | None = None,
    *,
    node: str | None = None,
    period: str | int | None = None,
    method: str = "auto",
    exact_limit: int = 20,
    base_label: str = "base",
    new_label: str = "new",
) -> Attribution:
    """Split the change of ``node`` from the ``base`` inputs to the ``new`` inputs per input.

    Parameters
    ----------
    tree : Tree
    base, new : mapping, optional
        Input values (a number, or one per period) replacing the tree's own; the tree's own
        values when omitted.
    node : str, optional
        The node explained (default: the KGI).
    period : str or int, optional
        The period at which it is explained (default: the last).
    method : {"auto", "shapley", "owen"}
        ``auto``: exact Shapley up to ``exact_limit`` changed inputs, Owen by owner beyond.
    exact_limit : int
        The most changed inputs for which all ``2^n`` subsets are evaluated.
    base_label, new_label : str
        Names of the two states, for tables and charts.

    Returns
    -------
    Attribution

    Raises
    ------
    DataError
        For bad input values, an unknown method, or too many changed inputs for either method.
    """
    if method not in METHODS:
        raise DataError(f"method must be one of {', '.join(METHODS)}, found '{method}'")
    name = tree.kgi if node is None else tree.node(node).name
    index = resolve_period(tree, period)
    base_inputs = tree.input_values(base)
    new_inputs = tree.input_values(new)
    periods = tree.engine.periods
    series = {
        which: {
            input_: np.broadcast_to(np.asarray(values[input_], dtype=float), (periods,))
            for input_ in tree.inputs
        }
        for which, values in (("base", base_inputs), ("new", new_inputs))
    }
    players = [
        input_
        for input_ in tree.inputs
        if not np.array_equal(series["base"][input_], series["new"][input_])
    ]

    def rows(masks: np.ndarray) -> np.ndarray:
        changes = {
            player: np.where(
                ((masks >> bit) & 1).astype(bool)[:, None],
                series["new"][player][None, :],
                series["base"][player][None, :],
            )
            for bit, player in enumerate(players)
        }
        return evaluate_rows(tree, changes, len(masks), base=base_inputs)[name][:, index]

    owners = {player: tree.nodes[player].owner or NO_OWNER for player in players}
    chunk = max(1024, _CELLS_PER_CALL // (periods * len(tree.nodes)))
    game = play(players, owners, rows, method=method, exact_limit=exact_limit, chunk=chunk)
    contributions = dict.fromkeys(tree.inputs, 0.0)
    contributions.update(game.values)
    return Attribution(
        tree=tree,
        node=name,
        period=tree.periods[index] if tree.periods is not None else None,
        base=game.base,
        new=game.new,
        contributions=contributions,
        by_owner=by_owner(contributions, owners),
        by_node=_by_node(tree, name, contributions),
        method=game.method,
        base_label=base_label,
        new_label=new_label,
        evaluations=game.evaluations,
    )


def attribute_actuals(
    tree: Tree,
    actuals: Actuals,
    *,
    plan: str | None = None,
    period: str | int | None = None,
    node: str | None = None,
    method: str = "auto",
) -> Attribution:
    """Split the gap between actual and plan of the KGI at ``period`` per input.

    Parameters
    ----------
    tree : Tree
    actuals : Actuals
    plan : str, optional
        A scenario used as the plan (default: the tree's own values).
    period : str or int, optional
        Default: the last period with actuals.
    node : str, optional
        The node explained (default: the KGI).
    method : str
        See :func:`attribute`.
    """
    from kpitree.analysis.compare import actual_inputs

    index = resolve_period(tree, period) if period is not None else actuals.last
    plan_inputs = tree.input_values(scenario=plan)
    actual = actuals.apply(plan_inputs, through=index)
    actual_inputs(tree, actuals, plan)  # checks the actuals belong to this tree
    return attribute(
        tree,
        plan_inputs,
        actual,
        node=node,
        period=tree.periods[index] if tree.periods is not None else None,
        method=method,
        base_label=plan or "plan",
        new_label="actual",
    )


def attribute_scenarios(
    tree: Tree,
    start: str | None,
    end: str | None,
    *,
    period: str | int | None = None,
    node: str | None = None,
    method: str = "auto",
) -> Attribution:
    """Split the change of the KGI from scenario ``start`` to scenario ``end`` per input
    (``None``: the tree's own values)."""
    return attribute(
        tree,
        tree.input_values(scenario=start),
        tree.input_values(scenario=end),
        node=node,
        period=period,
        method=method,
        base_label=start or "plan",
        new_label=end or "plan",
    )


def shapley_weights(n: int) -> np.ndarray:
    """``w[s] = s! (n - s - 1)! / n!`` for coalition sizes ``s = 0 .. n - 1``."""
    return np.array(
        [math.factorial(s) * math.factorial(n - s - 1) / math.factorial(n) for s in range(n)]
    )


def _check_size(size: int, limit: int, what: str) -> None:
    # Both methods evaluate 2^size rows per player group; beyond the limit that is too slow.
    if size > limit:
        raise DataError(
            f"{what}: an exact attribution would evaluate 2^{size} rows (limit 2^{limit}); "
            f"compare fewer inputs at a time, or give the inputs owners so they can be grouped"
        )


def _popcount(masks: np.ndarray) -> np.ndarray:
    counts = np.zeros(masks.shape, dtype=np.int64)
    work = masks.copy()
    while work.any():
        counts += work & 1
        work >>= 1
    return counts


@dataclass(frozen=True)
class Game:
    """The solved game: each player's value, the worth of no and of all players."""

    values: dict[str, float]
    base: float
    new: float
    method: str
    evaluations: int


def play(
    players: list[str],
    owners: Mapping[str, str],
    rows: Callable[[np.ndarray], np.ndarray],
    *,
    method: str = "auto",
    exact_limit: int = 20,
    chunk: int = 1 << 16,
    noun: str = "inputs",
) -> Game:
    """Shapley (or, by owner, Owen) values of a game given by its worth function.

    Parameters
    ----------
    players : list of str
        The players; bit ``i`` of a coalition mask is ``players[i]``.
    owners : mapping
        Player -> owner, the groups of the Owen value.
    rows : callable
        Coalition masks ``(rows,)`` -> the worth ``v(S)`` of each, ``(rows,)``: all the
        coalitions of a chunk evaluated in one vectorised call.
    method, exact_limit
        See :func:`attribute`.
    chunk : int
        The most coalitions passed to ``rows`` at once (memory).
    noun : str
        What the players are, for the message when there are too many.

    Raises
    ------
    DataError
        For an unknown method, or too many players for either method.
    """
    if method not in METHODS:
        raise DataError(f"method must be one of {', '.join(METHODS)}, found '{method}'")
    groups: dict[str, list[int]] = {}
    for bit, player in enumerate(players):
        groups.setdefault(owners[player], []).append(bit)
    if method == "auto":
        method = "shapley" if len(players) <= exact_limit else "owen"
    if method == "shapley":
        _check_size(len(players), exact_limit, f"{len(players)} {noun} changed")
        masks = np.arange(1 << len(players), dtype=np.int64)
    else:
        biggest = max((len(members) for members in groups.values()), default=0)
        _check_size(
            len(groups) - 1 + biggest,
            exact_limit,
            f"{len(players)} {noun} changed, in {len(groups)} owners (up to {biggest} per owner)",
        )
        masks = _owen_masks(groups)
    worth = np.empty(len(masks))
    for start in range(0, len(masks), chunk):
        part = masks[start : start + chunk]
        worth[start : start + len(part)] = rows(part)
    phi = _shapley(worth, len(players)) if method == "shapley" else _owen(worth, masks, groups)
    lookup = dict(zip(masks.tolist(), worth.tolist(), strict=True))
    return Game(
        values={player: float(value) for player, value in zip(players, phi, strict=True)},
        base=float(lookup[0]),
        new=float(lookup[(1 << len(players)) - 1]),
        method=method,
        evaluations=len(masks),
    )


def _shapley(worth: np.ndarray, n: int) -> np.ndarray:
    """Exact Shapley values from the worth of all ``2^n`` coalitions (indexed by mask)."""
    masks = np.arange(1 << n, dtype=np.int64)
    sizes = _popcount(masks)
    weights = shapley_weights(n) if n else np.zeros(0)
    phi = np.empty(n)
    for bit in range(n):
        without = masks[((masks >> bit) & 1) == 0]
        phi[bit] = np.sum(weights[sizes[without]] * (worth[without | (1 << bit)] - worth[without]))
    return phi


def _owen_masks(groups: dict[str, list[int]]) -> np.ndarray:
    """Every coalition the Owen value reads: some whole other groups plus part of one."""
    group_masks = [sum(1 << bit for bit in members) for members in groups.values()]
    masks: set[int] = set()
    for k, members in enumerate(groups.values()):
        others = [mask for j, mask in enumerate(group_masks) if j != k]
        for outer in range(1 << len(others)):
            union = sum(mask for j, mask in enumerate(others) if outer >> j & 1)
            for inner in range(1 << len(members)):
                masks.add(union | sum(1 << bit for j, bit in enumerate(members) if inner >> j & 1))
    masks.add(0)
    masks.add(sum(group_masks))
    return np.array(sorted(masks), dtype=np.int64)


def _owen(worth: np.ndarray, masks: np.ndarray, groups: dict[str, list[int]]) -> np.ndarray:
    """Owen values: Shapley between groups, then Shapley within the group."""
    position = {mask: i for i, mask in enumerate(masks.tolist())}
    group_masks = [sum(1 << bit for bit in members) for members in groups.values()]
    m = len(group_masks)
    n = sum(len(members) for members in groups.values())
    phi = np.zeros(n)
    outer_weights = shapley_weights(m)
    for k, members in enumerate(groups.values()):
        others = [mask for j, mask in enumerate(group_masks) if j != k]
        inner_weights = shapley_weights(len(members))
        for outer in range(1 << len(others)):
            union = sum(mask for j, mask in enumerate(others) if outer >> j & 1)
            w_outer = outer_weights[bin(outer).count("1")]
            for position_in_group, bit in enumerate(members):
                rest = [b for j, b in enumerate(members) if j != position_in_group]
                total = 0.0
                for inner in range(1 << len(rest)):
                    part = union | sum(1 << b for j, b in enumerate(rest) if inner >> j & 1)
                    gain = worth[position[part | (1 << bit)]] - worth[position[part]]
                    total += inner_weights[bin(inner).count("1")] * gain
                phi[bit] += w_outer * total
    return phi


def by_owner(contributions: Mapping[str, float], owners: Mapping[str, str]) -> dict[str, float]:
    """The contributions of the players in ``owners`` added up per owner."""
    totals: dict[str, float] = {}
    for player, owner in owners.items():
        totals[owner] = totals.get(owner, 0.0) + contributions[player]
    return totals


def _by_node(tree: Tree, node: str, contributions: dict[str, float]) -> dict[str, float]:
    above = tree.upstream(node) | {node}
    return {
        name: sum(contributions[input_] for input_ in tree.inputs_of(name))
        for name in tree.derived
        if name in above
    }
