"""One step of a Sobol design's rows, computed here or on a worker (:mod:`kpitree.parallel`).

The design is one scrambled Sobol' sequence; the points of rows ``start .. start + rows - 1``
are the same whether the sequence was drawn up to ``start`` or fast-forwarded there, so a
worker computes its step's outputs exactly as the sequential run does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.stats import qmc

from kpitree.analysis.sampling import InputSampler
from kpitree.node import Value
from kpitree.parallel import rebuilt
from kpitree.tree import Tree


@dataclass(frozen=True)
class DesignPlan:
    """What every step of one Sobol run needs, apart from the tree (picklable)."""

    values: Mapping[str, Value]
    fixed: tuple[str, ...]
    entropy: int
    names: tuple[str, ...]
    widths: tuple[int, ...]


def design_stream(plan: DesignPlan) -> Any:
    """The scrambled Sobol' sequence of the run, at its first point."""
    dims = sum(plan.widths)
    return qmc.Sobol(d=2 * dims, scramble=True, seed=np.random.default_rng(plan.entropy))


def design_outputs(
    tree: Tree, sampler: InputSampler, plan: DesignPlan, uniforms: np.ndarray
) -> np.ndarray:
    """The KGI at the last period on blocks A, B, AB_1 .. AB_k of these rows: ``(k + 2,
    rows)``."""
    from kpitree.analysis.sobol import _design

    rows = len(uniforms)
    k = len(plan.names)
    x_a, x_b = _design(sampler, list(plan.names), list(plan.widths), uniforms)
    inputs: dict[str, Any] = dict(plan.values)
    for i, name in enumerate(plan.names):
        # Blocks A, B, AB_1 .. AB_k: input i takes B's values in block B and in AB_i.
        inputs[name] = np.concatenate(
            [x_b[i] if block in (1, i + 2) else x_a[i] for block in range(k + 2)]
        )
    run = tree.engine.run(inputs, samples=rows * (k + 2), nodes=(tree.kgi,))
    return run[tree.kgi][:, -1].reshape(k + 2, rows)


def remote_step(job: tuple[str, bytes, DesignPlan, int, int]) -> np.ndarray:
    """One step on a worker: the tree rebuilt once per process, the sequence fast-forwarded
    to the step's first row."""
    key, data, plan, start, rows = job
    tree = rebuilt(key, data)
    stream = design_stream(plan)
    if start:  # scipy's fast_forward(0) fails on a fresh sequence
        stream.fast_forward(start)
    return design_outputs(tree, InputSampler(tree, plan.fixed), plan, stream.random(rows))
