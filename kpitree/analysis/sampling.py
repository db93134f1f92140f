"""Draws of the uncertain inputs of a tree, reproducible whatever the chunking.

Every input with a ``distribution`` is uncertain; the others keep their value. ``vary: path``
draws one value per path (a ``(rows, 1)`` column: uncertainty about a rate), ``vary: period``
a fresh value per path and period (a ``(rows, periods)`` array: noise).

Reproducibility: paths are cut into fixed blocks of :data:`BLOCK` paths and block ``b`` draws
from its own generator, seeded by ``SeedSequence(entropy, spawn_key=(b,))`` (what
``SeedSequence(entropy).spawn`` would give as child ``b``). A chunk of paths is a whole number
of blocks, so the numbers do not depend on how the paths are chunked.

Correlations are rank correlations imposed through a Gaussian copula: the Spearman ``rho`` of
the tree becomes the normal correlation ``2 sin(pi rho / 6)`` (for which the copula has rank
correlation exactly ``rho``), and a matrix that this conversion leaves slightly indefinite is
repaired by clipping its negative eigenvalues and rescaling it back to a unit diagonal, so
every marginal stays exact. A path-level input correlated with a
period-level one is correlated with its draw in every period.

Fixed inputs: an input that a scenario or an override sets (``--set``, ``--scenario``) is
*fixed* at that value for the run and not drawn, whether or not it has a distribution, and a
correlation that names it is dropped (see :func:`assumptions`). A "what if win rate were 0.3"
is a decision to hold the input there, not an observation of it, so the other inputs keep their
own laws rather than the laws conditional on it.

Bounds: every law is drawn inside its input's bounds. An open-tailed law (normal, lognormal,
gamma, Poisson) that reaches beyond them is truncated to them when the tree is read
(:meth:`kpitree.distribution.Distribution.within`); :func:`truncations` lists those drawn in a
run with the share of probability cut, and :func:`assumptions` adds a note per input.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import special

from kpitree.distribution import Distribution
from kpitree.errors import DataError
from kpitree.node import Value
from kpitree.tree import Overrides, Tree

BLOCK = 4096
"""Paths per block: each block has its own random generator."""


@dataclass(frozen=True)
class Assumptions:
    """The input values a simulation runs on.

    Attributes
    ----------
    values : dict[str, Value]
        Every input's value: its own, then the scenario's, then the overrides'.
    fixed : dict[str, Value]
        The inputs the scenario or the overrides set, in file order, with their values: held
        there on every path, never drawn.
    scenario : str or None
    notes : tuple of str
        What fixing changed: the distributions not drawn, the correlations dropped; and the
        laws truncated to their bounds.
    truncated : dict[str, float]
        The drawn inputs whose law is truncated to their bounds, in file order, with the share
        of its probability cut (see :func:`truncations`).
    """

    values: dict[str, Value]
    fixed: dict[str, Value]
    scenario: str | None
    notes: tuple[str, ...]
    truncated: dict[str, float] = field(default_factory=dict)


def assumptions(
    tree: Tree, overrides: Overrides | None = None, scenario: str | None = None
) -> Assumptions:
    """The values of a run on ``scenario`` and ``overrides``, and which inputs they fix.

    Raises
    ------
    DataError
        For an unknown scenario or a bad override (see :meth:`kpitree.tree.Tree.input_values`).
    """
    values = tree.input_values(overrides, scenario)
    named = set(overrides or ()) | set(tree.scenarios[scenario] if scenario is not None else ())
    fixed = {name: values[name] for name in tree.inputs if name in named}
    notes = []
    laws = [
        f"{name} ({distribution.dist})"
        for name in fixed
        if (distribution := tree.nodes[name].distribution) is not None
    ]
    if laws:
        notes.append(f"the distributions of the fixed inputs are not drawn: {', '.join(laws)}")
    for correlation in tree.correlations:
        held = [n for n in (correlation.first, correlation.second) if n in fixed]
        if held:
            notes.append(
                f"correlation {correlation.first}-{correlation.second} "
                f"(rho {correlation.rho:g}) dropped: {' and '.join(held)} "
                f"{'is' if len(held) == 1 else 'are'} fixed"
            )
    truncated = truncations(tree, fixed)
    notes += [truncation_note(tree, name, cut) for name, cut in truncated.items()]
    return Assumptions(values, fixed, scenario, tuple(notes), truncated)


def truncations(tree: Tree, fixed: Collection[str] = ()) -> dict[str, float]:
    """The inputs drawn in a run (a distribution, not ``fixed``) whose law is truncated to
    their bounds, in file order, with the share of the law's probability that the bounds cut
    (``{"win_rate": 0.0013}``: 0.13 % of the normal lay outside [0, 1])."""
    found = {}
    for name in tree.inputs:
        distribution = tree.nodes[name].distribution
        if name in fixed or distribution is None or distribution.truncation == (None, None):
            continue
        found[name] = distribution.cut
    return found


def truncation_note(tree: Tree, name: str, cut: float) -> str:
    """``win_rate (normal) is truncated to its bounds [0, 1]: the 0.13 % of its probability
    beyond them is cut``."""
    node = tree.nodes[name]
    law = node.distribution.dist if node.distribution is not None else "?"
    return (
        f"{name} ({law}) is truncated to its bounds {node.describe_bounds()}: the "
        f"{cut_share(cut)} of its probability beyond them is cut"
    )


def cut_share(cut: float) -> str:
    """A share of probability cut, as a percentage: ``30.9 %``, ``< 0.01 %``."""
    return "< 0.01 %" if cut < 1e-4 else f"{100 * cut:.3g} %"


def fixed_dict(fixed: dict[str, Value]) -> dict[str, float | list[float]]:
    """Fixed inputs as JSON-ready values: a number, or a list for one value per period."""
    return {name: list(v) if isinstance(v, tuple) else v for name, v in fixed.items()}


def uncertain_inputs(tree: Tree, fixed: Collection[str] = ()) -> list[str]:
    """The inputs with a distribution that are not ``fixed``, in file order.

    Raises
    ------
    DataError
        For an input that has both one value per period and a distribution: the forecast
        cannot tell whether the distribution replaces the planned values or scales them, so
        it refuses rather than silently dropping the per-period plan.
    """
    names = []
    for name in tree.inputs:
        node = tree.nodes[name]
        if node.distribution is None or name in fixed:
            continue
        if isinstance(node.value, tuple):
            raise DataError(
                f"node '{name}': has one value per period and a distribution; give one value "
                "(the distribution then applies in every period) or remove the distribution",
                node.location,
            )
        names.append(name)
    return names


def generators(entropy: int, first: int, last: int) -> Iterator[np.random.Generator]:
    """The generators of blocks ``first`` .. ``last - 1`` of a run seeded with ``entropy``."""
    for block in range(first, last):
        yield np.random.Generator(
            np.random.PCG64(np.random.SeedSequence(entropy, spawn_key=(block,)))
        )


def _psd_root(matrix: np.ndarray) -> np.ndarray:
    """A square root ``R`` with ``R @ R.T == matrix``, negative eigenvalues clipped to 0.

    Clipping changes the diagonal (a variance of 1.0076 instead of 1 for rank correlations
    0.8, 0.8, 0.28), so each row is rescaled to give back ``matrix``'s own diagonal: the
    marginals stay exact and only the correlations move (``D^-1/2 C D^-1/2``).
    """
    values, vectors = np.linalg.eigh(matrix)
    root = vectors * np.sqrt(np.clip(values, 0.0, None))
    reached = np.einsum("ij,ij->i", root, root)
    wanted = np.clip(np.diag(matrix), 0.0, None)
    scale = np.divide(np.sqrt(wanted), np.sqrt(reached), out=np.ones_like(reached),
                      where=reached > 0)  # fmt: skip
    return root * scale[:, None]


def _quantile(law: Any, normals: np.ndarray) -> np.ndarray:
    """``law``'s values at the normal quantiles ``normals``; the upper half through ``isf`` so
    that large normals keep their precision (``ndtr(9)`` rounds to 1)."""
    out = np.empty_like(normals)
    low = normals < 0
    out[low] = law.ppf(special.ndtr(normals[low]))
    out[~low] = law.isf(special.ndtr(-normals[~low]))
    return out


class InputSampler:
    """Draws every uncertain input of ``tree`` for a block of paths.

    Parameters
    ----------
    tree : Tree
    fixed : collection of str
        Inputs held at a given value: not drawn, and the correlations naming them dropped.
    """

    def __init__(self, tree: Tree, fixed: Collection[str] = ()) -> None:
        self.tree = tree
        self.fixed = frozenset(fixed)
        """Inputs held at their value (set by --set or a scenario, or a solve's levers)."""
        self.periods = tree.period_count
        self.names = uncertain_inputs(tree, fixed)
        self.distributions: dict[str, Distribution] = {
            name: tree.nodes[name].distribution  # type: ignore[misc]
            for name in self.names
        }
        self.laws = {name: d.law() for name, d in self.distributions.items()}
        correlated, spearman = tree.correlation_matrix()
        # The inputs still named by a correlation between two inputs that are drawn: one whose
        # only correlations were with fixed inputs is now independent.
        linked = {
            name
            for c in tree.correlations
            if c.first not in fixed and c.second not in fixed
            for name in (c.first, c.second)
        }
        kept = [i for i, name in enumerate(correlated) if name in linked]
        correlated = [correlated[i] for i in kept]
        spearman = spearman[np.ix_(kept, kept)]
        self.correlated = correlated
        self.independent = [name for name in self.names if name not in correlated]
        # Repaired as a whole before the path/period split, so the conditional Gaussian below
        # is built from a valid correlation matrix and every normal keeps variance 1.
        root = _psd_root(2 * np.sin(np.pi * spearman / 6))
        gaussian = root @ root.T
        self._by_path = [n for n in correlated if self.distributions[n].vary == "path"]
        self._by_period = [n for n in correlated if self.distributions[n].vary == "period"]
        order = [correlated.index(n) for n in self._by_path + self._by_period]
        gaussian = gaussian[np.ix_(order, order)]
        p = len(self._by_path)
        self._path_root = _psd_root(gaussian[:p, :p])
        # Period-level normals given the path-level ones: the conditional Gaussian.
        self._regression = gaussian[p:, :p] @ np.linalg.pinv(gaussian[:p, :p])
        conditional = gaussian[p:, p:] - self._regression @ gaussian[:p, p:]
        self._period_root = _psd_root(conditional)

    def shape(self, name: str, rows: int) -> tuple[int, int]:
        """The array shape of ``name``'s draws for ``rows`` paths."""
        return (rows, self.periods if self.distributions[name].vary == "period" else 1)

    def draw(self, generator: np.random.Generator, rows: int) -> dict[str, np.ndarray]:
        """One block: every uncertain input's draws for ``rows`` paths.

        Independent inputs use scipy's own sampler (numpy's beta, poisson, ... generators:
        as fast as hand-written numpy); correlated ones go through the copula and the ppf.
        """
        values = {
            name: np.asarray(
                self.laws[name].rvs(size=self.shape(name, rows), random_state=generator),
                dtype=float,
            )
            for name in self.independent
        }
        if self.correlated:
            p, q = len(self._by_path), len(self._by_period)
            path = generator.standard_normal((rows, p)) @ self._path_root.T
            for index, name in enumerate(self._by_path):
                values[name] = _quantile(self.laws[name], path[:, index])[:, None]
            if q:
                noise = generator.standard_normal((rows, self.periods, q)) @ self._period_root.T
                period = noise + (path @ self._regression.T)[:, None, :]
                for index, name in enumerate(self._by_period):
                    values[name] = _quantile(self.laws[name], period[:, :, index])
        return values

    def from_uniforms(self, name: str, uniforms: np.ndarray) -> np.ndarray:
        """``name``'s values at the quantiles ``uniforms`` (for quasi-random designs)."""
        return np.asarray(self.laws[name].ppf(uniforms), dtype=float)


def seed_entropy(seed: int | None) -> int:
    """The entropy of the random streams: ``seed`` itself, or a fresh one from the operating
    system when ``None`` (reported in results so any run can be repeated).

    Raises
    ------
    DataError
        When ``seed`` is not a whole number >= 0.
    """
    if seed is not None and (
        isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0
    ):
        raise DataError(f"seed must be a whole number >= 0, found {seed!r}")
    return int(np.random.SeedSequence(seed).entropy)  # type: ignore[arg-type]
