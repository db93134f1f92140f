"""Many evaluations in one engine call: each changed input set is one sample row.

Sensitivities, tornado swings, solver steps, Shapley subsets and Sobol matrices all evaluate the
tree on many variations of one set of inputs. Here each variation is a row of a
``(samples, periods)`` array, so the compiled engine runs them all at once.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import ArrayLike

from kpitree.errors import DataError
from kpitree.tree import Tree


def resolve_period(tree: Tree, period: str | int | None) -> int:
    """The 0-based index of ``period`` (a label, a 1-based number, or ``None`` for the last).

    A static tree has one period, index 0.

    Raises
    ------
    DataError
        When the tree has no such period.
    """
    if tree.time is None:
        if period is not None:
            raise DataError(f"tree '{tree.name}' is static: it has no period {period!r}")
        return 0
    if period is None:
        return tree.time.periods - 1
    index = tree.time.index_of(str(period))
    if index is None:
        labels = tree.time.labels
        raise DataError(
            f"tree '{tree.name}' has no period '{period}' (periods {labels[0]} .. {labels[-1]})"
        )
    return index


def as_rows(values: ArrayLike, samples: int, periods: int) -> np.ndarray:
    """One input's values for a batch as a 2-D array broadcastable to (samples, periods).

    A 1-D array of length ``samples`` is one value per row for every period (pass a per-period
    list that is the same for every row as ``(1, periods)``); numbers and 2-D arrays pass
    through.
    """
    array = np.asarray(values, dtype=float)
    if array.ndim == 1 and array.shape[0] == samples:
        return array[:, None]
    if array.ndim == 1 and array.shape[0] == periods:
        return array[None, :]
    return array


def evaluate_rows(
    tree: Tree,
    changes: Mapping[str, ArrayLike],
    samples: int,
    *,
    base: Mapping[str, ArrayLike] | None = None,
) -> dict[str, np.ndarray]:
    """Evaluate ``samples`` variations of the inputs at once.

    Parameters
    ----------
    tree : Tree
    changes : mapping
        Per changed input: ``(samples,)`` (one value per row, all periods), ``(samples,
        periods)``, or anything broadcastable to it.
    samples : int
        Number of rows.
    base : mapping, optional
        Values of the inputs not changed (default: the tree's own).

    Returns
    -------
    dict
        Every node's ``(samples, periods)`` values.
    """
    inputs = dict(tree.input_values() if base is None else base)
    periods = tree.period_count
    for name, values in changes.items():
        if name not in inputs:
            raise DataError(f"'{name}' is not an input of tree '{tree.name}'")
        inputs[name] = as_rows(values, samples, periods)
    return tree.engine.run(inputs, samples=samples)


def node_rows(
    tree: Tree,
    changes: Mapping[str, ArrayLike],
    samples: int,
    *,
    node: str | None = None,
    period: str | int | None = None,
    base: Mapping[str, ArrayLike] | None = None,
) -> np.ndarray:
    """One node (default: the KGI) at one period (default: the last), per row: ``(samples,)``."""
    name = tree.kgi if node is None else tree.node(node).name
    index = resolve_period(tree, period)
    return np.array(evaluate_rows(tree, changes, samples, base=base)[name][:, index])
