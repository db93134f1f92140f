"""Roots of a function of one variable on an interval: a batched scan, then each bracket narrowed
in batches (:func:`narrow`).

The function takes an array of points and returns the value at each (NaN where undefined), so
the whole scan is one engine call. Open ends are explored geometrically (steps doubling away
from the start), so a root a million times the current value is still bracketed.

A formula can be flat at exactly the target over a stretch (``min(x, 4)`` at 4, ``floor(x)``
at 3): two or more consecutive scan points with a zero gap are one flat interval, whose edges
are located to the last bit; the edge nearest the start (the smallest move) stands for it.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import minimize_scalar

LineFunction = Callable[[np.ndarray], np.ndarray]

# Points of the even scan; the geometric points add about 2 x 80 more.
SCAN_POINTS = 257
# A "root" whose residual is larger than this share of the target is a jump of a
# discontinuous formula (if(), floor()), not a solution.
RESIDUAL = 1e-9
# Points per round of the search for the edge of a flat interval (about 10 rounds to the bit).
EDGE_POINTS = 63
# Even points per round of the narrowing of a bracket, besides those around the secant point.
NARROW_GRID = 15


@dataclass(frozen=True)
class LineSolution:
    """Every root within the interval, and the point whose value comes closest to the target.

    ``best`` is the root nearest ``start`` when there is one (the smallest change), else the
    point of the interval where the value is closest to the target. A minimum of ``|value -
    target|`` that touches the target (``(x - c)**2`` at 0) counts as a root.
    """

    roots: tuple[float, ...]
    best: float
    best_value: float
    intervals: tuple[tuple[float, float], ...] = ()
    """Stretches ``(low, high)`` on which the value is exactly the target; each is also in
    ``roots``, as its point nearest ``start``."""

    @property
    def feasible(self) -> bool:
        """True when the target is reached within the interval."""
        return bool(self.roots)


def scan_points(low: float, high: float, start: float, scale: float) -> np.ndarray:
    """Sorted scan points in ``[low, high]``: even over the finite part, doubling outwards."""
    scale = abs(scale) if scale and math.isfinite(scale) else 1.0
    core_low = low if math.isfinite(low) else start - scale
    core_high = high if math.isfinite(high) else start + scale
    steps = scale * 2.0 ** np.arange(-20, 64)
    points = np.concatenate(
        [[start, low, high], np.linspace(core_low, core_high, SCAN_POINTS), start - steps,
         start + steps]
    )  # fmt: skip
    points = points[np.isfinite(points) & (points >= low) & (points <= high)]
    return np.unique(points)


def solve_line(
    function: LineFunction,
    target: float,
    low: float,
    high: float,
    *,
    start: float,
    scale: float,
) -> LineSolution:
    """Every ``x`` in ``[low, high]`` with ``function(x) == target``.

    Parameters
    ----------
    function : callable
        Points ``(S,)`` -> values ``(S,)``, NaN where undefined.
    target : float
    low, high : float
        The interval, ``-inf``/``inf`` for an open end.
    start : float
        The current point (inside the interval); ties between roots go to the nearest.
    scale : float
        The typical size of a move (the first geometric step is ``scale / 2**20``).
    """
    points = scan_points(low, high, start, scale)
    values = np.asarray(function(points), dtype=float)
    gaps = values - target
    finite = np.isfinite(gaps)
    zero = finite & (gaps == 0)
    signs = np.sign(gaps)
    brackets = np.nonzero(finite[:-1] & finite[1:] & (signs[:-1] * signs[1:] < 0))[0]

    def gap(x: float) -> float:
        return float(function(np.array([x]))[0]) - target

    def tolerance(*around: float) -> float:
        # A residual larger than this share of the target (or, for a target of 0, of the
        # gaps around) is a jump of a discontinuous formula (if(), floor()), not a solution.
        return RESIDUAL * max(abs(target), 1e-12 * max(abs(g) for g in around))

    roots: list[float] = []
    intervals: list[tuple[float, float]] = []
    known: dict[float, float] = {}  # the gap at roots already evaluated
    for first, last in _runs(zero):
        if first == last:  # one scan point: a root (a flat stretch narrower than a step)
            roots.append(float(points[first]))
            known[roots[-1]] = 0.0
            continue
        edge_low = _edge(function, target, points, first, -1)
        edge_high = _edge(function, target, points, last, +1)
        intervals.append((edge_low, edge_high))
        roots.append(min(max(start, edge_low), edge_high))  # the smallest move onto it
    for index in brackets:
        root, root_gap = narrow(
            function, target, (float(points[index]), float(gaps[index])),
            (float(points[index + 1]), float(gaps[index + 1])),
        )  # fmt: skip
        if abs(root_gap) <= tolerance(gaps[index], gaps[index + 1]):
            roots.append(root)
            known[root] = root_gap
    roots = sorted(set(roots))
    if roots:
        best = min(roots, key=lambda x: (abs(x - start), x))
        best_gap = known[best] if best in known else gap(best)
        return LineSolution(tuple(roots), best, target + best_gap, tuple(intervals))
    if not finite.any():
        return LineSolution((), start, math.nan)
    candidates = np.nonzero(finite)[0]
    closest = int(candidates[np.argmin(np.abs(gaps[finite]))])
    best, best_gap = float(points[closest]), float(gaps[closest])
    first, last = _level_run(gaps, closest)
    if first < last:
        # Out of reach over a flat stretch: report its point nearest the start (the smallest
        # move, its edge to the last bit), not whichever scan point happens to be on it.
        edge_low = _edge(function, float(values[closest]), points, first, -1)
        edge_high = _edge(function, float(values[closest]), points, last, +1)
        return LineSolution((), min(max(start, edge_low), edge_high), float(values[closest]))
    # The closest scan point may sit next to an interior optimum of a non-monotone value.
    if 0 < closest < len(points) - 1:
        seen = [(float(points[i]), float(gaps[i])) for i in (closest - 1, closest, closest + 1)]

        def distance(x: float) -> float:
            found = gap(x)
            seen.append((x, found))
            return abs(found) if math.isfinite(found) else math.inf

        refined = minimize_scalar(
            distance,
            bounds=(float(points[closest - 1]), float(points[closest + 1])),
            method="bounded",
            options={"xatol": 1e-12 * max(abs(best), 1e-300)},
        )
        if refined.success and refined.fun < abs(best_gap):
            best, best_gap = float(refined.x), float(gap(float(refined.x)))
        # A value that passes the target between two scan points and comes back (the spike
        # next to a pole, 1 / (x - 3)) shows as a sign change among the points the search
        # above evaluated: bracket and narrow each like any other (a jump fails the residual).
        passed = []
        ordered = sorted((x, g) for x, g in seen if math.isfinite(g))
        for low_end, high_end in itertools.pairwise(ordered):
            if math.copysign(1, low_end[1]) != math.copysign(1, high_end[1]):
                root, root_gap = narrow(function, target, low_end, high_end)
                if abs(root_gap) <= tolerance(low_end[1], high_end[1]):
                    passed.append((root, root_gap))
        if passed:
            root, root_gap = min(passed, key=lambda found: (abs(found[0] - start), found[0]))
            roots = sorted({found[0] for found in passed})
            return LineSolution(tuple(roots), root, target + root_gap)
        # A minimum that touches the target ((x - c)**2 at 0) is a root: no sign change
        # brackets it, but it meets the same residual test as the roots the brackets give.
        around = [gaps[i] for i in (closest - 1, closest + 1) if finite[i]]
        if around and abs(best_gap) <= tolerance(*around):
            return LineSolution((best,), best, target + best_gap)
    return LineSolution((), best, target + best_gap)


def _level_run(gaps: np.ndarray, index: int) -> tuple[int, int]:
    """The first and last of the consecutive scan points around ``index`` with its gap."""
    first = last = index
    while first > 0 and gaps[first - 1] == gaps[index]:
        first -= 1
    while last < len(gaps) - 1 and gaps[last + 1] == gaps[index]:
        last += 1
    return first, last


def narrow(
    function: LineFunction,
    target: float,
    low: tuple[float, float],
    high: tuple[float, float],
) -> tuple[float, float]:
    """A root inside the bracket ``low = (a, gap at a)``, ``high = (b, gap at b)`` (gaps of
    opposite signs), to ``1e-15`` relative, and its gap.

    brentq asks for one point per call; the engine evaluates a hundred rows for the price of
    one, so each round here evaluates, in one call, the secant (regula falsi) point with
    points at ``width / 4**k`` and at 1, 2, 4, 8 and 16 ulps on both sides of it and an even grid,
    then keeps the narrowest sign change. Where the node is smooth the secant point is within
    a few ulps after one to three rounds; elsewhere the grid narrows the bracket 16 times per
    round.
    """
    (a, gap_a), (b, gap_b) = low, high
    offsets = 4.0 ** -np.arange(1, 27)
    for _ in range(64):
        width = b - a
        if width <= 1e-15 * max(abs(a), abs(b), 1e-300):
            break
        secant = a - gap_a * width / (gap_b - gap_a)
        if not a < secant < b:
            secant = a + width / 2
        # Steps of a few ulps too: a secant point that is right to rounding closes the bracket
        # in this round.
        steps = np.concatenate([width * offsets, np.spacing(secant) * 2.0 ** np.arange(5)])
        points = np.concatenate(
            [secant - steps, [secant], secant + steps, np.linspace(a, b, NARROW_GRID + 2)[1:-1]]
        )
        points = np.unique(points[(points > a) & (points < b)])
        if points.size == 0:
            break
        gaps = np.asarray(function(points), dtype=float) - target
        if (gaps == 0).any():
            hit = float(points[np.nonzero(gaps == 0)[0][0]])
            return hit, 0.0
        xs = np.concatenate([[a], points, [b]])
        gs = np.concatenate([[gap_a], gaps, [gap_b]])
        finite = np.isfinite(gs)
        xs, gs = xs[finite], gs[finite]
        change = np.nonzero(np.sign(gs[:-1]) * np.sign(gs[1:]) < 0)[0]
        pick = int(change[np.argmin(xs[change + 1] - xs[change])])
        a, gap_a = float(xs[pick]), float(gs[pick])
        b, gap_b = float(xs[pick + 1]), float(gs[pick + 1])
    return (a, gap_a) if abs(gap_a) <= abs(gap_b) else (b, gap_b)


def _runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """``(first, last)`` index of every run of consecutive True values."""
    padded = np.concatenate([[False], flags, [False]]).astype(np.int8)
    change = np.diff(padded)
    return list(zip(np.nonzero(change == 1)[0], np.nonzero(change == -1)[0] - 1, strict=True))


def _edge(
    function: LineFunction, level: float, points: np.ndarray, inside: int, direction: int
) -> float:
    """The last point, from scan point ``inside`` (value ``level``) towards ``direction``,
    before the value leaves ``level``: the edge of a flat interval, to the last bit.

    The predicate "value == level" has no sign change to bracket, so the edge is
    found by k-section written here: each round evaluates EDGE_POINTS points between the
    last point known on the target and the first known off it (one engine call), and keeps
    the pair where it leaves, until no float lies between them.
    """
    outside = inside + direction
    if not 0 <= outside < len(points):
        return float(points[inside])  # the flat stretch runs to the end of the interval
    on, off = float(points[inside]), float(points[outside])
    for _ in range(64):
        grid = np.linspace(on, off, EDGE_POINTS + 2)[1:-1]
        grid = grid[(grid != on) & (grid != off)]
        if grid.size == 0:
            break
        flat = np.asarray(function(grid), dtype=float) == level
        leaves = np.nonzero(~flat)[0]
        first = int(leaves[0]) if leaves.size else grid.size
        if first > 0:
            on = float(grid[first - 1])
        if first < grid.size:
            off = float(grid[first])
    return on


def target_constraint(
    evaluate: Callable[[np.ndarray], np.ndarray], target: float, count: int
) -> dict[str, Any]:
    """SLSQP's equality constraint "the node at lever point ``y`` is ``target``" (scaled by the
    target), with its Jacobian by forward differences: all ``count + 1`` rows in one call of
    ``evaluate`` (rows of lever points -> the node's values)."""
    scale = max(abs(target), 1e-300)
    step = 1e-7

    def constraint(y: np.ndarray) -> float:
        return float(evaluate(y[None, :])[0] - target) / scale

    def jacobian(y: np.ndarray) -> np.ndarray:
        rows = np.repeat(y[None, :], count + 1, axis=0)
        rows[1:] += np.eye(count) * step
        values = evaluate(rows)
        return (values[1:] - values[0]) / step / scale

    return {"type": "eq", "fun": constraint, "jac": jacobian}
