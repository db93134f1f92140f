"""One chunk of forecast paths, computed here or on a worker (:mod:`kpitree.parallel`).

A chunk is a whole number of random blocks, each drawn from its own seeded stream, so its
values depend only on the seed and the chunk's first and last path: computed in this process
or on a Dask worker, chunk by chunk they are the same numbers, and the forecast adds them up
in the same order.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from kpitree.analysis.counts import BlockDraws
from kpitree.analysis.sampling import BLOCK, InputSampler, generators
from kpitree.engine import Engine
from kpitree.node import Value
from kpitree.parallel import rebuilt
from kpitree.rollup import aggregate, reads, roll_paths, rules
from kpitree.tree import Tree

if TYPE_CHECKING:
    from kpitree.analysis.landing import Landing

Chunk = tuple[np.ndarray, np.ndarray, dict[str, int]]
"""``(rows, columns) values summarised, (rows,) values at the last period, per node the paths
on which a formula hid a non-finite part)``."""


@dataclass(frozen=True)
class ChunkPlan:
    """What every chunk of one forecast needs, apart from the tree (picklable)."""

    values: Mapping[str, Value]
    fixed: Collection[str]
    entropy: int
    samples: int
    needed: tuple[str, ...]
    name: str
    by: str | None
    counts: str | None
    landing: Landing | None = None
    """A landing forecast's actuals and learned rates (see :mod:`kpitree.analysis.landing`)."""
    judged: tuple[int, int] | None = None
    """The 0-based span of a quarter or year target: each path's "last" value is then the
    node's roll-up over it (:func:`kpitree.rollup.aggregate`), not its last period's."""


def chunk_inputs(
    tree: Tree,
    values: Mapping[str, Value],
    sampler: InputSampler,
    blocks: BlockDraws,
    entropy: int,
    span: tuple[int, int, int],
    landing: Landing | None,
) -> dict[str, Any]:
    """Every input's values for paths ``start .. stop - 1`` of ``samples``, each block drawn
    from its own generator (left in ``blocks`` for count draws); a landing forecast's actuals
    and posterior draws put in after the normal draws, so the streams stay the same."""
    start, stop, samples = span
    first, last = start // BLOCK, -(-stop // BLOCK)
    blocks.generators = list(generators(entropy, first, last))
    blocks.sizes = [min(BLOCK, samples - b * BLOCK) for b in range(first, last)]
    draws = [
        sampler.draw(generator, size)
        for generator, size in zip(blocks.generators, blocks.sizes, strict=True)
    ]
    inputs: dict[str, Any] = dict(values)
    for input_name in sampler.names:
        inputs[input_name] = np.concatenate([draw[input_name] for draw in draws])
    if landing is not None:
        landing.pin(tree, values, inputs, blocks.generators, blocks.sizes, sampler.fixed)
    return inputs


def forecast_chunk(
    tree: Tree,
    engine: Engine,
    sampler: InputSampler,
    blocks: BlockDraws,
    plan: ChunkPlan,
    start: int,
    stop: int,
) -> Chunk:
    """Paths ``start`` .. ``stop - 1``: draw their blocks, run the engine, summarise."""
    inputs = chunk_inputs(
        tree, plan.values, sampler, blocks, plan.entropy, (start, stop, plan.samples), plan.landing
    )
    flagged: dict[str, np.ndarray] = {}
    run = engine.run(inputs, samples=stop - start, nodes=plan.needed, free=True, nonfinite=flagged)
    name = plan.name
    values = run[name] if plan.by is None else roll_paths(tree, run, name, plan.by)[1]
    counted = {node: int(rows.sum()) for node, rows in flagged.items()}
    if plan.judged is None:
        return np.ascontiguousarray(values), np.array(run[name][:, -1]), counted
    first, last = plan.judged
    rule = rules(tree)[name]
    parts = {other: run[other] for other in {name} | reads(tree, rule)}
    span = aggregate(tree, parts, [range(first, last + 1)])[name][:, 0]
    return np.ascontiguousarray(values), np.array(span, dtype=float), counted


_WORKER: dict[str, Any] = {}
"""Per worker process: the engine, sampler and block draws of the forecast last run there."""


def remote_chunk(job: tuple[str, bytes, ChunkPlan, int, int]) -> Chunk:
    """One chunk on a worker: the tree rebuilt and its engine built once per process."""
    from kpitree.analysis.forecast import _engine

    key, data, plan, start, stop = job
    tree = rebuilt(key, data)
    state_key = f"{key}:{plan.counts}:{sorted(plan.fixed)}"
    if _WORKER.get("key") != state_key:
        blocks = BlockDraws()
        _WORKER.clear()
        _WORKER.update(
            key=state_key,
            blocks=blocks,
            engine=_engine(tree, plan.counts, blocks),
            sampler=InputSampler(tree, plan.fixed),
        )
    return forecast_chunk(
        tree, _WORKER["engine"], _WORKER["sampler"], _WORKER["blocks"], plan, start, stop
    )
