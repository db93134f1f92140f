"""``--workers N`` and ``--scheduler ADDRESS``: where the seeded pieces of a run execute."""

from __future__ import annotations

import argparse
from typing import Any

from kpitree.cli.options import UsageError, parse_whole

MAX_WORKERS = 1024
"""More local worker processes than any machine runs well; a typo is refused, not started."""


def add_workers(parser: argparse.ArgumentParser) -> None:
    """Add ``--workers`` and ``--scheduler`` (needs the optional Dask extra)."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--workers", metavar="N", help="run on a local Dask cluster of N worker processes "
        "(bound to 127.0.0.1, closed at the end); same numbers as one process for the same "
        "seed (needs pip install 'kpitree[dask]')",
    )  # fmt: skip
    group.add_argument(
        "--scheduler", metavar="ADDRESS", help="run on an existing dask.distributed cluster "
        "(tcp://host:8786); same numbers as one process for the same seed",
    )  # fmt: skip


def open_executor(args: argparse.Namespace) -> Any:
    """The executor the options ask for, as a context manager (see :mod:`kpitree.parallel`)."""
    from kpitree.parallel import executor_for

    workers = parse_whole(args.workers, "--workers")
    if workers is not None and not 1 <= workers <= MAX_WORKERS:
        raise UsageError(f"--workers: expected 1 to {MAX_WORKERS:,}, found {workers:,}")
    return executor_for(workers=workers, scheduler=args.scheduler)
