"""Variance-based global sensitivity: Sobol first-order (S1) and total-order (ST) indices of
the KGI at the last period for every uncertain input.

Design: scrambled Sobol' points (``scipy.stats.qmc.Sobol``) give two matrices A and B of
uniforms; each input's columns are mapped through its distribution's ppf. The KGI is
evaluated on A, on B and on every AB_i (A with input i's columns from B), ``N * (k + 2)``
rows of one chunked engine run. Estimators (Saltelli et al. 2010, Table 2):

- S1_i = mean(f(B) * (f(AB_i) - f(A))) / V      (Saltelli 2010)
- ST_i = mean((f(A) - f(AB_i)) ** 2) / 2 / V    (Jansen 1999)

with V the variance of f over A and B, after centring the outputs on their mean (as SALib
does: it removes a bias of the first-order estimator for outputs far from zero).

One scrambled Sobol' design of N points gives the estimates. Splitting it into independent
scrambles of fewer points instead would lose most of the quasi-random gain (at the same N the
error was 3 to 18 times SALib's). The 95 % intervals come from the same points: the first N
points of a Sobol' sequence are ``R`` consecutive blocks of ``N / R``, each itself a scrambled
net, and the half-width is ``t(0.975, R - 1) * sd(block estimates) / sqrt(R)``. A bootstrap
over the rows (SALib's way) treats the points as independent draws and ignores what the
quasi-random design gains: in ``benchmarks/sobol_bench.py`` its intervals held the exact
indices 99 to 100 % of the time, being about 1.6 times as wide as the blocks', which held them 94 to
99 % of the time.

Memory: the design is built chunk by chunk from one Sobol' stream; only the ``N * (k + 2)``
outputs are kept, so a run needs about ``8 * N * (k + 8)`` bytes. A run that would need more
than half the memory available is refused before anything is computed.

An input that varies by period is one factor: its T draws move together (a group index).
The indices assume independent inputs: a tree's correlations are ignored here and the result
says so in its ``notes``.

On a scenario or with overrides, the inputs they set are fixed at those values (see
:mod:`kpitree.analysis.sampling`): a fixed input is not a factor, so it has no index (its
variance share is 0), and the other inputs' indices are shares of the variance left.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from kpitree.analysis.memory import available_memory
from kpitree.analysis.quantiles import quantiles
from kpitree.analysis.sampling import InputSampler, assumptions, fixed_dict, seed_entropy
from kpitree.analysis.sobol_chunks import DesignPlan, design_outputs, design_stream, remote_step
from kpitree.errors import DataError
from kpitree.node import Value
from kpitree.parallel import Executor, LocalExecutor, portable
from kpitree.results import Shown, last_label
from kpitree.tree import Overrides, Tree

REPLICATES = 8
"""Consecutive blocks of the design whose spread gives the confidence intervals."""

MIN_SAMPLES = 8 * REPLICATES
"""The smallest N accepted: eight points per block."""

MAX_SAMPLES = 2**30
"""The largest N: scipy's Sobol' generator gives at most 2**30 points."""

CHUNK = 16_384
"""Design rows per engine call."""

MEMORY_SHARE = 0.5
"""The largest share of the available memory a run may plan to use."""


@dataclass(frozen=True, repr=False)
class Sobol(Shown):
    """Sobol indices of the KGI (at the last period) for every uncertain input.

    Attributes
    ----------
    tree : Tree
    samples : int
        N, the number of base points (a power of two); the model ran ``N * (k + 2)`` times.
    seed : int
        The seed used (drawn from the operating system when none was given).
    names : tuple of str
        The uncertain inputs, in file order.
    S1, S1_conf, ST, ST_conf : numpy.ndarray
        Indices and the half-widths of their 95 % confidence intervals, one per input.
    notes : tuple of str
        Caveats to show with the result (inputs fixed, correlations dropped or ignored).
    scenario : str or None
        The scenario the indices were computed on.
    fixed : dict[str, Value]
        The inputs set by the scenario or the overrides: held at these values, no index.
    """

    tree: Tree
    samples: int
    seed: int
    names: tuple[str, ...]
    S1: np.ndarray
    S1_conf: np.ndarray
    ST: np.ndarray
    ST_conf: np.ndarray
    notes: tuple[str, ...] = ()
    scenario: str | None = None
    fixed: dict[str, Value] = field(default_factory=dict)

    @property
    def evaluations(self) -> int:
        """How many times the model was evaluated: ``N * (k + 2)``."""
        return self.samples * (len(self.names) + 2)

    def to_frame(self) -> pd.DataFrame:
        """One row per input (index ``input``), columns S1, S1_conf, ST, ST_conf."""
        return pd.DataFrame(
            {"S1": self.S1, "S1_conf": self.S1_conf, "ST": self.ST, "ST_conf": self.ST_conf},
            index=pd.Index(self.names, name="input"),
        )

    def to_dict(self) -> dict[str, Any]:
        """``{"tree", "kgi", "period", "seed", "samples", "scenario", "fixed", "indices":
        [{"input", "S1", "S1_conf", "ST", "ST_conf"}, ...]}``; ``period`` is the last
        period's label (the one explained), ``fixed`` maps each fixed input to its value."""
        return {
            "tree": self.tree.name,
            "kgi": self.tree.kgi,
            "period": last_label(self.tree),
            "seed": self.seed,
            "samples": self.samples,
            "scenario": self.scenario,
            "fixed": fixed_dict(self.fixed),
            "indices": [
                {
                    "input": name,
                    "S1": float(self.S1[i]),
                    "S1_conf": float(self.S1_conf[i]),
                    "ST": float(self.ST[i]),
                    "ST_conf": float(self.ST_conf[i]),
                }
                for i, name in enumerate(self.names)
            ],
        }

    def plot(self, ax: Any = None, **style: Any) -> Any:
        """Bar chart of S1 and ST (see :func:`kpitree.plots.sobol.plot_sobol`)."""
        from kpitree.plots.sobol import plot_sobol

        return plot_sobol(self, ax=ax, **style)

    _repr_fields = ("samples", "seed", "scenario")


def sobol_indices(
    y_a: np.ndarray, y_b: np.ndarray, y_ab: np.ndarray, center: float | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The Saltelli 2010 S1 and Jansen ST estimates from model outputs.

    Parameters
    ----------
    y_a, y_b : numpy.ndarray
        ``(N,)`` outputs on the A and B matrices.
    y_ab : numpy.ndarray
        ``(N, k)``: column i holds the outputs on AB_i.
    center : float, optional
        Subtracted from every output first; default the mean of all ``N * (k + 2)`` outputs.

    Returns
    -------
    (S1, ST) : tuple of numpy.ndarray
        One value per input.
    """
    n, k = y_ab.shape
    if center is None:
        center = (y_a.sum() + y_b.sum() + y_ab.sum()) / (n * (k + 2))
    a = y_a - center
    b = y_b - center
    variance = np.var(np.concatenate([a, b]))
    first, total = np.empty(k), np.empty(k)
    # One input at a time: a few (N,) temporaries instead of several (N, k) ones.
    for i in range(k):
        step = y_ab[:, i] - center - a
        first[i] = np.mean(b * step) / variance
        total[i] = 0.5 * np.mean(step**2) / variance
    return first, total


def block_intervals(
    y_a: np.ndarray, y_b: np.ndarray, y_ab: np.ndarray, blocks: int = REPLICATES
) -> tuple[np.ndarray, np.ndarray]:
    """Half-widths of 95 % intervals of S1 and ST from ``blocks`` consecutive blocks of rows.

    Arguments as :func:`sobol_indices`; the rows must be the first N points of one scrambled
    Sobol' sequence, so that each block is a net of its own.

    Returns
    -------
    (S1_conf, ST_conf) : tuple of numpy.ndarray
        ``t(0.975, blocks - 1) * sd(block estimates) / sqrt(blocks)``, one per input.
    """
    n, k = y_ab.shape
    # Every block centred on the mean of all outputs, as the estimate on the whole design.
    center = (y_a.sum() + y_b.sum() + y_ab.sum()) / (n * (k + 2))
    part = n // blocks
    estimates = np.array(
        [
            sobol_indices(y_a[s], y_b[s], y_ab[s], center)
            for s in (slice(j * part, (j + 1) * part) for j in range(blocks))
        ]
    )
    scale = stats.t.ppf(0.975, blocks - 1) / np.sqrt(blocks)
    spread = np.std(estimates, axis=0, ddof=1)
    return scale * spread[0], scale * spread[1]


def _check_samples(samples: int) -> int:
    if (
        isinstance(samples, bool)
        or not isinstance(samples, int | np.integer)
        or samples < MIN_SAMPLES
        or samples & (samples - 1)
    ):
        raise DataError(
            f"samples must be a power of two >= {MIN_SAMPLES} (Sobol' points come in "
            f"powers of two), found {samples!r}"
        )
    if samples > MAX_SAMPLES:
        raise DataError(
            f"samples must be at most 2^30 = {MAX_SAMPLES:,} (the most Sobol' points there "
            f"are), found {samples:,}"
        )
    return int(samples)


def memory_needed(samples: int, factors: int) -> int:
    """Bytes a run with N = ``samples`` and ``factors`` inputs needs, about: the
    ``N * (k + 2)`` outputs and a few ``(N,)`` temporaries of the estimator."""
    return 8 * samples * (factors + 8)


def _check_memory(samples: int, factors: int) -> None:
    need = memory_needed(samples, factors)
    available = available_memory()
    if available is None or need <= MEMORY_SHARE * available:
        return
    fits = MIN_SAMPLES
    while memory_needed(2 * fits, factors) <= MEMORY_SHARE * available and 2 * fits <= samples:
        fits *= 2
    raise DataError(
        f"samples {samples:,} with {factors} uncertain inputs would need about "
        f"{need / 2**30:.1f} GiB of memory, more than half of the {available / 2**30:.1f} GiB "
        f"available; use at most {fits:,} samples"
    )


def sobol(
    tree: Tree,
    samples: int = 4096,
    seed: int | None = None,
    *,
    overrides: Overrides | None = None,
    scenario: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    executor: Executor | None = None,
) -> Sobol:
    """Sobol S1 and ST indices of the KGI at the last period.

    Parameters
    ----------
    tree : Tree
    samples : int
        N, a power of two (at least 64, at most 2^30); the model is evaluated
        ``N * (k + 2)`` times for ``k`` uncertain inputs.
    seed : int, optional
        Seed of the scramble; the same seed gives the same indices.
    overrides : mapping, optional
        Input values that replace the tree's; each input set here is fixed at its value: not
        a factor, no index, and a correlation naming it is dropped.
    scenario : str, optional
        A scenario of the tree; the inputs it sets are fixed likewise (overrides win).
    progress : callable, optional
        Called as ``progress(done, total)`` with design rows evaluated so far.
    executor : Executor, optional
        Where the steps of the design run (:mod:`kpitree.parallel`: Dask workers); the
        indices are the same to the last bit wherever they run.

    Returns
    -------
    Sobol

    Raises
    ------
    DataError
        When ``samples`` is not a power of two in range or needs more than half the memory
        available, no input that is not fixed has a distribution, the scenario is unknown, an
        override is not an input's value, or the KGI does not vary.
    """
    n = _check_samples(samples)
    plan = assumptions(tree, overrides, scenario)
    sampler = InputSampler(tree, plan.fixed)
    names = sampler.names
    if not names:
        held = [name for name in plan.fixed if tree.nodes[name].distribution is not None]
        if held:
            raise DataError(
                f"tree '{tree.name}': every input with a distribution is fixed by the scenario "
                f"or the overrides ({', '.join(held)}), so there is nothing to vary"
            )
        raise DataError(
            f"tree '{tree.name}': no input has a distribution, so there is nothing to vary"
        )
    k = len(names)
    _check_memory(n, k)
    periods = tree.period_count
    widths = [periods if sampler.distributions[x].vary == "period" else 1 for x in names]
    entropy = seed_entropy(seed)
    design = DesignPlan(plan.values, tuple(plan.fixed), entropy, tuple(names), tuple(widths))
    # Outputs by block: row 0 on A, row 1 on B, row 2 + i on AB_i.
    outputs = np.empty((k + 2, n))
    # A power of two, as scipy wants for each draw from the stream (N is one too).
    step = min(n, 1 << max(0, (CHUNK // (k + 2)).bit_length() - 1))
    total = n * (k + 2)
    for start, rows, values in _steps(tree, sampler, design, n, step, executor):
        outputs[:, start : start + rows] = values
        if progress is not None:
            progress((start + rows) * (k + 2), total)
    y_a, y_b = outputs[0], outputs[1]
    if np.ptp(outputs[:2]) == 0:
        raise DataError(
            f"KGI '{tree.kgi}' takes the same value on every sample: its variance is 0 and the "
            "Sobol indices are undefined"
        )
    first, total_order = sobol_indices(y_a, y_b, outputs[2:].T)
    first_conf, total_conf = block_intervals(y_a, y_b, outputs[2:].T)
    notes = plan.notes
    kept = [
        c for c in tree.correlations if c.first not in plan.fixed and c.second not in plan.fixed
    ]
    if kept:
        pairs = ", ".join(f"{c.first}-{c.second}" for c in kept)
        notes += (
            f"the tree correlates {pairs}; these indices assume independent inputs and were "
            "computed with the correlations ignored (Shapley effects, sobol --shapley, take them "
            "into account)",
        )
    return Sobol(  # type: ignore[misc]
        tree, n, entropy, tuple(names),
        *(_frozen(x) for x in (first, first_conf, total_order, total_conf)),  # type: ignore[arg-type]
        notes=notes, scenario=plan.scenario, fixed=plan.fixed,
    )  # fmt: skip


def _steps(
    tree: Tree,
    sampler: InputSampler,
    design: DesignPlan,
    n: int,
    step: int,
    executor: Executor | None,
) -> Iterator[tuple[int, int, np.ndarray]]:
    """``(first row, rows, (k + 2, rows) outputs)`` of each step in order, computed here from
    one sequential stream or on the executor's workers (each fast-forwarded to its step)."""
    starts = [(start, min(step, n - start)) for start in range(0, n, step)]
    if executor is None or isinstance(executor, LocalExecutor):
        stream = design_stream(design)
        for start, rows in starts:
            yield start, rows, design_outputs(tree, sampler, design, stream.random(rows))
        return
    key, data = portable(tree)
    jobs = [(key, data, design, start, rows) for start, rows in starts]
    for (start, rows), values in zip(starts, executor.map(remote_step, jobs), strict=True):
        yield start, rows, values


def _design(
    sampler: InputSampler, names: list[str], widths: list[int], uniforms: np.ndarray
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Per input, its values on rows of A and of B: ``(rows, width)`` arrays from the
    ``(rows, 2 * dims)`` uniforms (A's columns first)."""
    dims = sum(widths)
    # Scrambled points lie on a grid of 2**-30 that contains 0; keep every ppf finite.
    half = 2.0**-31
    uniforms = np.clip(uniforms, half, 1 - half)
    x_a, x_b = [], []
    column = 0
    for name, width in zip(names, widths, strict=True):
        law = sampler.laws[name]
        x_a.append(quantiles(law, uniforms[:, column : column + width]))
        x_b.append(quantiles(law, uniforms[:, dims + column : dims + column + width]))
        column += width
    return x_a, x_b


def _frozen(array: np.ndarray) -> np.ndarray:
    array = np.array(array, dtype=float)
    array.flags.writeable = False
    return array
