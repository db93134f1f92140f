"""How much memory a simulation needs, estimated before it starts, and the refusal when it
would not fit: a clear message with the figures instead of a ``MemoryError`` half-way."""

from __future__ import annotations

import os
from decimal import Decimal

from kpitree.analysis.sampling import BLOCK
from kpitree.analysis.streaming import summary_bytes
from kpitree.errors import DataError

IN_MEMORY_BYTES = 256 * 2**20
"""A forecast keeps every path (one pass, numpy's own quantiles) up to this many bytes of
``(paths, periods)`` values; beyond, it draws the paths twice and keeps none of them."""

WORKING_COPIES = 4
"""Temporaries of one formula's numpy evaluation, in arrays of one chunk (a margin)."""


def available_memory() -> int | None:
    """Bytes the operating system says it can give without swapping (``MemAvailable`` on
    Linux, else the physical memory), or ``None`` when it does not say."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_PHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (OSError, ValueError, AttributeError):
        return None


def forecast_bytes(samples: int, periods: int, chunk: int, arrays: int, in_memory: bool) -> int:
    """Estimated peak bytes of a forecast of ``samples`` paths x ``periods``, evaluated
    ``chunk`` paths at a time with at most ``arrays`` node arrays alive at once."""
    per_chunk = min(chunk, samples) * periods * 8 * (arrays + WORKING_COPIES)
    final = samples * 8
    # np.percentile partitions a copy of the kept paths.
    kept = 2 * samples * periods * 8 if in_memory else summary_bytes(samples, periods)
    blocks = -(-samples // BLOCK) * periods * 8 * 2
    return per_chunk + final + kept + blocks


def size(count: int) -> str:
    """``count`` bytes for people: ``512 MB``, ``7.5 GB``, ``8.00e+03 TB`` (any size of
    integer)."""
    number = Decimal(count)
    unit, scale = "TB", 2**40
    if number < 1000 * 2**20:
        unit, scale = "MB", 2**20
    elif number < 1000 * 2**30:
        unit, scale = "GB", 2**30
    value = number / scale
    return f"{value:.3g} {unit}" if value < 1000 else f"{value:.2e} {unit}"


def _count(number: int) -> str:
    """``10,000,000``, or ``1.00e+300`` when the digits would not be read."""
    return f"{number:,}" if number < 10**15 else f"{Decimal(number):.2e}"


def check_memory(samples: int, periods: int, chunk: int, arrays: int, in_memory: bool) -> None:
    """Refuse a forecast whose estimated peak memory exceeds what is available.

    Raises
    ------
    DataError
        Giving the estimate, what is available and what to reduce.
    """
    needed = forecast_bytes(samples, periods, chunk, arrays, in_memory)
    available = available_memory()
    if available is None or needed <= available:
        return
    raise DataError(
        f"a forecast of {_count(samples)} paths x {periods:,} periods needs about "
        f"{size(needed)} of memory ({size(samples * 8)} for the last period's values, "
        f"{size(min(chunk, samples) * periods * 8 * (arrays + WORKING_COPIES))} per chunk of "
        f"{min(chunk, samples):,} paths), more than the {size(available)} available: "
        "use fewer samples" + (" or fewer periods" if periods > 1 else "")
    )
