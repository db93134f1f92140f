"""Roots of a function of one variable on an interval: a batched scan, then brentq per bracket.

The function takes an array of points and returns the value at each (NaN where undefined), so
the whole scan is one engine call. Open ends are explored geometrically (steps doubling away
from the start), so a root a million times the current value is still bracketed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq, minimize_scalar

LineFunction = Callable[[np.ndarray], np.ndarray]

# Points of the even scan; the geometric points add about 2 x 80 more.
SCAN_POINTS = 257
# A brentq "root" whose residual is larger than this share of the target is a jump of a
# discontinuous formula (if(), floor()), not a solution.
RESIDUAL = 1e-9


@dataclass(frozen=True)
class LineSolution:
    """Every root within the interval, and the point whose value comes closest to the target.

    ``best`` is the root nearest ``start`` when there is one (the smallest change), else the
    point of the interval where the value is closest to the target.
    """

    roots: tuple[float, ...]
    best: float
    best_value: float

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
    roots = [float(x) for x in points[finite & (gaps == 0)]]
    signs = np.sign(gaps)
    brackets = np.nonzero(finite[:-1] & finite[1:] & (signs[:-1] * signs[1:] < 0))[0]

    def gap(x: float) -> float:
        return float(function(np.array([x]))[0]) - target

    for index in brackets:
        a, b = float(points[index]), float(points[index + 1])
        root = brentq(gap, a, b, xtol=1e-15 * max(abs(a), abs(b), 1e-300), maxiter=200)
        tolerance = RESIDUAL * max(abs(target), 1e-12 * max(abs(gaps[index]), abs(gaps[index + 1])))
        if abs(gap(root)) <= tolerance:
            roots.append(float(root))
    roots = sorted(set(roots))
    if roots:
        best = min(roots, key=lambda x: (abs(x - start), x))
        return LineSolution(tuple(roots), best, target + gap(best))
    if not finite.any():
        return LineSolution((), start, math.nan)
    candidates = np.nonzero(finite)[0]
    index = int(candidates[np.argmin(np.abs(gaps[finite]))])
    best, best_gap = float(points[index]), float(gaps[index])
    # The closest scan point may sit next to an interior optimum of a non-monotone value.
    if 0 < index < len(points) - 1:
        refined = minimize_scalar(
            lambda x: abs(gap(x)) if math.isfinite(gap(x)) else math.inf,
            bounds=(float(points[index - 1]), float(points[index + 1])),
            method="bounded",
            options={"xatol": 1e-12 * max(abs(best), 1e-300)},
        )
        if refined.success and abs(refined.fun) < abs(best_gap):
            best, best_gap = float(refined.x), float(gap(float(refined.x)))
    return LineSolution((), best, target + best_gap)
