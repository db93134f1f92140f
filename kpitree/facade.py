"""The facade: :class:`Tree`, the checked model with every analysis as a method.

The model (:class:`kpitree.tree.TreeModel`) knows nodes, formulas and the graph; the analyses
take a model and never import this module. This module sits above both, so the import graph
has one direction: model <- analyses <- facade. Each method has the analysis function's own
signature (``tests/test_facade.py`` compares them), so ``help()`` and tab completion show the
options.

The analyses are imported inside the methods on purpose: they pull in scipy and pandas, and
reading a tree (``kpitree validate``) should not wait for them. That is a deferral, not a
circle: nothing below imports this module.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from kpitree import spec
from kpitree.errors import DataError
from kpitree.tree import Correlation, Overrides, TreeModel

if TYPE_CHECKING:
    from kpitree.actuals import Actuals
    from kpitree.analysis.attribution import Attribution
    from kpitree.analysis.bottleneck import Bottleneck
    from kpitree.analysis.compare import Comparison
    from kpitree.analysis.forecast import Forecast
    from kpitree.analysis.landing import Landing
    from kpitree.analysis.sensitivity import Sensitivity
    from kpitree.analysis.shapley import Shapley
    from kpitree.analysis.sobol import Sobol
    from kpitree.analysis.solution import Solution
    from kpitree.analysis.tornado import Tornado
    from kpitree.measurement import Measurement
    from kpitree.parallel import Executor

Progress = Callable[[int, int], None]
"""A callback told (done, total) as a long analysis runs."""

_FORECAST_CHUNK = 4 * 4096
"""Paths per block of a streaming forecast: ``4 * kpitree.analysis.sampling.BLOCK``."""


class Tree(TreeModel):
    """A checked KPI tree with its analyses (what :func:`load` returns).

    Built like :class:`~kpitree.tree.TreeModel` (same parameters); every method calls the
    analysis of the same name in :mod:`kpitree.analysis` with this tree.
    """

    def compare(
        self,
        actuals: Actuals,
        plan: str | None = None,
        period: str | int | None = None,
        tolerance: float = 0.05,
    ) -> Comparison:
        """Actuals against plan for every node (see :func:`kpitree.analysis.compare.compare`)."""
        from kpitree.analysis.compare import compare

        return compare(self, actuals, plan=plan, period=period, tolerance=tolerance)

    def attribute(
        self,
        actuals: Actuals | None = None,
        *,
        plan: str | None = None,
        to: str | None = None,
        period: str | int | None = None,
        node: str | None = None,
        method: str = "auto",
        previous: bool = False,
    ) -> Attribution:
        """Split the KGI's change into one contribution per input.

        Plan (the tree's values or scenario ``plan``) to ``actuals``, or to scenario ``to``
        when no actuals are given (see :mod:`kpitree.analysis.attribution`). With
        ``previous``: its change from the period before ``period`` to ``period`` on plan (or
        ``actuals``), split per input and per driver carried over (see
        :mod:`kpitree.analysis.period_change`).

        Raises
        ------
        DataError
            When both ``actuals`` and ``to`` are given.
        """
        if previous:
            from kpitree.analysis.period_change import (
                attribute_previous,
                attribute_previous_actuals,
            )

            if to is not None:
                raise DataError(
                    "previous=True explains the change of one state from the previous period: "
                    "give plan (a scenario) or actuals, not a scenario 'to' compare with"
                )
            if actuals is not None:
                return attribute_previous_actuals(
                    self, actuals, plan=plan, period=period, node=node, method=method
                )
            return attribute_previous(self, scenario=plan, period=period, node=node, method=method)

        from kpitree.analysis.attribution import attribute_actuals, attribute_scenarios

        if actuals is not None:
            if to is not None:
                raise DataError("give actuals or a scenario to compare with, not both")
            return attribute_actuals(
                self, actuals, plan=plan, period=period, node=node, method=method
            )
        return attribute_scenarios(self, plan, to, period=period, node=node, method=method)

    def solve(
        self,
        levers: Sequence[str],
        *,
        target: float | None = None,
        mode: str = "uniform",
        weights: Mapping[str, float] | None = None,
        node: str | None = None,
        overrides: Overrides | None = None,
        scenario: str | None = None,
        within: str = "bounds",
        period: str | int | None = None,
    ) -> Solution:
        """The lever values at which the KGI (or ``node``) reaches its target (see
        :func:`kpitree.analysis.solve.solve`)."""
        from kpitree.analysis.solve import solve

        return solve(
            self,
            levers,
            target=target,
            mode=mode,
            weights=weights,
            node=node,
            overrides=overrides,
            scenario=scenario,
            within=within,
            period=period,
        )

    def sensitivity(
        self,
        *,
        period: str | int | None = None,
        overrides: Overrides | None = None,
        scenario: str | None = None,
    ) -> Sensitivity:
        """Exact derivative and elasticity of the KGI to every input (see
        :func:`kpitree.analysis.sensitivity.sensitivity`)."""
        from kpitree.analysis.sensitivity import sensitivity

        return sensitivity(self, period=period, overrides=overrides, scenario=scenario)

    def tornado(
        self,
        *,
        swing: float = 0.1,
        range: str = "swing",
        period: str | int | None = None,
        overrides: Overrides | None = None,
        scenario: str | None = None,
    ) -> Tornado:
        """Each input swung low and high, one at a time (see
        :func:`kpitree.analysis.tornado.tornado`)."""
        from kpitree.analysis.tornado import tornado

        return tornado(
            self, swing=swing, range=range, period=period, overrides=overrides, scenario=scenario
        )

    def bottlenecks(
        self,
        *,
        step: float = 0.1,
        to: str = "near",
        period: str | int | None = None,
        overrides: Overrides | None = None,
        scenario: str | None = None,
    ) -> Bottleneck:
        """Levers ranked by the KGI gain of a realistic move (see
        :func:`kpitree.analysis.bottleneck.bottlenecks`)."""
        from kpitree.analysis.bottleneck import bottlenecks

        return bottlenecks(
            self, step=step, to=to, period=period, overrides=overrides, scenario=scenario
        )

    def forecast(
        self,
        samples: int = 10_000,
        seed: int | None = None,
        *,
        counts: str | None = None,
        node: str | None = None,
        target: float | None = None,
        overrides: Overrides | None = None,
        scenario: str | None = None,
        chunk: int = _FORECAST_CHUNK,
        progress: Progress | None = None,
        by: str | None = None,
        landing: Landing | None = None,
        executor: Executor | None = None,
    ) -> Forecast:
        """Monte Carlo forecast of the KGI (or ``node``) per period (see
        :func:`kpitree.analysis.forecast.forecast`); the inputs ``overrides`` and
        ``scenario`` set are fixed, not drawn."""
        from kpitree.analysis.forecast import forecast

        return forecast(
            self,
            samples,
            seed,
            counts=counts,
            node=node,
            target=target,
            overrides=overrides,
            scenario=scenario,
            chunk=chunk,
            progress=progress,
            by=by,
            landing=landing,
            executor=executor,
        )

    def sobol(
        self,
        samples: int = 4096,
        seed: int | None = None,
        *,
        overrides: Overrides | None = None,
        scenario: str | None = None,
        progress: Progress | None = None,
        executor: Executor | None = None,
    ) -> Sobol:
        """Sobol S1/ST indices of the KGI (see :func:`kpitree.analysis.sobol.sobol`); the
        inputs ``overrides`` and ``scenario`` set are fixed and get no index."""
        from kpitree.analysis.sobol import sobol

        return sobol(
            self,
            samples,
            seed,
            overrides=overrides,
            scenario=scenario,
            progress=progress,
            executor=executor,
        )

    def shapley(
        self,
        samples: int = 4096,
        seed: int | None = None,
        *,
        overrides: Overrides | None = None,
        scenario: str | None = None,
        progress: Progress | None = None,
    ) -> Shapley:
        """Shapley effects of the KGI, with the tree's correlations (see
        :func:`kpitree.analysis.shapley.shapley`)."""
        from kpitree.analysis.shapley import shapley

        return shapley(
            self, samples, seed, overrides=overrides, scenario=scenario, progress=progress
        )

    def measure(self, as_of: dt.date | str | None = None) -> Measurement:
        """Every node with a ``measure:``, measured from the tree's record data period by
        period (see :func:`kpitree.measurement.measure`)."""
        from kpitree.measurement import measure

        return measure(self, as_of)


def load(path: str | Path) -> Tree:
    """Read and check the tree file at ``path``.

    Parameters
    ----------
    path : str or pathlib.Path
        A YAML tree file (format version 1).

    Returns
    -------
    Tree
        The checked tree, with its analyses as methods.

    Raises
    ------
    KpiTreeError
        A subclass saying ``FILE:LINE: what is wrong``.
    """
    return spec.load(path, tree_class=Tree)


def loads(text: str, source: str = "<tree>") -> Tree:
    """Read and check a tree from YAML ``text``; ``source`` names it in messages.

    Parameters
    ----------
    text : str
        The YAML of a tree file.
    source : str, optional
        The name messages give for the text.

    Returns
    -------
    Tree
    """
    return spec.loads(text, source, tree_class=Tree)


__all__ = ["Correlation", "Tree", "load", "loads"]
