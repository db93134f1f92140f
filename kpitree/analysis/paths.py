"""Path sources: the goal on every simulated path, for given lever values, from fixed draws.

A probabilistic solve asks the same question many times ("how many paths reach the target
with the levers here?") and must see the same paths every time, so that the estimated
probability moves only because the levers moved (common random numbers). A *path source* is
any callable ``source(changes) -> values``: ``changes`` maps input names to a value or to an
array with one row per path, and ``values`` is the node at the last period on every path, from
draws fixed once for all calls. :class:`ForecastPaths` is the one built from the tree's own
distributions (what ``forecast`` draws); a landing forecast from actuals, or rates learnt from
data, can supply another with the same call.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from kpitree.analysis.memory import IN_MEMORY_BYTES
from kpitree.analysis.sampling import BLOCK, InputSampler, assumptions, generators, seed_entropy
from kpitree.errors import DataError
from kpitree.node import Value
from kpitree.tree import Overrides, Tree

if TYPE_CHECKING:
    from kpitree.analysis.landing import Landing

Changes = Mapping[str, "Value | np.ndarray"]


class PathSource(Protocol):
    """The node at the last period on every path, for the inputs in ``changes``."""

    samples: int
    """Number of paths (the length of every answer)."""
    seed: int
    """The seed the draws came from."""

    def __call__(self, changes: Changes) -> np.ndarray:
        """``(samples,)`` values; ``changes`` hold a value or one row per path for an input."""
        ...


class ForecastPaths:
    """The paths of :func:`kpitree.analysis.forecast.forecast`, with some inputs set per call.

    The inputs in ``varied`` are held out of the draws (as a forecast holds out an input set by
    ``--set``), so the draws of the others are the same whatever values they are given.

    Parameters
    ----------
    tree : Tree
    samples : int
        Number of paths (at least 2).
    seed : int, optional
        Seed of the draws (a fresh one when ``None``; reported in ``seed``).
    varied : collection of str
        The inputs each call sets (the levers).
    node : str, optional
        The node returned (default the KGI).
    overrides, scenario
        Fixed input values for every call, as in a forecast.
    landing : Landing, optional
        Paths of a landing forecast (:mod:`kpitree.analysis.landing`): up to its cut-off every
        input, the levers too, is its actual; its learned rates are drawn from their posteriors,
        from the same streams as :func:`~kpitree.analysis.forecast.forecast` draws them.
    """

    def __init__(
        self,
        tree: Tree,
        samples: int,
        seed: int | None = None,
        *,
        varied: Collection[str] = (),
        node: str | None = None,
        overrides: Overrides | None = None,
        scenario: str | None = None,
        landing: Landing | None = None,
    ) -> None:
        if isinstance(samples, bool) or not isinstance(samples, int | np.integer) or samples < 2:
            raise DataError(f"samples must be a whole number >= 2, found {samples!r}")
        self.tree = tree
        self.samples = int(samples)
        self.seed = seed_entropy(seed)
        self.node = tree.kgi if node is None else tree.node(node).name
        self.landing = landing
        fixed_overrides = dict(overrides or {})
        for name in varied:
            # Held out of the draws like an input set by --set; its value comes with each call.
            fixed_overrides.setdefault(name, tree.input_values(overrides, scenario)[name])
        self.plan = assumptions(tree, fixed_overrides, scenario)
        self._sampler = InputSampler(tree, self.plan.fixed)
        columns = sum(
            np.prod(self._sampler.shape(name, 1)) for name in self._sampler.names
        )  # values per path
        self._cached: list[dict[str, np.ndarray]] | None = None
        if self.samples * max(int(columns), 1) * 8 <= IN_MEMORY_BYTES:
            self._cached = list(self._blocks())

    def _blocks(self) -> list[dict[str, np.ndarray]]:
        count = -(-self.samples // BLOCK)
        blocks = []
        for index, generator in enumerate(generators(self.seed, 0, count)):
            size = min(BLOCK, self.samples - index * BLOCK)
            block: dict[str, Any] = self._sampler.draw(generator, size)
            if self.landing is not None:
                # As a forecast's chunk: the draws, then the actuals and posterior draws.
                inputs: dict[str, Any] = {**self.plan.values, **block}
                self.landing.pin(
                    self.tree, self.plan.values, inputs, [generator], [size], self._sampler.fixed
                )
                block = inputs
            blocks.append(block)
        return blocks

    def __call__(self, changes: Changes) -> np.ndarray:
        """The node at the last period on every path, with ``changes`` set (see the module)."""
        draws = self._cached if self._cached is not None else self._blocks()
        out = np.empty(self.samples)
        engine = self.tree.engine
        start = 0
        for block in draws:
            rows = min(BLOCK, self.samples - start)  # every block is BLOCK paths but the last
            inputs: dict[str, Value | np.ndarray] = dict(self.plan.values)
            inputs.update(block)
            for name, value in changes.items():
                array = np.asarray(value, dtype=float)
                per_path = array.ndim == 2 and array.shape[0] == self.samples
                inputs[name] = array[start : start + rows] if per_path else value
            if self.landing is not None:
                # A lever moves the periods after the cut-off; those before it happened.
                self.landing.hold_past(self.tree, self.plan.values, inputs, list(changes))
            run = engine.run(inputs, samples=rows, nodes=(self.node,), free=True, nonfinite={})
            out[start : start + rows] = run[self.node][:, -1]
            start += rows
        return out
