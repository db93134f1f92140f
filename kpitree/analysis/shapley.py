"""Shapley effects of the KGI at the last period: variance shares that stay meaningful when the
inputs are correlated (Owen 2014; Song, Nelson and Staum 2016).

The Shapley effect of input i is its average, over every order in which the inputs could be
revealed, of the variance explained when i is added to the inputs before it. With the cost of a
set J taken as ``c(J) = E[Var(Y | X_{-J})]`` (what stays unexplained when every input outside J
is known), ``Sh_i = mean over orders of c(before_i + {i}) - c(before_i)``; the effects add up to
``Var(Y)`` whatever the correlations, and for independent inputs ``S1_i <= Sh_i <= ST_i``.

Estimator: Song et al.'s random permutations. Per order, for each leading set J of it, one
point of the inputs outside J is drawn and then ``INNER`` points of the inputs in J given it;
the sample variance of the KGI over those (unbiased) estimates ``Var(Y | X_{-J})``, and the
differences along the order are that order's contribution of each input. ``Var(Y)`` itself
comes from ``VARIANCE_DRAWS * orders`` independent draws. The effects are the means over the
orders divided by ``Var(Y)``; the standard error comes from the spread over the (independent)
orders, plus the delta-method term of the error of ``Var(Y)``.

Exact conditional draws: the tree's inputs are the marginals of a Gaussian copula (see
:mod:`kpitree.analysis.sampling`), so in normal space they are jointly Gaussian and the
normals of J given the others are Gaussian with mean ``B z_rest`` and covariance
``S_JJ - B S_rest,J``, ``B = S_J,rest S_rest,rest^+``. Draws are made there and mapped through
each input's quantile function, as the forecast maps its draws. An input that varies by period
is one player: its draws for every period move together.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from kpitree.analysis.memory import available_memory
from kpitree.analysis.quantiles import is_discrete, quantiles
from kpitree.analysis.sampling import (
    InputSampler,
    _psd_root,
    _quantile,
    assumptions,
    fixed_dict,
    seed_entropy,
)
from kpitree.errors import DataError
from kpitree.node import Value
from kpitree.results import Shown, last_label
from kpitree.tree import Overrides, Tree

INNER = 3
"""Draws of the inputs in J per point of the others (Song et al. recommend 3)."""

VARIANCE_DRAWS = 4
"""Independent draws for ``Var(Y)``, per order."""

MAX_INPUTS = 60
"""Players a run takes: the sets of inputs are kept as 64-bit masks."""

CHUNK = 16_384
"""Rows per engine call."""

MEMORY_SHARE = 0.5
"""The largest share of the available memory a run may plan to use."""


@dataclass(frozen=True, repr=False)
class Shapley(Shown):
    """Shapley effects of the KGI (at the last period) for every uncertain input.

    Attributes
    ----------
    tree : Tree
    orders : int
        Random orders of the inputs (permutations) the effects average over.
    seed : int
        The seed used (drawn from the operating system when none was given).
    names : tuple of str
        The uncertain inputs, in file order.
    effects, effects_se : numpy.ndarray
        Shapley effects as shares of ``Var(Y)`` (they add up to 1) and their standard errors.
    variance : float
        The estimated variance of the KGI.
    evaluations : int
        Model evaluations: ``VARIANCE_DRAWS * orders + orders * (k - 1) * INNER``.
    notes : tuple of str
        Caveats to show with the result (inputs fixed, correlations dropped).
    scenario : str or None
    fixed : dict[str, Value]
        The inputs set by the scenario or the overrides: held at these values, no effect.
    correlated : bool
        Whether correlations between the uncertain inputs were taken into account.
    """

    tree: Tree
    orders: int
    seed: int
    names: tuple[str, ...]
    effects: np.ndarray
    effects_se: np.ndarray
    variance: float
    evaluations: int
    notes: tuple[str, ...] = ()
    scenario: str | None = None
    fixed: dict[str, Value] = field(default_factory=dict)
    correlated: bool = False

    @property
    def effects_conf(self) -> np.ndarray:
        """Half-widths of 95 % confidence intervals: ``1.96 * effects_se``."""
        return 1.959963984540054 * self.effects_se

    def to_frame(self) -> pd.DataFrame:
        """One row per input (index ``input``), columns Sh, Sh_se, Sh_conf."""
        return pd.DataFrame(
            {"Sh": self.effects, "Sh_se": self.effects_se, "Sh_conf": self.effects_conf},
            index=pd.Index(self.names, name="input"),
        )

    def to_dict(self) -> dict[str, Any]:
        """``{"tree", "kgi", "period", "seed", "orders", "evaluations", "variance",
        "correlated", "scenario", "fixed", "effects": [{"input", "Sh", "Sh_se", "Sh_conf"},
        ...]}``: ``period`` is the last period's label, the one explained."""
        return {
            "tree": self.tree.name,
            "kgi": self.tree.kgi,
            "period": last_label(self.tree),
            "seed": self.seed,
            "orders": self.orders,
            "evaluations": self.evaluations,
            "variance": self.variance,
            "correlated": self.correlated,
            "scenario": self.scenario,
            "fixed": fixed_dict(self.fixed),
            "effects": [
                {
                    "input": name,
                    "Sh": float(self.effects[i]),
                    "Sh_se": float(self.effects_se[i]),
                    "Sh_conf": float(self.effects_conf[i]),
                }
                for i, name in enumerate(self.names)
            ],
        }

    def plot(self, ax: Any = None, **style: Any) -> Any:
        """Bar chart of the effects (see :func:`kpitree.plots.sobol.plot_shapley`)."""
        from kpitree.plots.sobol import plot_shapley

        return plot_shapley(self, ax=ax, **style)

    _repr_fields = ("seed", "scenario")


def normal_covariance(sampler: InputSampler, widths: list[int]) -> np.ndarray:
    """The covariance of the normals behind ``sampler``'s draws, one row per (input, period).

    Built from the sampler's own copula matrices so that the conditional draws follow exactly
    the law the forecast samples: path-level normals ``P P'``; a period-level one is its
    period's noise plus the regression on the path-level ones, so two of them covary by
    ``R S_pp R'`` across periods and by that plus the noise's covariance within a period.
    """
    names = sampler.names
    starts = np.concatenate([[0], np.cumsum(widths)]).astype(int)
    dims = int(starts[-1])
    covariance = np.eye(dims)
    by_path, by_period = sampler._by_path, sampler._by_period
    if not by_path and not by_period:
        return covariance
    path = sampler._path_root @ sampler._path_root.T
    cross = sampler._regression @ path  # period-level with path-level
    shared = cross @ sampler._regression.T  # period-level with period-level, any two periods
    noise = sampler._period_root @ sampler._period_root.T
    for i, first in enumerate(by_path):
        a = starts[names.index(first)]
        for j, second in enumerate(by_path):
            covariance[a, starts[names.index(second)]] = path[i, j]
        for q, second in enumerate(by_period):
            b = starts[names.index(second)]
            covariance[a, b : b + widths[names.index(second)]] = cross[q, i]
            covariance[b : b + widths[names.index(second)], a] = cross[q, i]
    for q, first in enumerate(by_period):
        a, width = starts[names.index(first)], widths[names.index(first)]
        for r, second in enumerate(by_period):
            b = starts[names.index(second)]
            block = np.full((width, width), shared[q, r]) + np.eye(width) * noise[q, r]
            covariance[a : a + width, b : b + width] = block
    return covariance


def shapley(
    tree: Tree,
    samples: int = 4096,
    seed: int | None = None,
    *,
    overrides: Overrides | None = None,
    scenario: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Shapley:
    """Shapley effects of the KGI at the last period, with the tree's correlations.

    Parameters
    ----------
    tree : Tree
    samples : int
        The number of random orders (at least 2); the model is evaluated
        ``samples * (VARIANCE_DRAWS + (k - 1) * INNER)`` times for ``k`` uncertain inputs.
    seed : int, optional
        The same seed gives the same effects.
    overrides : mapping, optional
        Input values that replace the tree's; each input set here is fixed: not a player, no
        effect, and a correlation naming it is dropped.
    scenario : str, optional
        A scenario of the tree; the inputs it sets are fixed likewise (overrides win).
    progress : callable, optional
        Called as ``progress(done, total)`` with rows evaluated so far.

    Returns
    -------
    Shapley

    Raises
    ------
    DataError
        When ``samples`` is not a whole number >= 2 or needs more than half the memory
        available, no input that is not fixed has a distribution, the scenario is unknown,
        an override is not an input's value, or the KGI does not vary.
    """
    if isinstance(samples, bool) or not isinstance(samples, int | np.integer) or samples < 2:
        raise DataError(
            f"samples (the number of random orders) must be a whole number >= 2, found {samples!r}"
        )
    m = int(samples)
    plan = assumptions(tree, overrides, scenario)
    sampler = InputSampler(tree, plan.fixed)
    names = sampler.names
    if not names:
        raise DataError(
            f"tree '{tree.name}': no input that is not fixed has a distribution, so there is "
            "nothing to vary"
        )
    k = len(names)
    if k > MAX_INPUTS:
        raise DataError(
            f"tree '{tree.name}': {k} uncertain inputs; Shapley effects take at most {MAX_INPUTS}"
        )
    widths = [tree.period_count if sampler.distributions[x].vary == "period" else 1 for x in names]
    dims = sum(widths)
    draws = VARIANCE_DRAWS * m
    rows = draws + m * (k - 1) * INNER
    need = 8 * rows * (3 * dims + 4)
    available = available_memory()
    if available is not None and need > MEMORY_SHARE * available:
        raise DataError(
            f"samples {m:,} with {k} uncertain inputs would need about {need / 2**30:.1f} GiB "
            f"of memory, more than half of the {available / 2**30:.1f} GiB available"
        )
    entropy = seed_entropy(seed)
    generator = np.random.default_rng(entropy)
    covariance = normal_covariance(sampler, widths)
    root = _psd_root(covariance)
    orders = generator.permuted(np.tile(np.arange(k), (m, 1)), axis=1)
    normals = np.empty((rows, dims))
    normals[:draws] = generator.standard_normal((draws, dims)) @ root.T
    normals[draws:] = _conditional_normals(generator, covariance, root, orders, widths)
    outputs = _evaluate(tree, plan.values, sampler, names, widths, normals, progress)
    y_total, y_cond = outputs[:draws], outputs[draws:].reshape(m, k - 1, INNER)
    variance = float(np.var(y_total, ddof=1))
    if variance == 0 or np.ptp(outputs) == 0:
        raise DataError(
            f"KGI '{tree.kgi}' takes the same value on every sample: its variance is 0 and the "
            "Shapley effects are undefined"
        )
    # c(J) along each order: 0 for no input, the conditional variances, Var(Y) for all.
    cost = np.concatenate(
        [np.zeros((m, 1)), np.var(y_cond, axis=2, ddof=1), np.full((m, 1), variance)], axis=1
    )
    share = np.empty((m, k))
    np.put_along_axis(share, orders, np.diff(cost, axis=1) / variance, axis=1)
    effects = share.mean(axis=0)
    # Error of Var(Y): the effects are A_i / V + (share of orders ending with i), so V's error
    # enters through A_i / V = effect - last_i.
    last = np.bincount(orders[:, -1], minlength=k) / m
    fourth = np.mean((y_total - y_total.mean()) ** 4)
    variance_se = np.sqrt(max(fourth - variance**2, 0.0) / draws)
    effects_se = np.sqrt(
        share.var(axis=0, ddof=1) / m + ((effects - last) * variance_se / variance) ** 2
    )
    return Shapley(
        tree, m, entropy, tuple(names), _frozen(effects), _frozen(effects_se), variance, rows,
        notes=plan.notes, scenario=plan.scenario, fixed=plan.fixed,
        correlated=bool(np.any(covariance != np.eye(dims))),
    )  # fmt: skip


def _conditional_normals(
    generator: np.random.Generator,
    covariance: np.ndarray,
    root: np.ndarray,
    orders: np.ndarray,
    widths: list[int],
) -> np.ndarray:
    """For each order and each leading set J of it (of 1 .. k - 1 inputs): one draw of every
    normal, then ``INNER`` draws of J's normals given the others'. Rows ordered by order, then
    set, then inner draw."""
    m, k = orders.shape
    dims = covariance.shape[0]
    starts = np.concatenate([[0], np.cumsum(widths)]).astype(int)
    outer = generator.standard_normal((m * (k - 1), dims)) @ root.T
    out = np.repeat(outer[:, None, :], INNER, axis=1)
    # Each leading set as a bit mask, so the sets shared by several orders are solved once.
    masks = np.cumsum(np.left_shift(1, orders[:, :-1].astype(np.int64)), axis=1).ravel()
    unique, inverse = np.unique(masks, return_inverse=True)
    grouped = np.argsort(inverse, kind="stable")
    bounds = np.searchsorted(inverse[grouped], np.arange(len(unique) + 1))
    for index, mask in enumerate(unique):
        where = grouped[bounds[index] : bounds[index + 1]]
        members = [i for i in range(k) if (int(mask) >> i) & 1]
        inside = np.concatenate([np.arange(starts[i], starts[i + 1]) for i in members])
        outside = np.setdiff1d(np.arange(dims), inside)
        between = covariance[np.ix_(inside, outside)]
        if np.any(between):
            slope = between @ np.linalg.pinv(covariance[np.ix_(outside, outside)])
            mean = outer[np.ix_(where, outside)] @ slope.T
            spread = _psd_root(covariance[np.ix_(inside, inside)] - slope @ between.T)
        else:  # independent of the rest: the marginal law
            mean = np.zeros((len(where), len(inside)))
            spread = _psd_root(covariance[np.ix_(inside, inside)])
        noise = generator.standard_normal((len(where), INNER, len(inside))) @ spread.T
        out[where[:, None, None], np.arange(INNER)[None, :, None], inside[None, None, :]] = (
            mean[:, None, :] + noise
        )
    return out.reshape(-1, dims)


def _evaluate(
    tree: Tree,
    values: dict[str, Value],
    sampler: InputSampler,
    names: list[str],
    widths: list[int],
    normals: np.ndarray,
    progress: Callable[[int, int], None] | None,
) -> np.ndarray:
    """The KGI at the last period for every row of normals, mapped through the marginals."""
    rows = len(normals)
    outputs = np.empty(rows)
    starts = np.concatenate([[0], np.cumsum(widths)]).astype(int)
    for start in range(0, rows, CHUNK):
        stop = min(rows, start + CHUNK)
        inputs = dict(values)
        for i, name in enumerate(names):
            part = normals[start:stop, starts[i] : starts[i + 1]]
            inputs[name] = _marginal(sampler.laws[name], part)  # type: ignore[assignment]
        run = tree.engine.run(inputs, samples=stop - start, nodes=(tree.kgi,))
        outputs[start:stop] = run[tree.kgi][:, -1]
        if progress is not None:
            progress(stop, rows)
    return outputs


def _marginal(law: Any, normals: np.ndarray) -> np.ndarray:
    """``law``'s values at the normal quantiles ``normals``: continuous laws as the forecast
    maps them (precise in the upper tail), discrete ones through their cdf table."""
    if is_discrete(law):
        return quantiles(law, special.ndtr(normals))
    return _quantile(law, normals)


def _frozen(array: np.ndarray) -> np.ndarray:
    array = np.array(array, dtype=float)
    array.flags.writeable = False
    return array
