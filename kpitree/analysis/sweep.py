"""Sweeps: the forecast of the KGI at every point of a grid of input values.

Each grid point is one forecast (:func:`kpitree.analysis.forecast.forecast`) with the swept
inputs set to the point's values (fixed on every path, as ``--set`` fixes them) and the same
seed at every point, so the points share their random draws (common random numbers) and a row
equals the single forecast run at that point with that seed. Per point: the chance that the
KGI reaches its target at the last period (at most the target for a lower-is-better KGI), the
mean and the 5/50/95 % quantiles there.

The points are independent, so they run through an executor (:mod:`kpitree.parallel`): in
this process, or in batches on Dask workers, with the same numbers either way.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from kpitree.analysis.forecast import forecast
from kpitree.analysis.sampling import seed_entropy
from kpitree.errors import DataError, SolveError
from kpitree.node import Value
from kpitree.parallel import Executor, LocalExecutor, portable, rebuilt
from kpitree.results import Shown
from kpitree.tree import Overrides, Tree

COLUMNS = ("p_target", "mean", "p5", "p50", "p95")
MAX_POINTS = 1_000_000
"""More grid points than anyone reads; a typo such as 1e9 steps is refused before it runs."""
BATCHES_PER_WORKER = 4
"""Batches of points per worker: enough to even out uneven batches, few enough that each
worker rebuilds the tree rarely."""


@dataclass(frozen=True, repr=False)
class Sweep(Shown):
    """The KGI's forecast at every point of a grid.

    Attributes
    ----------
    tree : Tree
    grid : dict[str, tuple[float, ...]]
        Per swept input, its values, in the order given.
    target : float or None
    samples, seed : int
    rows : tuple of dict
        One per grid point (the first input varying slowest): the inputs' values, then
        ``p_target`` (None without a target), ``mean``, ``p5``, ``p50``, ``p95``.
    scenario : str or None
    fixed : dict[str, Value]
        Inputs held fixed by ``--set`` or the scenario (the swept inputs come on top).
    """

    tree: Tree
    grid: dict[str, tuple[float, ...]]
    target: float | None
    samples: int
    seed: int
    rows: tuple[dict[str, float | None], ...]
    scenario: str | None = None
    fixed: dict[str, Value] = field(default_factory=dict)

    _repr_fields = ("samples", "seed")

    def to_frame(self) -> pd.DataFrame:
        """One row per grid point: the swept inputs, p_target, mean, p5, p50, p95."""
        return pd.DataFrame.from_records(list(self.rows), columns=[*self.grid, *COLUMNS])

    def to_dict(self) -> dict[str, Any]:
        """``{"tree", "kgi", "scenario", "target", "samples", "seed", "rows": [{NAME: value,
        ..., "p_target", "mean", "p5", "p50", "p95"}]}``; JSON-ready."""
        return {
            "tree": self.tree.name,
            "kgi": self.tree.kgi,
            "scenario": self.scenario,
            "target": self.target,
            "samples": self.samples,
            "seed": self.seed,
            "rows": [dict(row) for row in self.rows],
        }

    def surface(self, column: str = "p_target") -> np.ndarray:
        """``column`` on the grid as an array of shape ``(len(first), len(second), ...)``."""
        shape = tuple(len(values) for values in self.grid.values())
        return np.array([row[column] for row in self.rows], dtype=float).reshape(shape)

    def plot(self, ax: Any = None) -> Any:
        """Heat map of P(target) (two inputs) or curve (one); see :mod:`kpitree.plots.sweep`."""
        from kpitree.plots.sweep import plot_sweep

        return plot_sweep(self, ax=ax)


def grid_values(low: float, high: float, steps: int) -> tuple[float, ...]:
    """``steps`` evenly spaced values from ``low`` to ``high`` (both included).

    Raises
    ------
    DataError
        For non-finite ends or fewer than 1 step (1 step is ``low`` alone).
    """
    if not (math.isfinite(low) and math.isfinite(high)):
        raise DataError(f"grid ends must be finite numbers, found {low} and {high}")
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise DataError(f"grid steps must be a whole number >= 1, found {steps!r}")
    return tuple(float(v) for v in np.linspace(low, high, steps))


def sweep(
    tree: Tree,
    grid: Mapping[str, Sequence[float]],
    samples: int = 10_000,
    seed: int | None = None,
    *,
    target: float | None = None,
    overrides: Overrides | None = None,
    scenario: str | None = None,
    executor: Executor | None = None,
) -> Sweep:
    """Forecast the KGI at every point of ``grid`` (every combination of the inputs' values).

    Parameters
    ----------
    tree : Tree
    grid : mapping
        Per input to sweep, its values.
    samples : int
        Paths per point.
    seed : int, optional
        The seed of every point's forecast (a fresh one when ``None``, reported).
    target : float, optional
        Default the KGI's ``target``.
    overrides, scenario
        Other inputs held fixed, as in a forecast.
    executor : Executor, optional
        Where the points run (default here; see :mod:`kpitree.parallel`).

    Returns
    -------
    Sweep

    Raises
    ------
    DataError
        No input, an input that is not an input of the tree or is also in ``overrides``, a
        value outside its bounds, an empty list of values, too many points.
    """
    if not grid:
        raise DataError("give at least one input to sweep (--grid NAME=LOW:HIGH:STEPS)")
    axes: dict[str, tuple[float, ...]] = {}
    for name, values in grid.items():
        node = tree.node(name)
        if not node.is_input:
            raise SolveError(f"'{name}' is derived (formula: {node.formula}); sweep an input")
        if name in (overrides or {}):
            raise DataError(f"input '{name}' is both swept and set; give it one or the other")
        values = tuple(float(v) for v in values)
        if not values:
            raise DataError(f"input '{name}': no values to sweep")
        low, high = node.bounds
        for value in values:
            if (low is not None and value < low) or (high is not None and value > high):
                # Formatting is presentation's; imported here so the message reads as tables do.
                from kpitree.present.numbers import format_message

                unit = node.unit
                ends = (
                    "-inf" if low is None else format_message(low, unit),
                    "inf" if high is None else format_message(high, unit),
                )
                raise DataError(
                    f"node '{name}': swept value {format_message(value, unit)} is outside "
                    f"bounds [{ends[0]}, {ends[1]}]"
                )
        axes[tree.nodes[name].name] = values
    count = math.prod(len(values) for values in axes.values())
    if count > MAX_POINTS:
        raise DataError(f"the grid has {count:,} points; at most {MAX_POINTS:,} are run")
    entropy = seed_entropy(seed)
    goal_target = tree.nodes[tree.kgi].target if target is None else float(target)
    points = [dict(zip(axes, combo, strict=True)) for combo in itertools.product(*axes.values())]
    # A first forecast here checks the options (and the tree) before any work is sent out.
    first = forecast(
        tree,
        samples=2,
        seed=entropy,
        overrides={**dict(overrides or {}), **points[0]},
        scenario=scenario,
    )
    fixed: dict[str, Any] = dict(overrides or {})
    if executor is None or isinstance(executor, LocalExecutor):
        rows = [
            point_row(tree, point, samples, entropy, target, fixed, scenario) for point in points
        ]
    else:
        key, data = portable(tree)
        jobs = [
            (key, data, batch, samples, entropy, target, fixed, scenario)
            for batch in _batches(points, getattr(executor, "workers", 1))
        ]
        rows = [row for batch in executor.map(_run_batch, jobs) for row in batch]
    return Sweep(
        tree=tree,
        grid=axes,
        target=goal_target,
        samples=int(samples),
        seed=entropy,
        rows=tuple(rows),
        scenario=first.scenario,
        fixed={k: v for k, v in first.fixed.items() if k not in axes},
    )


def _batches(points: list[dict[str, float]], workers: int) -> list[list[dict[str, float]]]:
    """The points cut into consecutive batches, a few per worker (one batch for one)."""
    count = 1 if workers <= 1 else min(len(points), workers * BATCHES_PER_WORKER)
    size = -(-len(points) // count)
    return [points[i : i + size] for i in range(0, len(points), size)]


def _run_batch(job: tuple[Any, ...]) -> list[dict[str, float | None]]:
    """One batch of grid points, where it runs: the tree rebuilt (once per process) when the
    batch came from elsewhere."""
    key, data, points, samples, seed, target, overrides, scenario = job
    tree = rebuilt(key, data)
    return [point_row(tree, point, samples, seed, target, overrides, scenario) for point in points]


def point_row(
    tree: Tree,
    point: Mapping[str, float],
    samples: int,
    seed: int,
    target: float | None,
    overrides: Mapping[str, Value] | None = None,
    scenario: str | None = None,
) -> dict[str, float | None]:
    """One grid point's row: the forecast at ``point`` summarised at the last period."""
    result = forecast(
        tree, samples, seed, target=target, overrides={**dict(overrides or {}), **point},
        scenario=scenario,
    )  # fmt: skip
    # The forecast judges the node's own target (over its quarter or year when it is one)
    # when ``target`` is None, as it judges a given one at the last period.
    return {
        **{name: float(value) for name, value in point.items()},
        "p_target": result.p_target,
        "mean": float(result.mean[-1]),
        "p5": float(result.quantiles[5][-1]),
        "p50": float(result.quantiles[50][-1]),
        "p95": float(result.quantiles[95][-1]),
    }
