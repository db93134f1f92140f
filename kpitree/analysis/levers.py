"""Levers of a solve: the inputs a planner may move, how they move, and the node they move.

A lever moves by a *factor* on its current value: ``new = factor * current``. For an input given
one value per period the whole list is scaled by the same factor, so a seasonal profile keeps its
shape (a shift would flatten it and could push quiet months below zero). Bounds of the input
apply to every period.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

import numpy as np

from kpitree.analysis.batch import as_rows
from kpitree.errors import EvaluationError, SolveError, did_you_mean
from kpitree.node import Value
from kpitree.tree import Tree

_SPAN: ContextVar[tuple[int, int] | None] = ContextVar("judged_span", default=None)
"""The 0-based periods ``(first, last)`` a solve judges its node over; None: the last."""


@contextmanager
def judged_over(first: int, last: int) -> Iterator[None]:
    """Within the block, :func:`node_values` gives the node over periods ``first..last`` by its
    roll-up rule (``solve --period``). Set here, once, rather than passed through the signature
    of every solve mode's objective, as all of them read the node through :func:`node_values`.
    """
    token = _SPAN.set((first, last))
    try:
        yield
    finally:
        _SPAN.reset(token)


# A computed lever value may overshoot its bound by rounding; closer than this it is *at* it.
BOUND_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Lever:
    """One input moved by a solve.

    Attributes
    ----------
    name : str
    base : float or tuple of float
        The value before the solve (one per period for a per-period input).
    low, high : float
        The input's bounds, ``-inf``/``inf`` for an open end.
    effort : float
        The node's ``effort`` (1 when not given): cost of one unit of relative change.
    """

    name: str
    base: Value
    low: float
    high: float
    effort: float = 1.0
    limits: str = "bounds"
    """What ``low`` and ``high`` are: the input's ``"bounds"``, or its ``"benchmark"`` range
    (within the bounds) when a solve is asked to stay within benchmarks."""

    @property
    def per_period(self) -> bool:
        """True when the input has one value per period."""
        return isinstance(self.base, tuple)

    @property
    def array(self) -> np.ndarray:
        """The base value(s) as a 1-D array."""
        return np.atleast_1d(np.asarray(self.base, dtype=float))

    def value(self, factor: float) -> Value:
        """The lever's value at ``factor`` times its base."""
        if isinstance(self.base, tuple):
            return tuple(float(self._clip(v)) for v in np.asarray(self.base) * factor)
        return float(self._clip(self.base * factor))

    def rows(self, factors: np.ndarray) -> np.ndarray:
        """Values for a batch, one factor per row: ``(S, 1)`` or ``(S, periods)``."""
        factors = np.asarray(factors, dtype=float).reshape(-1, 1)
        return factors * self.array[None, :] if self.per_period else factors * float(self.base)  # type: ignore[arg-type]

    def factor_range(self) -> tuple[float, float]:
        """The factors that keep every period's value within bounds."""
        low, high = -math.inf, math.inf
        for base in self.array:
            if base == 0:
                continue  # zero stays zero, and the input's own value is within bounds
            ends = sorted((self.low / base, self.high / base))
            low, high = max(low, ends[0]), min(high, ends[1])
        return low, high

    def binding(self, value: Value) -> str | None:
        """``"low"`` or ``"high"`` when ``value`` (any period) sits on that bound, else None."""
        values = np.atleast_1d(np.asarray(value, dtype=float))
        for side, bound in (("low", self.low), ("high", self.high)):
            if math.isfinite(bound):
                scale = max(abs(bound), float(np.abs(values).max()), 1e-300)
                if np.any(np.abs(values - bound) <= BOUND_TOLERANCE * scale):
                    return side
        return None

    def _clip(self, value: float) -> float:
        # Roots found numerically may sit a rounding error outside a bound they touch.
        return min(max(value, self.low), self.high)


def resolve_levers(
    tree: Tree,
    names: Sequence[str],
    node: str,
    base: Mapping[str, Value],
    *,
    within: str | None = None,
) -> list[Lever]:
    """Check the lever names against the tree and the solved node; return the levers.

    With ``within="benchmark"`` a lever's benchmark range (its open ends left to the bounds)
    narrows its bounds; a lever whose value today lies outside the range keeps room to reach
    it from there (the range is widened to today's value, never the other way).

    Raises
    ------
    SolveError
        No lever, a lever given twice, a derived node, or an input ``node`` does not read.
    UnknownNodeError
        A name that is not a node.
    """
    if not names:
        raise SolveError("give at least one lever (--lever NAME): the input to solve for")
    affecting = set(tree.inputs_of(node))
    levers: list[Lever] = []
    for name in names:
        found = tree.node(name)
        if any(lever.name == name for lever in levers):
            raise SolveError(f"lever '{name}' is given twice")
        if not found.is_input:
            raise SolveError(
                f"lever '{name}' is derived (formula: {found.formula}); a lever must be an "
                f"input{did_you_mean(name, tree.inputs_of(node))}"
            )
        if name not in affecting:
            raise SolveError(
                f"lever '{name}' does not affect node '{node}' (inputs that do: "
                f"{', '.join(tree.inputs_of(node))})"
            )
        low, high = found.bounds
        lever = Lever(
            name=name,
            base=base[name],
            low=-math.inf if low is None else float(low),
            high=math.inf if high is None else float(high),
            effort=1.0 if found.effort is None else float(found.effort),
        )
        if within == "benchmark" and found.benchmark is not None:
            lever = _within_benchmark(lever, found.benchmark)
        levers.append(lever)
    return levers


WITHIN = ("bounds", "benchmark")


def _within_benchmark(lever: Lever, benchmark: tuple[float | None, float | None]) -> Lever:
    """``lever`` with its bounds narrowed to the benchmark range and today's value."""
    values = lever.array
    low, high = lever.low, lever.high
    if benchmark[0] is not None:
        low = max(low, min(float(benchmark[0]), float(values.min())))
    if benchmark[1] is not None:
        high = min(high, max(float(benchmark[1]), float(values.max())))
    return Lever(lever.name, lever.base, low, high, lever.effort, limits="benchmark")


def node_values(
    tree: Tree,
    changes: Mapping[str, np.ndarray],
    samples: int,
    *,
    node: str,
    base: Mapping[str, Value],
) -> np.ndarray:
    """``node`` at the last period for each row of ``changes``; NaN where it is undefined.

    Only the nodes ``node`` depends on are evaluated.

    ``changes`` hold one row per sample (first axis ``samples``). The engine refuses a batch in
    which any row divides by zero or overflows; a scan that crosses such a point should lose
    that row, not the whole scan, so a refused batch is split in halves until the bad rows are
    isolated (a few extra engine calls per bad row).
    """
    try:
        inputs: dict[str, Value | np.ndarray] = dict(base)
        for name, rows in changes.items():
            inputs[name] = as_rows(rows, samples, tree.period_count)
        # Only what the node reads: a node elsewhere that is undefined cannot lose the row.
        span = _SPAN.get()
        if span is None:
            return np.array(tree.engine.run(inputs, samples=samples, nodes=[node])[node][:, -1])
        return _over_span(tree, inputs, samples, node, span)
    except EvaluationError:
        if samples == 1:
            return np.array([np.nan])
    half = samples // 2
    first = {name: rows[:half] for name, rows in changes.items()}
    second = {name: rows[half:] for name, rows in changes.items()}
    return np.concatenate(
        [
            node_values(tree, first, half, node=node, base=base),
            node_values(tree, second, samples - half, node=node, base=base),
        ]
    )


def _over_span(
    tree: Tree,
    inputs: Mapping[str, Value | np.ndarray],
    samples: int,
    node: str,
    span: tuple[int, int],
) -> np.ndarray:
    """``node`` rolled up over the periods of ``span`` for each sample."""
    from kpitree.rollup import aggregate, reads, rules

    first, last = span
    if first == last:
        return np.array(tree.engine.run(inputs, samples=samples, nodes=[node])[node][:, last])
    wanted = [node, *sorted(reads(tree, rules(tree)[node]) - {node})]
    found = tree.engine.run(inputs, samples=samples, nodes=wanted)
    rolled = aggregate(tree, {name: found[name] for name in wanted}, [range(first, last + 1)])
    return np.array(rolled[node][:, 0])


def directions(
    tree: Tree, levers: Sequence[Lever], *, node: str, base: Mapping[str, Value]
) -> np.ndarray:
    """For each lever, +1 when raising it raises ``node``, -1 when it lowers it (churn).

    One engine call: row 0 the base, row i the base with lever i up by a relative 1e-6. A lever
    with no local effect (or an undefined node just above its value) counts as +1.
    """
    step = 1e-6
    count = len(levers) + 1
    changes = {}
    for index, lever in enumerate(levers):
        factors = np.ones(count)
        factors[index + 1] += step
        changes[lever.name] = lever.rows(factors)
    values = node_values(tree, changes, count, node=node, base=base)
    signs = np.sign(values[1:] - values[0])
    return np.where((signs == 0) | ~np.isfinite(signs), 1.0, signs)


@dataclass(frozen=True)
class LeverPlan:
    """What a solving method found, before the whole tree is evaluated at it.

    Attributes
    ----------
    values : dict
        Per lever, its new value (a tuple for a per-period input).
    feasible : bool
    reached : float
        The solved node's value at the new values (last period).
    method : str
        How it was found, in words.
    note : str
        Anything the reader should know (several roots, a bound that stops the target).
    roots : tuple
        For one lever: every value within bounds that reaches the target (a flat interval at
        the target by its point nearest the current value).
    intervals : tuple
        For one lever: every ``(low, high)`` stretch on which the node is flat at the target.
    effort : float or None
        For min-effort: sum of effort x |ln(new / old)|; for balanced: of effort x
        ln(new / old) ** 2.
    """

    values: dict[str, Value]
    feasible: bool
    reached: float
    method: str
    note: str = ""
    roots: tuple[Value, ...] = ()
    effort: float | None = None
    intervals: tuple[tuple[Value, Value], ...] = ()
    signs: tuple[float, ...] = ()
    """Per lever, +1 when raising it raises the node, -1 when it lowers it (where known)."""
