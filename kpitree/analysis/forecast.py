"""Monte Carlo forecast: N paths x T periods of the KGI (or any node) under input uncertainty.

Paths are evaluated vectorised, a chunk of paths per engine call so memory stays bounded; the
draws come from per-block generators (see :mod:`kpitree.analysis.sampling`), so the same seed
gives the same numbers whatever the chunk size. When the paths do not fit in
:data:`~kpitree.analysis.memory.IN_MEMORY_BYTES` they are not kept: they are drawn twice and
summarised on the fly with the same exact quantiles (see :mod:`kpitree.analysis.streaming`).
A run whose memory would not fit is refused before it starts
(:func:`~kpitree.analysis.memory.check_memory`).

On a scenario or with overrides, the inputs they set are fixed at those values on every path
(their distributions are not drawn; see :mod:`kpitree.analysis.sampling`); the result lists
them in ``fixed``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from kpitree.analysis.counts import BinomialFlow, BlockDraws, binomial_flows
from kpitree.analysis.memory import IN_MEMORY_BYTES, check_memory
from kpitree.analysis.sampling import (
    BLOCK,
    InputSampler,
    assumptions,
    fixed_dict,
    generators,
    seed_entropy,
)
from kpitree.analysis.streaming import (
    OrderStatistics,
    bins_for,
    block_sums,
    exact_total,
    interpolate,
)
from kpitree.engine import Engine
from kpitree.errors import DataError
from kpitree.node import Value
from kpitree.rollup import buckets_of, partial_note, paths_needed, roll_paths
from kpitree.tree import Overrides, Tree

QUANTILES = (5, 10, 25, 50, 75, 90, 95)
"""Percentiles reported per period."""

COUNTS = ("binomial",)
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Forecast:
    """The distribution of one node per period over the simulated paths.

    Attributes
    ----------
    tree : Tree
    node : str
        The node forecast (the KGI unless another was asked).
    samples : int
        Number of paths.
    seed : int
        The seed used (drawn from the operating system when none was given, so that a run can
        always be repeated).
    counts : str or None
        ``"binomial"`` when count flows were drawn binomially.
    periods : tuple of str or None
        Period labels; ``None`` for a static tree (one column).
    mean, sd : numpy.ndarray
        Per period, over paths (sd with ``ddof=1``), summed in a fixed order (see
        :mod:`kpitree.analysis.streaming`): the same seed gives the same digits.
    quantiles : dict[int, numpy.ndarray]
        Percentile (5, 10, 25, 50, 75, 90, 95) -> per-period values.
    target : float or None
        The node's target (or the one given).
    p_target : float or None
        Share of paths whose value at the last period is at least ``target``.
    final : numpy.ndarray
        Every path's value at the last period (for the histogram).
    scenario : str or None
        The scenario the run was on.
    fixed : dict[str, Value]
        The inputs set by the scenario or the overrides, held at these values on every path.
    notes : tuple of str
        What fixing changed: distributions not drawn, correlations dropped; and a note per node
        in ``nonfinite``.
    nonfinite : dict[str, int]
        Per node whose formula had a non-finite part that the rest of it hid (``min(x / 0,
        5)``, ``if(0 / 0 > 1, a, b)``): on how many paths (in any period). Empty when none.
    """

    tree: Tree
    node: str
    samples: int
    seed: int
    counts: str | None
    periods: tuple[str, ...] | None
    mean: np.ndarray
    sd: np.ndarray
    quantiles: dict[int, np.ndarray]
    target: float | None
    p_target: float | None
    final: np.ndarray
    scenario: str | None = None
    fixed: dict[str, Value] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    nonfinite: dict[str, int] = field(default_factory=dict)

    @property
    def unit(self) -> str | None:
        """The unit of the node forecast."""
        return self.tree.nodes[self.node].unit

    def to_frame(self) -> pd.DataFrame:
        """One row per period (index ``period``; ``value`` for a static tree), columns mean,
        sd, p5 .. p95."""
        index = pd.Index(list(self.periods) if self.periods else ["value"], name="period")
        columns = {"mean": self.mean, "sd": self.sd}
        columns |= {f"p{q}": values for q, values in self.quantiles.items()}
        return pd.DataFrame(columns, index=index)

    def to_dict(self) -> dict[str, Any]:
        """``{"kgi", "samples", "seed", "scenario", "fixed", "periods", "mean", "sd",
        "quantiles", "target", "p_target"}`` (plus ``"node"`` when a node other than the KGI
        was forecast, ``"nonfinite"`` when a formula hid a non-finite part on some paths),
        lists with one entry per period, ``fixed`` mapping each fixed input to its value (a
        list for one value per period); JSON-ready."""
        data: dict[str, Any] = {"kgi": self.tree.kgi}
        if self.node != self.tree.kgi:
            data["node"] = self.node
        data |= {
            "samples": self.samples,
            "seed": self.seed,
            "scenario": self.scenario,
            "fixed": fixed_dict(self.fixed),
            "periods": list(self.periods) if self.periods else None,
            "mean": [float(v) for v in self.mean],
            "sd": [float(v) for v in self.sd],
            "quantiles": {
                f"p{q}": [float(v) for v in values] for q, values in self.quantiles.items()
            },
            "target": self.target,
            "p_target": self.p_target,
        }
        if self.nonfinite:
            data["nonfinite"] = dict(self.nonfinite)
        return data

    def plot(self, ax: Any = None) -> Any:
        """Fan chart of the quantile bands per period (:func:`kpitree.plots.forecast.plot_fan`)."""
        from kpitree.plots.forecast import plot_fan

        return plot_fan(self, ax=ax)

    def plot_histogram(self, ax: Any = None) -> Any:
        """Histogram of the last period (see :func:`kpitree.plots.forecast.plot_histogram`)."""
        from kpitree.plots.forecast import plot_histogram

        return plot_histogram(self, ax=ax)


def _check_options(samples: int, counts: str | None, chunk: int) -> None:
    if isinstance(samples, bool) or not isinstance(samples, int | np.integer) or samples < 2:
        raise DataError(f"samples must be a whole number >= 2, found {samples!r}")
    if counts is not None and counts not in COUNTS:
        raise DataError(f"counts must be one of {', '.join(COUNTS)} or None, found {counts!r}")
    if not isinstance(chunk, int | np.integer) or chunk < BLOCK or chunk % BLOCK:
        raise DataError(f"chunk must be a positive multiple of {BLOCK} paths, found {chunk!r}")


def _engine(tree: Tree, counts: str | None, blocks: BlockDraws) -> Engine:
    if counts is None:
        return tree.engine
    periods = tree.period_count
    replacements = {}
    for rule in binomial_flows(tree):
        arguments = tree.engine.arguments(rule.node)
        replacements[rule.node] = BinomialFlow(rule, arguments, blocks, periods)
    return Engine(tree, replacements=replacements)


def forecast(
    tree: Tree,
    samples: int = 10_000,
    seed: int | None = None,
    *,
    counts: str | None = None,
    node: str | None = None,
    target: float | None = None,
    overrides: Overrides | None = None,
    scenario: str | None = None,
    chunk: int = 4 * BLOCK,
    progress: Progress | None = None,
    by: str | None = None,
) -> Forecast:
    """Simulate ``samples`` paths of the tree and summarise one node per period.

    Parameters
    ----------
    tree : Tree
    samples : int
        Number of paths (at least 2).
    seed : int, optional
        Seed of the random streams; the same seed gives the same numbers.
    counts : {None, "binomial"}
        ``"binomial"`` draws count flows converted by a rate binomially (see
        :mod:`kpitree.analysis.counts` for the rule that finds them).
    node : str, optional
        The node to forecast (default: the KGI).
    target : float, optional
        The value to reach at the last period (default: the node's ``target``).
    overrides : mapping, optional
        Input values (a number, or one per period) that replace the tree's; each input set
        here is fixed at its value and not drawn, and a correlation naming it is dropped.
    scenario : str, optional
        A scenario of the tree; the inputs it sets are fixed likewise (overrides win).
    chunk : int
        Paths per engine call, a multiple of :data:`~kpitree.analysis.sampling.BLOCK`; it
        bounds memory and does not change the result.
    progress : callable, optional
        Called as ``progress(done, total)`` after each chunk (the analysis never prints).
    by : {None, "quarter", "year", "fiscal-year"}
        Summarise each path rolled up by this bucket (:mod:`kpitree.rollup`) instead of per
        period; the chance of the target stays at the last period.

    Returns
    -------
    Forecast

    Raises
    ------
    DataError
        For bad options, an unknown scenario, an override that is not an input's value, an
        input drawn with both per-period values and a distribution, or a run that would need
        more memory than the machine has available (the message gives both figures).
    UnknownNodeError
        When ``node`` is not a node of the tree.
    EvaluationError
        When a sampled path gives a non-finite value.
    """
    _check_options(samples, counts, chunk)
    samples = int(samples)
    name = tree.kgi if node is None else tree.node(node).name
    if target is None:
        target = tree.nodes[name].target
    needed = (name,) if by is None else paths_needed(tree, name, by)
    plan = assumptions(tree, overrides, scenario)
    entropy = seed_entropy(seed)
    sampler = InputSampler(tree, plan.fixed)
    blocks = BlockDraws()
    engine = _engine(tree, counts, blocks)
    periods = tree.period_count
    buckets = () if by is None else buckets_of(tree, by)
    columns = len(buckets) if buckets else periods
    in_memory = samples * columns * 8 <= IN_MEMORY_BYTES
    check_memory(samples, periods, chunk, engine.peak_arrays(needed), in_memory)

    nonfinite: dict[str, int] = {}

    def paths(first_pass: bool) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
        """The chunks of paths in order: ``(first path, (rows, columns) values summarised,
        (rows,) values at the last period)``."""
        for start in range(0, samples, chunk):
            stop = min(samples, start + chunk)
            first, last = start // BLOCK, -(-stop // BLOCK)
            blocks.generators = list(generators(entropy, first, last))
            blocks.sizes = [min(BLOCK, samples - b * BLOCK) for b in range(first, last)]
            draws = [
                sampler.draw(generator, size)
                for generator, size in zip(blocks.generators, blocks.sizes, strict=True)
            ]
            inputs = dict(plan.values)
            for input_name in sampler.names:
                inputs[input_name] = np.concatenate([draw[input_name] for draw in draws])  # type: ignore[assignment]
            flagged: dict[str, np.ndarray] = {}
            run = engine.run(
                inputs, samples=stop - start, nodes=needed, free=True, nonfinite=flagged
            )
            for flagged_node, rows in flagged.items() if first_pass else ():
                nonfinite[flagged_node] = nonfinite.get(flagged_node, 0) + int(rows.sum())
            values = run[name] if by is None else roll_paths(tree, run, name, by)[1]
            yield start, np.ascontiguousarray(values), run[name][:, -1]
            if progress is not None:
                done = stop if in_memory or first_pass else samples + stop
                progress(done, samples if in_memory else 2 * samples)

    summary = _summarise(paths, samples, columns, in_memory, target)
    order = tree.order()
    nonfinite = dict(sorted(nonfinite.items(), key=lambda item: order.index(item[0])))
    return Forecast(
        tree=tree,
        node=name,
        samples=samples,
        seed=entropy,
        counts=counts,
        periods=tuple(bucket.label for bucket in buckets) if buckets else tree.periods,
        target=None if target is None else float(target),
        scenario=plan.scenario,
        fixed=plan.fixed,
        notes=plan.notes
        + tuple(partial_note(tree, bucket) for bucket in buckets if bucket.partial)
        + _nonfinite_notes(tree, nonfinite, samples),
        nonfinite=nonfinite,
        **summary,
    )


def _nonfinite_notes(tree: Tree, nonfinite: dict[str, int], samples: int) -> tuple[str, ...]:
    return tuple(
        f"node '{node}': on {count:,} of {samples:,} paths a part of its formula was not "
        f"finite (a division by zero or an undefined value) and the rest of the formula hid "
        f"it; formula: {tree.nodes[node].formula}"
        for node, count in nonfinite.items()
    )


def _summarise(
    paths: Callable[[bool], Iterator[tuple[int, np.ndarray, np.ndarray]]],
    samples: int,
    periods: int,
    in_memory: bool,
    target: float | None,
) -> dict[str, Any]:
    """Mean, sd and quantiles of the paths' ``periods`` columns, their last period's values and
    P(target) there, read once when they fit in :data:`IN_MEMORY_BYTES`, else twice (see
    :mod:`kpitree.analysis.streaming`)."""
    final = np.empty(samples)
    sums = []
    values = np.empty((samples, periods)) if in_memory else None
    order = OrderStatistics(periods, bins_for(samples))
    for start, chunk, last in paths(True):
        sums.append(block_sums(chunk))
        final[start : start + len(chunk)] = last
        if values is not None:
            values[start : start + len(chunk)] = chunk
        else:
            order.count(chunk)
    mean = exact_total(sums) / samples
    squares = []
    if values is not None:
        squares.append(block_sums(values, mean))
        percentiles = np.percentile(values, QUANTILES, axis=0)
    else:

        def second_pass(ranks: np.ndarray) -> np.ndarray:
            order.want(ranks)
            for _, chunk, _ in paths(False):
                squares.append(block_sums(chunk, mean))
                order.keep(chunk)
            return order.values(ranks)

        percentiles = interpolate(samples, QUANTILES, second_pass)
    sd = np.sqrt(exact_total(squares) / (samples - 1))
    p_target = None if target is None else int(np.count_nonzero(final >= target)) / samples
    return {
        "mean": _frozen(mean),
        "sd": _frozen(sd),
        "quantiles": {q: _frozen(row) for q, row in zip(QUANTILES, percentiles, strict=True)},
        "p_target": p_target,
        "final": _frozen(final),
    }


def _frozen(array: np.ndarray) -> np.ndarray:
    array = np.array(array, dtype=float)
    array.flags.writeable = False
    return array
