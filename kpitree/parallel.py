"""Running independent seeded pieces of an analysis in this process or on Dask workers.

An analysis that splits its work into pieces whose results do not depend on where they run
(forecast chunks of whole random blocks, sweep points) hands them to an *executor*:
``executor.map(function, items)`` returns the results in the order of ``items``. The local
executor runs them here; :class:`DaskExecutor` on a local cluster of worker processes
(``workers=N``, bound to 127.0.0.1 and closed at the end) or on an existing
``dask.distributed`` scheduler (``scheduler=ADDRESS``). Since every piece draws from its own
seeded stream and the results are combined in order, the numbers are the same to the last bit
whatever the executor or the number of workers.

A tree holds compiled functions that do not pickle, so it travels as what it was built from
(:func:`portable`) and is rebuilt once per worker process (:func:`rebuilt`).

Dask is an optional extra: ``pip install 'kpitree[dask]'``.
"""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any, Protocol, TypeVar

from kpitree.errors import DataError
from kpitree.tree import Tree

T = TypeVar("T")
R = TypeVar("R")

MISSING_DASK = (
    "--workers and --scheduler need Dask: install it with pip install 'kpitree[dask]' "
    "(or pip install 'dask[distributed]')"
)


class Executor(Protocol):
    """Runs ``function`` on every item and returns the results in the items' order."""

    def map(self, function: Callable[[T], R], items: Iterable[T]) -> list[R]:
        """``[function(item) for item in items]``, wherever it runs."""
        ...


class LocalExecutor:
    """Runs every piece in this process, one after the other."""

    workers = 1

    def map(self, function: Callable[[T], R], items: Iterable[T]) -> list[R]:
        """``[function(item) for item in items]``."""
        return [function(item) for item in items]


class DaskExecutor:
    """Runs the pieces on Dask workers; a context manager that closes what it started.

    Parameters
    ----------
    workers : int, optional
        Start a local cluster of this many worker processes (one thread each), listening on
        127.0.0.1 only (scheduler, workers and the scheduler's HTTP port).
    scheduler : str, optional
        The address of a running ``dask.distributed`` scheduler (``tcp://host:8786``) to use
        instead.

    Raises
    ------
    DataError
        When Dask is not installed, neither or both of ``workers`` and ``scheduler`` are given,
        or ``workers`` is not a whole number >= 1.
    """

    def __init__(self, workers: int | None = None, scheduler: str | None = None) -> None:
        if (workers is None) == (scheduler is None):
            raise DataError("give either a number of workers or a scheduler address")
        if workers is not None and (
            isinstance(workers, bool) or not isinstance(workers, int) or workers < 1
        ):
            raise DataError(f"workers must be a whole number >= 1, found {workers!r}")
        try:
            from dask import distributed
        except ImportError:
            raise DataError(MISSING_DASK) from None
        self._cluster: Any = None
        if workers is not None:
            self._cluster = distributed.LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                # The scheduler always serves HTTP (health checks); on any free local port,
                # never the fixed 8787 another cluster on the machine may hold.
                dashboard_address="127.0.0.1:0",
                silence_logs=40,  # errors only: a cluster's routine chatter is not our output
            )
            self._client = distributed.Client(self._cluster)
        else:
            try:
                self._client = distributed.Client(scheduler, timeout="10s")
            except (OSError, TimeoutError) as error:
                raise DataError(
                    f"cannot reach the Dask scheduler at {scheduler}: {error}"
                ) from None
        self.workers = max(1, len(self._client.scheduler_info().get("workers", {})))

    def map(self, function: Callable[[T], R], items: Iterable[T]) -> list[R]:
        """Submit one task per item and gather the results in order."""
        futures = self._client.map(function, list(items), pure=False)
        return list(self._client.gather(futures))

    def close(self) -> None:
        """Close the client, and the local cluster if this executor started one."""
        self._client.close()
        if self._cluster is not None:
            self._cluster.close()

    def __enter__(self) -> DaskExecutor:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()


def executor_for(workers: int | None = None, scheduler: str | None = None) -> Any:
    """A :class:`DaskExecutor` when ``workers`` or ``scheduler`` is given, else a
    :class:`LocalExecutor`; either works as a context manager."""
    if workers is None and scheduler is None:
        return _Closing(LocalExecutor())
    return DaskExecutor(workers=workers, scheduler=scheduler)


class _Closing:
    """A context manager around an executor that has nothing to close."""

    def __init__(self, executor: LocalExecutor) -> None:
        self.executor = executor

    def __enter__(self) -> LocalExecutor:
        return self.executor

    def __exit__(self, *exc: object) -> None:
        return None


def portable(tree: Tree) -> tuple[str, bytes]:
    """``(key, bytes)``: what ``tree`` was built from, pickled, and a key naming it."""
    parts = (
        tree.name,
        tree.kgi,
        list(tree.nodes.values()),
        {
            "time": tree.time,
            "scenarios": tree.scenarios,
            "correlations": tree.correlations,
            "description": tree.description,
            "source": tree.source,
        },
    )
    data = pickle.dumps(parts, protocol=pickle.HIGHEST_PROTOCOL)
    return hashlib.sha256(data).hexdigest(), data


_REBUILT: dict[str, Tree] = {}
"""Trees rebuilt in this (worker) process, by key: compiled once, used by every task."""


def rebuilt(key: str, data: bytes) -> Tree:
    """The tree :func:`portable` packed, rebuilt once per process."""
    tree = _REBUILT.get(key)
    if tree is None:
        name, kgi, nodes, options = pickle.loads(data)  # bytes we pickled ourselves
        tree = Tree(name, kgi, nodes, **options)
        _REBUILT.clear()  # one tree at a time: a long-lived worker does not pile them up
        _REBUILT[key] = tree
    return tree
