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

A landing forecast (``landing=``, see :mod:`kpitree.analysis.landing`) holds every input with
an actual at it up to the cut-off, so those periods are the actuals and the paths go on from
there; with learned rates, each is drawn from its posterior once per path.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from kpitree.analysis.counts import BinomialFlow, BlockDraws, binomial_flows
from kpitree.analysis.forecast_chunks import (
    Chunk,
    ChunkPlan,
    chunk_inputs,
    forecast_chunk,
    remote_chunk,
)
from kpitree.analysis.memory import IN_MEMORY_BYTES, check_memory
from kpitree.analysis.sampling import (
    BLOCK,
    InputSampler,
    assumptions,
    fixed_dict,
    seed_entropy,
)
from kpitree.analysis.status import milestone_at
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
from kpitree.parallel import Executor, LocalExecutor, portable
from kpitree.results import Shown
from kpitree.rollup import buckets_of, partial_note, paths_needed, reads, rules
from kpitree.targets import Milestone
from kpitree.tree import Overrides, Tree

if TYPE_CHECKING:
    from kpitree.analysis.landing import Landing
    from kpitree.analysis.learn import LearnedRate

QUANTILES = (5, 10, 25, 50, 75, 90, 95)
"""Percentiles reported per period."""

COUNTS = ("binomial",)
Progress = Callable[[int, int], None]


@dataclass(frozen=True, repr=False)
class Forecast(Shown):
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
        Share of paths whose value at the last period meets ``target``: at least it, or at
        most it when lower is better (:attr:`meets`). When the node's last target is a quarter
        or year (:attr:`target_label`), each path's roll-up over it (a flow's sum, a stock's
        last month, a ratio recomputed) is judged instead.
    final : numpy.ndarray
        Every path's value at the last period (for the histogram), or over the target's span.
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
    actual_through : str or None
        A landing forecast's cut-off: the label of the last period taken from the actuals
        (``"value"`` for a static tree); ``None`` for a forecast from the plan.
    actual : numpy.ndarray or None
        The node's actual values up to the cut-off (evaluated from the actual inputs).
    learned : tuple of LearnedRate
        The rates drawn from their posteriors (see :mod:`kpitree.analysis.learn`).
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
    by: str | None = None
    """The roll-up the paths were summarised by (``quarter``, ``year``, ``fiscal-year``);
    ``periods`` are then its buckets' labels."""
    scenario: str | None = None
    fixed: dict[str, Value] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    nonfinite: dict[str, int] = field(default_factory=dict)
    actual_through: str | None = None
    actual: np.ndarray | None = None
    learned: tuple[LearnedRate, ...] = ()
    target_label: str | None = None
    """The quarter or year the target is judged over (``None``: the last period); ``final``
    and ``p_target`` are then each path's roll-up over it."""

    @property
    def unit(self) -> str | None:
        """The unit of the node forecast."""
        return self.tree.nodes[self.node].unit

    @property
    def meets(self) -> str:
        """``">="`` when the target is met from above, ``"<="`` when lower is better (CAC):
        what :attr:`p_target` counts."""
        return "<=" if better_sign(self.tree, self.node) < 0 else ">="

    def to_frame(self) -> pd.DataFrame:
        """One row per period (a ``PeriodIndex`` named ``period`` as the axis is, of the
        roll-up's buckets when summarised ``by`` one; ``value`` for a static tree), columns
        mean, sd, p5 .. p95."""
        from kpitree.periods import bucket_index, period_index

        if self.by is not None and self.periods:
            index = bucket_index(self.tree.time, self.by, self.periods)
        else:
            index = period_index(self.tree.time, list(self.periods) if self.periods else None)
        columns = {"mean": self.mean, "sd": self.sd}
        columns |= {f"p{q}": values for q, values in self.quantiles.items()}
        return pd.DataFrame(columns, index=index)

    def to_dict(self) -> dict[str, Any]:
        """``{"tree", "kgi", "node", "samples", "seed", "scenario", "fixed", "by", "periods",
        "mean", "sd", "quantiles", "target", "p_target"}`` (``node`` is the node forecast,
        the KGI unless asked otherwise; plus ``"nonfinite"`` when a formula hid a non-finite
        part on some paths), lists with one entry per period, ``fixed`` mapping each fixed
        input to its value (a list for one value per period); JSON-ready."""
        data: dict[str, Any] = {"tree": self.tree.name, "kgi": self.tree.kgi, "node": self.node}
        data |= {
            "samples": self.samples,
            "seed": self.seed,
            "scenario": self.scenario,
            "fixed": fixed_dict(self.fixed),
            "by": self.by,
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
        if self.actual_through is not None:
            data["actual_through"] = self.actual_through
        if self.learned:
            data["learned"] = [
                {"input": rate.name, "trials": rate.trials, "successes": rate.successes}
                for rate in self.learned
            ]
        return data

    def plot(self, ax: Any = None) -> Any:
        """Fan chart of the quantile bands per period (:func:`kpitree.plots.forecast.plot_fan`)."""
        from kpitree.plots.forecast import plot_fan

        return plot_fan(self, ax=ax)

    def plot_histogram(self, ax: Any = None) -> Any:
        """Histogram of the last period (see :func:`kpitree.plots.forecast.plot_histogram`)."""
        from kpitree.plots.forecast import plot_histogram

        return plot_histogram(self, ax=ax)

    _repr_fields = ("samples", "seed", "scenario")


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
    landing: Landing | None = None,
    executor: Executor | None = None,
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
        The value to reach at the last period (default: the node's ``target``, judged over
        its quarter or year when it is one).
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
    landing : Landing, optional
        Forecast from actuals (:func:`kpitree.analysis.landing.landing`): the periods up to
        its cut-off are the actuals on every path, and its learned rates are drawn from their
        posteriors; the chance of the target is then the chance as of the cut-off.
    executor : Executor, optional
        Where the chunks of paths run (:mod:`kpitree.parallel`: Dask workers); the numbers
        are the same to the last bit wherever they run.

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
    if landing is not None and counts is not None:
        # Binomial draws would redraw the flows of the periods that have actuals.
        raise DataError("counts cannot be drawn in a forecast from actuals (yet)")
    samples = int(samples)
    name = tree.kgi if node is None else tree.node(node).name
    judged: tuple[int, int] | None = None
    target_label: str | None = None
    if target is None:
        target = tree.nodes[name].target
        milestone = final_judgement_span(tree, name)
        if milestone is not None:
            # A quarter or year target: each path is judged on its roll-up over that span.
            judged, target_label = (milestone.first, milestone.last), milestone.label
    needed = (name,) if by is None else paths_needed(tree, name, by)
    if judged is not None:
        needed = tuple(dict.fromkeys((*needed, *span_needed(tree, name))))
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
        chunk_plan = ChunkPlan(
            plan.values, tuple(plan.fixed), entropy, samples, needed, name, by, counts, landing,
            judged,
        )  # fmt: skip
        ranges = [(start, min(samples, start + chunk)) for start in range(0, samples, chunk)]
        for start, stop, (values, last, flagged) in _chunks(
            tree, executor, ranges, in_memory, chunk_plan,
            lambda start, stop: forecast_chunk(
                tree, engine, sampler, blocks, chunk_plan, start, stop
            ),
        ):  # fmt: skip
            for flagged_node, rows in flagged.items() if first_pass else ():
                nonfinite[flagged_node] = nonfinite.get(flagged_node, 0) + rows
            yield start, values, last
            if progress is not None:
                done = stop if in_memory or first_pass else samples + stop
                progress(done, samples if in_memory else 2 * samples)

    summary = _summarise(paths, samples, columns, in_memory, target, better_sign(tree, name))
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
        target_label=target_label,
        scenario=plan.scenario,
        fixed=plan.fixed,
        notes=plan.notes
        + tuple(partial_note(tree, bucket) for bucket in buckets if bucket.partial)
        + _nonfinite_notes(tree, nonfinite, samples)
        + (landing.notes(tree) if landing is not None else ()),
        nonfinite=nonfinite,
        actual_through=None if landing is None else _label(tree, landing.through),
        actual=None if landing is None or by else _frozen(landing.actual(tree, name)),
        learned=() if landing is None or landing.learning is None else landing.learning.rates,
        by=by,
        **summary,
    )


def _label(tree: Tree, index: int) -> str:
    return tree.periods[index] if tree.periods else "value"


def simulate(
    tree: Tree,
    samples: int,
    seed: int | None = None,
    *,
    nodes: tuple[str, ...],
    overrides: Overrides | None = None,
    scenario: str | None = None,
    landing: Landing | None = None,
) -> dict[str, np.ndarray]:
    """Every path of ``nodes`` (inputs or derived), drawn as :func:`forecast` draws them: the
    same seed gives the same paths as a forecast with the same options.

    Parameters
    ----------
    tree : Tree
    samples : int
        Number of paths (at least 2); all are kept, so mind the memory.
    seed : int, optional
    nodes : tuple of str
        The nodes returned.
    overrides, scenario, landing
        As for :func:`forecast`.

    Returns
    -------
    dict
        Node name -> ``(samples, periods)`` array.

    Raises
    ------
    DataError, UnknownNodeError, EvaluationError
        As :func:`forecast`.
    """
    _check_options(samples, None, BLOCK)
    names = tuple(tree.node(name).name for name in nodes)
    plan = assumptions(tree, overrides, scenario)
    entropy = seed_entropy(seed)
    sampler = InputSampler(tree, plan.fixed)
    blocks = BlockDraws()
    chunk = 4 * BLOCK
    # The kept paths count as extra arrays of the chunk's size: an upper bound.
    arrays = tree.engine.peak_arrays(names) + len(names) * -(-samples // chunk)
    check_memory(samples, tree.period_count, chunk, arrays, True)
    out = {name: np.empty((samples, tree.period_count)) for name in names}
    for start in range(0, samples, chunk):
        stop = min(samples, start + chunk)
        inputs = chunk_inputs(
            tree, plan.values, sampler, blocks, entropy, (start, stop, samples), landing
        )
        run = tree.engine.run(inputs, samples=stop - start, nodes=names, free=True)
        for name in names:
            out[name][start:stop] = run[name]
    return out


def _chunks(
    tree: Tree,
    executor: Executor | None,
    ranges: list[tuple[int, int]],
    in_memory: bool,
    plan: ChunkPlan,
    here: Callable[[int, int], Chunk],
) -> Iterator[tuple[int, int, Chunk]]:
    """Each chunk of paths in order, computed ``here`` or on the executor's workers (a few
    chunks per worker at a time when the paths do not fit in memory)."""
    if executor is None or isinstance(executor, LocalExecutor):
        for start, stop in ranges:
            yield start, stop, here(start, stop)
        return
    key, data = portable(tree)
    group = len(ranges) if in_memory else 2 * max(1, getattr(executor, "workers", 1))
    for first in range(0, len(ranges), group):
        batch = ranges[first : first + group]
        jobs = [(key, data, plan, start, stop) for start, stop in batch]
        for (start, stop), result in zip(batch, executor.map(remote_chunk, jobs), strict=True):
            yield start, stop, result


def _nonfinite_notes(tree: Tree, nonfinite: dict[str, int], samples: int) -> tuple[str, ...]:
    return tuple(
        f"node '{node}': on {count:,} of {samples:,} paths a part of its formula was not "
        f"finite (a division by zero or an undefined value) and the rest of the formula hid "
        f"it; formula: {tree.nodes[node].formula}"
        for node, count in nonfinite.items()
    )


def better_sign(tree: Tree, name: str) -> int:
    """+1 when a higher ``name`` is better, -1 when lower is: the KGI's ``direction``
    (:attr:`Tree.kgi_sign`), another node's own ``direction``."""
    if name == tree.kgi:
        return tree.kgi_sign
    return -1 if tree.nodes[name].direction == "lower" else 1


def _summarise(
    paths: Callable[[bool], Iterator[tuple[int, np.ndarray, np.ndarray]]],
    samples: int,
    periods: int,
    in_memory: bool,
    target: float | None,
    sign: int = 1,
) -> dict[str, Any]:
    """Mean, sd and quantiles of the paths' ``periods`` columns, their last period's values and
    P(target) there (met from above, or from below for ``sign`` -1), read once when they fit
    in :data:`IN_MEMORY_BYTES`, else twice (see :mod:`kpitree.analysis.streaming`)."""
    final = np.empty(samples)
    sums = []
    values = np.empty((samples, periods)) if in_memory else None
    order = OrderStatistics(periods, bins_for(samples))
    low, high = np.full(periods, np.inf), np.full(periods, -np.inf)
    for start, chunk, last in paths(True):
        sums.append(block_sums(chunk))
        low, high = np.minimum(low, chunk.min(axis=0)), np.maximum(high, chunk.max(axis=0))
        final[start : start + len(chunk)] = last
        if values is not None:
            values[start : start + len(chunk)] = chunk
        else:
            order.count(chunk)
    mean = exact_total(sums) / samples
    # A period that is the same on every path (an actual, a fixed value) has that value as its
    # mean and sd 0, not a rounding residue of the block sums.
    constant = low == high
    mean[constant] = low[constant]
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
    p_target = (
        None if target is None else int(np.count_nonzero(sign * (final - target) >= 0)) / samples
    )
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


def final_judgement_span(tree: Tree, name: str) -> Milestone | None:
    """The target of ``name`` judged at the last period when it is a quarter or year (a
    span), else ``None``."""
    if tree.time is None:
        return None
    milestone = milestone_at(tree, name, tree.time.periods - 1)
    return milestone if milestone is not None and milestone.is_span else None


def span_needed(tree: Tree, name: str) -> tuple[str, ...]:
    """The nodes a roll-up of ``name`` reads: itself and, for a ratio, its flows."""
    return (name, *sorted(reads(tree, rules(tree)[name]) - {name}))
