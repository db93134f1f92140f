"""Probabilistic targets: the lever values at which P(goal reaches its target) = P.

The levers move along one line, as in ``solve``'s uniform and weighted modes: a common change
``u`` (lever ``i`` at ``old x (1 + s_i w_i u)``, ``s_i`` the sign that helps the goal; one lever
alone is shifted by ``u x |old|``). Every path is a fixed set of draws (a
:class:`~kpitree.analysis.paths.PathSource`: common random numbers), and on each path the goal
rises with ``u`` when the tree is monotone in the levers, so each path has its own crossing
point ``u_j``, the change at which it reaches the target. All the crossing points are found
at once by bisection, one batched call per step; the estimated probability at ``u`` is then the
share of ``u_j <= u``, a step function that moves monotonically with ``u``. The answer is the
crossing point of rank ``ceil(P N)``; the paths reaching the target there are then counted
directly (``achieved``), with the Monte Carlo standard error ``sqrt(p (1 - p) / N)``, and the
changes whose probability is within two standard errors of ``P`` are read off the same order
statistics (``lever_interval``).

A lower-is-better goal (``direction: lower``) is reached when it is at most its target.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from kpitree.analysis.forecast import final_judgement_span
from kpitree.analysis.guardrails import lever_warnings
from kpitree.analysis.levers import Lever, LeverPlan, directions, resolve_levers
from kpitree.analysis.multilever import check_weights
from kpitree.analysis.paths import ForecastPaths, PathSource
from kpitree.analysis.solution import Solution
from kpitree.errors import EvaluationError, SolveError
from kpitree.node import Value
from kpitree.present.numbers import format_message, format_share
from kpitree.results import Shown
from kpitree.tree import Overrides, Tree

if TYPE_CHECKING:
    from kpitree.analysis.landing import Landing

MODES = ("uniform", "weighted")
STEPS = 60
"""Bisection steps: the crossing points to about 1e-18 of the searched range."""
OPEN_LIMIT = 2.0**30
"""An open bound is searched up to this common change (``u``)."""


@dataclass(frozen=True, repr=False)
class ProbabilitySolution(Shown):
    """Lever values at which the goal reaches its target with probability ``probability``.

    Attributes
    ----------
    solution : Solution
        The levers (values, changes, binding bounds, guardrail warnings) and the tree evaluated
        at them on its plan values, as ``solve`` gives.
    probability : float
        The probability asked for.
    achieved : float
        The share of paths reaching the target at the returned lever values.
    se : float
        Its Monte Carlo standard error, ``sqrt(achieved (1 - achieved) / samples)``.
    lever_interval : dict[str, tuple[float, float]]
        Per lever, the values (common factor for a per-period lever) whose estimated
        probability is within two standard errors of ``probability``.
        Out of reach, an end beyond the bounds is the bound itself (both ends when even
        ``probability - 2 SE`` is out of reach).
    samples, seed : int
    best : float
        The highest probability reachable within the bounds along the line.
    """

    solution: Solution
    probability: float
    achieved: float
    se: float
    lever_interval: dict[str, tuple[float, float]]
    samples: int
    seed: int
    best: float

    @property
    def feasible(self) -> bool:
        """True when ``probability`` is reached within the levers' bounds."""
        return self.solution.feasible

    _repr_fields = ("seed",)

    def to_frame(self) -> Any:
        """The solution's lever table, with the interval's ends as two more columns."""
        frame = self.solution.to_frame()
        frame["interval_low"] = [self.lever_interval[name][0] for name in frame.index]
        frame["interval_high"] = [self.lever_interval[name][1] for name in frame.index]
        return frame

    def to_dict(self) -> dict[str, Any]:
        """``solve``'s JSON plus ``"seed"`` and ``"probability": {"target", "achieved", "se",
        "lever_interval", "samples", "seed", "best"}``."""
        data = self.solution.to_dict()
        data["seed"] = self.seed
        data["probability"] = {
            "target": self.probability,
            "achieved": self.achieved,
            "se": self.se,
            "lever_interval": {name: list(ends) for name, ends in self.lever_interval.items()},
            "samples": self.samples,
            "seed": self.seed,
            "best": self.best,
        }
        return data


def solve_probability(
    tree: Tree,
    levers: Sequence[str],
    probability: float,
    *,
    samples: int = 10_000,
    seed: int | None = None,
    target: float | None = None,
    mode: str = "uniform",
    weights: Mapping[str, float] | None = None,
    overrides: Overrides | None = None,
    scenario: str | None = None,
    within: str = "bounds",
    paths: PathSource | None = None,
    landing: Landing | None = None,
) -> ProbabilitySolution:
    """Find the lever values at which the KGI reaches its target with ``probability``.

    Parameters
    ----------
    tree : Tree
    levers : sequence of str
        The inputs to move; each is fixed at its candidate value on every path (not drawn).
    probability : float
        The wanted probability, strictly between 0 and 1.
    samples, seed
        Paths of the forecast and the seed of their draws.
    target : float, optional
        Default the KGI's ``target``.
    mode : {"uniform", "weighted"}
        How several levers share the move (see :func:`kpitree.analysis.solve.solve`).
    weights : mapping, optional
        Per lever weight for ``weighted``.
    overrides, scenario
        Start from (and hold fixed) these input values.
    within : {"bounds", "benchmark"}
        ``benchmark``: each lever's benchmark range bounds it too.
    paths : PathSource, optional
        Where the paths come from (default :class:`~kpitree.analysis.paths.ForecastPaths`
        from the tree's distributions, ``samples`` and ``seed``).
    landing : Landing, optional
        Solve from actuals to date (:func:`kpitree.analysis.landing.landing`): the chance is the
        chance as of the cut-off, the levers move the periods after it, learned rates are drawn
        from their posteriors. Ignored when ``paths`` is given.

    Returns
    -------
    ProbabilitySolution

    Raises
    ------
    SolveError
        A probability outside (0, 1), no target, a mode other than uniform or weighted, bad
        levers or weights.
    """
    if not (isinstance(probability, int | float) and 0 < probability < 1):
        raise SolveError(f"probability must be a number between 0 and 1, found {probability!r}")
    if mode not in MODES:
        raise SolveError(
            f"mode '{mode}' does not solve for a probability: use {' or '.join(MODES)}"
        )
    if weights and mode != "weighted":
        raise SolveError(f"weights are used by mode 'weighted' only; mode is '{mode}'")
    name = tree.kgi
    goal_target = tree.nodes[name].target if target is None else float(target)
    if goal_target is None or not math.isfinite(goal_target):
        raise SolveError(
            f"node '{name}' has no target: give one (--target VALUE on the command line, "
            "target= in Python) or add 'target:' to the node in the tree file"
        )
    span = final_judgement_span(tree, name) if target is None else None
    if span is not None:
        # Each path is judged at the last period; a quarter or year target is its roll-up.
        raise SolveError(
            f"node '{name}': its last target ({format_message(goal_target, tree.nodes[name].unit)}"
            f" in {span.label}) is judged over the {_span_word(span.label)}, and a solve for a "
            f"probability judges the last period of each path: give --target VALUE for the "
            f"last period (target= in Python), or solve without --probability"
        )
    base = tree.input_values(overrides, scenario)
    baseline = tree.evaluate(overrides=overrides, scenario=scenario)
    chosen = resolve_levers(tree, levers, name, base, within=within or "bounds")
    line = _Line(tree, chosen, base, mode, weights or {})
    if paths is None:
        paths = ForecastPaths(
            tree, samples, seed, varied=[lever.name for lever in chosen],
            overrides=overrides, scenario=scenario, landing=landing,
        )  # fmt: skip
    goal = tree.kgi_sign

    def reached(points: np.ndarray) -> np.ndarray:
        """Per path, whether the goal reaches its target with the change ``points[j]``."""
        try:
            values = paths(line.changes(points))
        except EvaluationError:
            return np.zeros(len(points), dtype=bool)
        return goal * (values - goal_target) >= 0

    count = paths.samples
    low, high = line.search_range(lambda u: float(reached(np.full(count, u)).mean()))
    crossings = _crossings(reached, count, low, high)
    ordered = np.sort(crossings)
    rank = max(1, math.ceil(probability * count - 1e-9))
    u = float(ordered[rank - 1])
    feasible = math.isfinite(u)
    if not feasible:
        u = high
    achieved = float(reached(np.full(count, u)).mean())
    se = math.sqrt(achieved * (1 - achieved) / count)
    wanted_se = math.sqrt(probability * (1 - probability) / count)
    interval_ranks = (
        max(1, math.ceil((probability - 2 * wanted_se) * count - 1e-9)),
        min(count, math.floor((probability + 2 * wanted_se) * count + 1e-9)),
    )
    ends = [float(ordered[r - 1]) for r in interval_ranks]
    ends = [e if math.isfinite(e) else high for e in ends]
    values = line.values(u)
    solved = tree.evaluate(overrides={**dict(overrides or {}), **values}, scenario=scenario)
    method = (
        f"{line.words()}; per path the change that reaches the target, by bisection on "
        f"{count:,} fixed paths (seed {getattr(paths, 'seed', '?')})"
    )
    shown_target = format_message(goal_target, tree.nodes[name].unit)
    note = "" if feasible else (
        f"P({name} {'>=' if goal > 0 else '<='} {shown_target}) = {format_share(probability)} "
        f"is out of reach within the levers' bounds: the best is {format_share(achieved)} "
        f"(SE {format_share(se)})"
    )  # fmt: skip
    plan = LeverPlan(values, feasible, solved.final(name), method, note)
    interval = {lever.name: tuple(sorted(line.scalar(lever, e) for e in ends)) for lever in chosen}
    solution = Solution(
        tree=tree,
        node=name,
        target=goal_target,
        mode=mode if len(chosen) > 1 else "one lever",
        plan=plan,
        levers=tuple(chosen),
        baseline=baseline,
        evaluation=solved,
        warnings=lever_warnings(tree, chosen, values, [goal * s for s in line.signs]),
        within=within,
    )
    return ProbabilitySolution(
        solution=solution,
        probability=float(probability),
        achieved=achieved,
        se=se,
        lever_interval=interval,  # type: ignore[arg-type]
        samples=count,
        seed=int(getattr(paths, "seed", -1)),
        best=float(reached(np.full(count, high)).mean()) if feasible else achieved,
    )


def _crossings(reached: Any, count: int, low: float, high: float) -> np.ndarray:
    """Per path, the least change in ``[low, high]`` at which it reaches the target (``low``
    when it already does there, ``inf`` when it does not even at ``high``)."""
    at_high = reached(np.full(count, high))
    at_low = reached(np.full(count, low))
    lo = np.full(count, low)
    hi = np.full(count, high)
    for _ in range(STEPS):
        mid = lo + (hi - lo) / 2
        ok = reached(mid)
        hi = np.where(ok, mid, hi)
        lo = np.where(ok, lo, mid)
        if np.all(hi - lo <= 4 * np.spacing(np.maximum(np.abs(lo), np.abs(hi)))):
            break
    out = np.where(at_high, hi, math.inf)
    return np.where(at_low, low, out)


class _Line:
    """The common change ``u`` and what it does to each lever."""

    def __init__(
        self,
        tree: Tree,
        levers: Sequence[Lever],
        base: Mapping[str, Value],
        mode: str,
        weights: Mapping[str, float],
    ) -> None:
        check_weights(levers, weights)
        names = [lever.name for lever in levers]
        self.levers = list(levers)
        self.single = len(levers) == 1 and not levers[0].per_period
        if not self.single:
            for lever in levers:
                if not np.any(lever.array):
                    raise SolveError(
                        f"lever '{lever.name}' is 0: a relative change cannot move it; give it "
                        "a non-zero value (--set) or solve for it alone"
                    )
        signs = directions(tree, levers, node=tree.kgi, base=base) * tree.kgi_sign
        self.signs = [float(s) for s in signs]
        share = [weights.get(n, 1.0) for n in names] if mode == "weighted" else [1.0] * len(names)
        self.slopes = [s * w for s, w in zip(self.signs, share, strict=True)]
        self.mode = mode

    def _factor_limits(self, lever: Lever, slope: float) -> tuple[float, float]:
        if self.single:
            scale = abs(float(lever.base)) or 1.0  # type: ignore[arg-type]
            ends = sorted(
                (
                    (lever.low - lever.base) / (slope * scale),  # type: ignore[operator]
                    (lever.high - lever.base) / (slope * scale),  # type: ignore[operator]
                )
            )
            return ends[0], ends[1]
        factor_low, factor_high = lever.factor_range()
        ends = sorted(((max(factor_low, 0.0) - 1) / slope, (factor_high - 1) / slope))
        return ends[0], ends[1]

    def limits(self) -> tuple[float, float]:
        """The changes that keep every lever within its bounds."""
        low, high = -math.inf, math.inf
        for lever, slope in zip(self.levers, self.slopes, strict=True):
            a, b = self._factor_limits(lever, slope)
            low, high = max(low, a), min(high, b)
        return max(low, -OPEN_LIMIT), min(high, OPEN_LIMIT)

    def search_range(self, probability: Any) -> tuple[float, float]:
        """A finite range of changes to search: the bounds, and an open end only as far as
        needed (doubling until every path, or no path, reaches the target)."""
        low, high = self.limits()
        ends = []
        for end, sign in ((high, 1.0), (low, -1.0)):
            if abs(end) < OPEN_LIMIT:
                ends.append(end)
                continue
            step = 0.5
            while step < OPEN_LIMIT:
                p = probability(sign * step)
                if (sign > 0 and p >= 1.0) or (sign < 0 and p <= 0.0):
                    break
                step *= 2
            ends.append(sign * min(step, OPEN_LIMIT))
        return ends[1], ends[0]

    def scalar(self, lever: Lever, u: float) -> float:
        """The lever's value at change ``u`` (its common factor for a per-period input)."""
        index = self.levers.index(lever)
        if lever.per_period:
            return float(1 + self.slopes[index] * u)
        return float(self.values(u)[lever.name])  # type: ignore[arg-type]

    def values(self, u: float) -> dict[str, Value]:
        """Every lever's value at change ``u``."""
        if self.single:
            lever = self.levers[0]
            scale = abs(float(lever.base)) or 1.0  # type: ignore[arg-type]
            value = float(lever.base) + self.slopes[0] * scale * u  # type: ignore[arg-type]
            return {lever.name: min(max(value, lever.low), lever.high)}
        return {
            lever.name: lever.value(1 + slope * u)
            for lever, slope in zip(self.levers, self.slopes, strict=True)
        }

    def changes(self, points: np.ndarray) -> dict[str, np.ndarray]:
        """Per lever, one row per path at that path's change ``points[j]``."""
        if self.single:
            lever = self.levers[0]
            scale = abs(float(lever.base)) or 1.0  # type: ignore[arg-type]
            value = float(lever.base) + self.slopes[0] * scale * points  # type: ignore[arg-type]
            return {lever.name: np.clip(value, lever.low, lever.high).reshape(-1, 1)}
        return {
            lever.name: np.clip(lever.rows(1 + slope * points), lever.low, lever.high)
            for lever, slope in zip(self.levers, self.slopes, strict=True)
        }

    def words(self) -> str:
        """How the levers move, in words."""
        if len(self.levers) == 1:
            return "one lever"
        return "the same relative change" if self.mode == "uniform" else "weighted changes"


def _span_word(label: str) -> str:
    return "quarter" if "Q" in label else "year"
