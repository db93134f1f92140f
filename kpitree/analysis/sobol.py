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

Confidence intervals come from the spread over independent scrambles, not a bootstrap: the
N points are drawn as ``R`` independently scrambled Sobol' sets of ``N / R`` points, the
indices are estimated on all N points together, and the 95 % interval half-width is
``t(0.975, R - 1) * sd(replicate estimates) / sqrt(R)``. It costs no extra evaluation and no
resampling (a 100-fold bootstrap of N x k arrays costs more than the model here).

An input that varies by period is one factor: its T draws move together (a group index).
The indices assume independent inputs: a tree's correlations are ignored here and the result
says so in its ``notes``.

On a scenario or with overrides, the inputs they set are fixed at those values (see
:mod:`kpitree.analysis.sampling`): a fixed input is not a factor, so it has no index (its
variance share is 0), and the other inputs' indices are shares of the variance left.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from scipy.stats import qmc

from kpitree.analysis.sampling import InputSampler, assumptions, fixed_dict, seed_entropy
from kpitree.errors import DataError
from kpitree.node import Value
from kpitree.tree import Overrides, Tree

REPLICATES = 8
"""Independent scrambles used for the confidence intervals."""

CHUNK = 16_384
"""Design rows per engine call."""


@dataclass(frozen=True)
class Sobol:
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
        """``{"kgi", "samples", "scenario", "fixed", "indices": [{"name", "S1", "S1_conf",
        "ST", "ST_conf"}, ...]}``; ``fixed`` maps each fixed input to its value."""
        return {
            "kgi": self.tree.kgi,
            "samples": self.samples,
            "scenario": self.scenario,
            "fixed": fixed_dict(self.fixed),
            "indices": [
                {
                    "name": name,
                    "S1": float(self.S1[i]),
                    "S1_conf": float(self.S1_conf[i]),
                    "ST": float(self.ST[i]),
                    "ST_conf": float(self.ST_conf[i]),
                }
                for i, name in enumerate(self.names)
            ],
        }

    def plot(self, ax: Any = None) -> Any:
        """Bar chart of S1 and ST (see :func:`kpitree.plots.sobol.plot_sobol`)."""
        from kpitree.plots.sobol import plot_sobol

        return plot_sobol(self, ax=ax)


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
    if center is None:
        center = float(np.concatenate([y_a, y_b, y_ab.ravel()]).mean())
    a = y_a[:, None] - center
    b = y_b[:, None] - center
    ab = y_ab - center
    variance = np.var(np.concatenate([y_a, y_b]))
    first = np.mean(b * (ab - a), axis=0) / variance
    total = 0.5 * np.mean((a - ab) ** 2, axis=0) / variance
    return first, total


def _check_samples(samples: int) -> int:
    if (
        isinstance(samples, bool)
        or not isinstance(samples, int | np.integer)
        or samples < 8 * REPLICATES
        or samples & (samples - 1)
    ):
        raise DataError(
            f"samples must be a power of two >= {8 * REPLICATES} (Sobol' points come in "
            f"powers of two), found {samples!r}"
        )
    return int(samples)


def sobol(
    tree: Tree,
    samples: int = 4096,
    seed: int | None = None,
    *,
    overrides: Overrides | None = None,
    scenario: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Sobol:
    """Sobol S1 and ST indices of the KGI at the last period.

    Parameters
    ----------
    tree : Tree
    samples : int
        N, a power of two (at least 64); the model is evaluated ``N * (k + 2)`` times for
        ``k`` uncertain inputs.
    seed : int, optional
        Seed of the scrambles; the same seed gives the same indices.
    overrides : mapping, optional
        Input values that replace the tree's; each input set here is fixed at its value: not
        a factor, no index, and a correlation naming it is dropped.
    scenario : str, optional
        A scenario of the tree; the inputs it sets are fixed likewise (overrides win).
    progress : callable, optional
        Called as ``progress(done, total)`` with design rows evaluated so far.

    Returns
    -------
    Sobol

    Raises
    ------
    DataError
        When ``samples`` is not a power of two, no input that is not fixed has a distribution,
        the scenario is unknown, an override is not an input's value, or the KGI does not vary.
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
    periods = tree.period_count
    widths = [periods if sampler.distributions[x].vary == "period" else 1 for x in names]
    entropy = seed_entropy(seed)
    x_a, x_b = _design(sampler, names, widths, n, entropy)
    k = len(names)
    total = n * (k + 2)
    base = plan.values
    outputs = np.empty(total)
    for start in range(0, total, CHUNK):
        stop = min(total, start + CHUNK)
        inputs = dict(base)
        for i, name in enumerate(names):
            inputs[name] = _rows(x_a[i], x_b[i], i, start, stop, n)
        run = tree.engine.run(inputs, samples=stop - start, nodes=(tree.kgi,))
        outputs[start:stop] = run[tree.kgi][:, -1]
        if progress is not None:
            progress(stop, total)
    y_a, y_b = outputs[:n], outputs[n : 2 * n]
    y_ab = outputs[2 * n :].reshape(k, n).T
    if np.ptp(np.concatenate([y_a, y_b])) == 0:
        raise DataError(
            f"KGI '{tree.kgi}' takes the same value on every sample: its variance is 0 and the "
            "Sobol indices are undefined"
        )
    center = float(outputs.mean())
    first, total_order = sobol_indices(y_a, y_b, y_ab, center)
    part = n // REPLICATES
    replicas = [
        sobol_indices(y_a[s], y_b[s], y_ab[s], center)
        for s in (slice(j * part, (j + 1) * part) for j in range(REPLICATES))
    ]
    t = stats.t.ppf(0.975, REPLICATES - 1) / np.sqrt(REPLICATES)
    first_conf = t * np.std([r[0] for r in replicas], axis=0, ddof=1)
    total_conf = t * np.std([r[1] for r in replicas], axis=0, ddof=1)
    notes = plan.notes
    kept = [
        c for c in tree.correlations if c.first not in plan.fixed and c.second not in plan.fixed
    ]
    if kept:
        pairs = ", ".join(f"{c.first}-{c.second}" for c in kept)
        notes += (
            f"the tree correlates {pairs}; these indices assume independent inputs and were "
            "computed with the correlations ignored",
        )
    return Sobol(
        tree, n, entropy, tuple(names),
        *(_frozen(x) for x in (first, first_conf, total_order, total_conf)), notes=notes,
        scenario=plan.scenario, fixed=plan.fixed,
    )  # fmt: skip


def _design(
    sampler: InputSampler, names: list[str], widths: list[int], n: int, entropy: int
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Per input, its values on A and on B: ``(N, width)`` arrays, from ``REPLICATES``
    independently scrambled Sobol' sets of ``N / REPLICATES`` points stacked."""
    dims = sum(widths)
    part = n // REPLICATES
    points = []
    for child in np.random.SeedSequence(entropy).spawn(REPLICATES):
        engine = qmc.Sobol(d=2 * dims, scramble=True, seed=np.random.default_rng(child))
        points.append(engine.random_base2(int(np.log2(part))))
    uniforms = np.vstack(points)
    # Scrambled points lie on a grid of 2**-30 that contains 0; keep every ppf finite.
    half = 2.0**-31
    uniforms = np.clip(uniforms, half, 1 - half)
    x_a, x_b = [], []
    column = 0
    for name, width in zip(names, widths, strict=True):
        x_a.append(sampler.from_uniforms(name, uniforms[:, column : column + width]))
        x_b.append(sampler.from_uniforms(name, uniforms[:, dims + column : dims + column + width]))
        column += width
    return x_a, x_b


def _rows(
    x_a: np.ndarray, x_b: np.ndarray, factor: int, start: int, stop: int, n: int
) -> np.ndarray:
    """Design rows ``start:stop`` of one input: blocks of N rows A, B, AB_1, ..., AB_k, where
    the input takes B's values in block B and in its own AB block, A's elsewhere."""
    pieces = []
    row = start
    while row < stop:
        block, offset = divmod(row, n)
        end = min(stop, (block + 1) * n)
        source = x_b if block == 1 or block == factor + 2 else x_a
        pieces.append(source[offset : offset + end - row])
        row = end
    return np.concatenate(pieces)


def _frozen(array: np.ndarray) -> np.ndarray:
    array = np.array(array, dtype=float)
    array.flags.writeable = False
    return array
