"""Summaries of a forecast that do not hold every path: moments and exact quantiles.

A forecast's paths come in chunks (see :mod:`kpitree.analysis.forecast`) that can be drawn
again from the same seed, so a summary may read them twice.

- **Mean and sd** are sums taken one block of :data:`~kpitree.analysis.sampling.BLOCK` paths at
  a time (in path order inside a block) and then added across blocks exactly (``math.fsum``), so
  the result depends neither on the chunk size nor on how numpy splits a long sum: the API, the
  command line and a rerun agree to the last digit. The sd is the two-pass formula (squared
  deviations from the mean), as numpy's ``std`` computes it.
- **Quantiles** are numpy's default (``method="linear"``): the order statistics at
  ``floor((n - 1) q)`` and the next, interpolated as ``np.percentile`` interpolates them. The
  first pass counts each column's paths in bins over the first chunk's range; the second pass
  keeps only the paths in the few bins that hold a wanted rank (ties counted, not repeated),
  sorts them and reads the rank. The result equals ``np.percentile`` on all the paths exactly.
  Memory: the bin counts, and about ``paths / bins`` values per wanted rank (see
  :func:`bins_for`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from kpitree.analysis.sampling import BLOCK

BINS = 65_536
"""Most bins per period over the first chunk's range (see :func:`bins_for`)."""


def bins_for(samples: int) -> int:
    """Bins per period for ``samples`` paths: a power of two near ``sqrt(14 samples)``, from
    64 to :data:`BINS`. Per period the counts take ``8 bins`` bytes and the second pass keeps
    about ``7 x 2 x 16 samples / bins`` (7 quantiles, 2 ranks each, 16 bytes a value): this
    balances the two, so memory grows as ``periods x sqrt(samples)``."""
    target = math.isqrt(14 * samples)
    return int(min(BINS, max(64, 1 << max(0, target.bit_length() - 1))))


def summary_bytes(samples: int, periods: int) -> int:
    """An upper estimate of the two-pass summary's memory (bin counts and kept values, with a
    margin of 4 for a density peaked at a quantile) for ``samples`` x ``periods``."""
    bins = bins_for(samples)
    return periods * (bins + 2) * 8 * 3 + 4 * periods * 14 * 16 * -(-samples // bins)


OrderFunction = Callable[[np.ndarray], np.ndarray]


def block_sums(values: np.ndarray, centre: np.ndarray | None = None) -> np.ndarray:
    """Per block of :data:`BLOCK` rows of ``values`` (rows ``0 .. BLOCK - 1`` first), the
    column sums of ``values`` (or of ``(values - centre) ** 2``): ``(blocks, periods)``.

    ``values`` must start at a block boundary; each block is summed on its own, so the sums do
    not depend on how many blocks are passed at once.
    """
    rows = values.shape[0]
    sums = np.empty((-(-rows // BLOCK), values.shape[1]))
    for index, start in enumerate(range(0, rows, BLOCK)):
        block = values[start : start + BLOCK]
        if centre is not None:
            block = (block - centre) ** 2
        sums[index] = block.sum(axis=0)
    return sums


def exact_total(sums: Sequence[np.ndarray]) -> np.ndarray:
    """The per-column total of a list of block sums, correctly rounded (order does not
    matter)."""
    stacked = np.concatenate(list(sums))
    return np.array([math.fsum(column) for column in stacked.T])


def interpolate(samples: int, percentiles: Sequence[float], order: OrderFunction) -> np.ndarray:
    """``np.percentile(values, percentiles, axis=0)`` (linear method) from order statistics.

    Parameters
    ----------
    samples : int
        The number of values per column ``n``.
    percentiles : sequence of float
        In [0, 100].
    order : callable
        ``order(ranks)`` -> ``(len(ranks), periods)`` array: the ``ranks``-th smallest value
        of each column (0-based).

    Returns
    -------
    numpy.ndarray
        ``(len(percentiles), periods)``.
    """
    q = np.true_divide(np.asarray(percentiles, dtype=float), 100)
    virtual = (samples - 1) * q
    below = np.floor(virtual)
    gamma = (virtual - below)[:, None]
    previous = np.minimum(below.astype(np.int64), samples - 1)
    following = np.minimum(previous + 1, samples - 1)
    ranks = np.unique(np.concatenate([previous, following]))
    table = order(ranks)
    position = {int(rank): index for index, rank in enumerate(ranks)}
    a = table[[position[int(r)] for r in previous]]
    b = table[[position[int(r)] for r in following]]
    # numpy's lerp: from the nearer end, so that q = 1 - q' mirrors exactly.
    difference = b - a
    result = a + difference * gamma
    return np.where(gamma >= 0.5, b - difference * (1 - gamma), result)


def _keys(values: np.ndarray) -> np.ndarray:
    """int64 keys ordered as the (finite) values are: a positive float's bits already grow
    with it; a negative float's bits other than the sign are flipped. ``-0.0`` becomes ``0.0``
    first, since the two are equal."""
    bits = (values + 0.0).view(np.int64)
    return bits ^ ((bits >> 63) & np.int64(0x7FFF_FFFF_FFFF_FFFF))


class OrderStatistics:
    """Exact order statistics of every column of a stream of ``(rows, periods)`` chunks, read
    in two passes over the same chunks.

    Call :meth:`count` on every chunk (the first chunk also fixes the bins), then
    :meth:`want` with the ranks, then :meth:`keep` on every chunk again, then :meth:`values`.

    Bins: a float's bits, read as an integer with the sign folded in, grow with its value
    (:func:`_keys`); the top bits of that key, shifted so that the first chunk's range spans at
    most ``bins`` bins (plus one below and one above), are the bin. The bins are then about
    equal in value for a narrow distribution and about equal in log-value for one spread over
    many orders of magnitude (a heavy tail), so no bin holds much of the mass; they are ordered
    like the values, and both passes put a value in the same bin. A period whose first values
    have both signs is first shifted (``x - offset``, monotone too) so that its keys are even in
    value. The second pass keeps the values of the wanted bins as (value, how many) pairs, so an
    atom (a constant node, whole counts) costs one pair per chunk, not one per path.
    """

    def __init__(self, periods: int, bins: int = BINS) -> None:
        self.periods = periods
        self.bins = max(2, int(bins))
        self.width = bins + 2
        self.base = np.zeros(periods, dtype=np.int64)
        self.shift = np.zeros(periods, dtype=np.int64)
        self.offset = np.zeros(periods)
        self.counts = np.zeros(periods * self.width, dtype=np.int64)
        self._started = False
        self._wanted = np.zeros(0, dtype=bool)
        self._codes: list[np.ndarray] = []
        self._values: list[np.ndarray] = []
        self._weights: list[np.ndarray] = []
        self._found: dict[tuple[int, int], tuple[int, int]] = {}

    def _flat_codes(self, chunk: np.ndarray) -> np.ndarray:
        """Per value, ``period * width + bin`` (bin 0 below the range, ``bins + 1`` above)."""
        with np.errstate(over="ignore"):  # beyond a float's range: the top bin, as it should
            keys = _keys(chunk - self.offset)
        # Clipped before the subtraction: keys far from the range would overflow int64.
        top = np.clip(keys >> self.shift, self.base - 1, self.base + self.bins)
        bins = top - self.base + 1
        return bins + np.arange(self.periods) * self.width

    def count(self, chunk: np.ndarray) -> None:
        """First pass: count one chunk's values per bin."""
        if not self._started:
            low, high = chunk.min(axis=0), chunk.max(axis=0)
            # Values of both signs: shifted to lie within one power of two, where keys are
            # even in value (else the bins would spread over every tiny power of two near 0).
            with np.errstate(over="ignore", invalid="ignore"):
                offset = np.where((low < 0) & (high > 0), low - (high - low), 0.0)
            self.offset = np.where(np.isfinite(offset), offset, 0.0)
            with np.errstate(over="ignore"):
                keys = _keys(chunk - self.offset)
            lows, highs = keys.min(axis=0), keys.max(axis=0)
            for period, (low, high) in enumerate(zip(lows, highs, strict=True)):
                shift = 0
                # At shift 63 every key is -1 or 0, so the loop ends for any bins >= 2.
                while (int(high) >> shift) - (int(low) >> shift) >= self.bins:
                    shift += 1
                self.shift[period], self.base[period] = shift, int(low) >> shift
            self._started = True
        codes = self._flat_codes(chunk).ravel()
        self.counts += np.bincount(codes, minlength=self.counts.size)

    def want(self, ranks: np.ndarray) -> None:
        """After the first pass: the 0-based ranks to find in every column."""
        cumulative = np.cumsum(self.counts.reshape(self.periods, self.width), axis=1)
        self._wanted = np.zeros(self.counts.size, dtype=bool)
        for period in range(self.periods):
            for rank in ranks:
                code = int(np.searchsorted(cumulative[period], rank, side="right"))
                before = int(cumulative[period][code - 1]) if code else 0
                flat = period * self.width + code
                self._wanted[flat] = True
                self._found[(period, int(rank))] = (flat, int(rank) - before)

    def keep(self, chunk: np.ndarray) -> None:
        """Second pass: keep one chunk's values that fall in a wanted bin, as (value, count)."""
        codes = self._flat_codes(chunk)
        mask = self._wanted[codes]
        codes, values = codes[mask], chunk[mask]
        if not codes.size:
            return
        order = np.lexsort((values, codes))
        codes, values = codes[order], values[order]
        starts = np.flatnonzero(
            np.concatenate([[True], (codes[1:] != codes[:-1]) | (values[1:] != values[:-1])])
        )
        self._codes.append(codes[starts])
        self._values.append(values[starts])
        self._weights.append(np.diff(np.append(starts, codes.size)))

    @property
    def kept(self) -> int:
        """How many (value, count) pairs the second pass kept."""
        return sum(part.size for part in self._values)

    def values(self, ranks: np.ndarray) -> np.ndarray:
        """After the second pass: ``(len(ranks), periods)``, the ranks-th smallest values."""
        codes = np.concatenate(self._codes) if self._codes else np.zeros(0, dtype=np.int64)
        values = np.concatenate(self._values) if self._values else np.zeros(0)
        weights = np.concatenate(self._weights) if self._weights else np.zeros(0, dtype=np.int64)
        table = np.empty((len(ranks), self.periods))
        for period in range(self.periods):
            for index, rank in enumerate(ranks):
                flat, offset = self._found[(period, int(rank))]
                inside = codes == flat
                distinct, where = np.unique(values[inside], return_inverse=True)
                cumulative = np.cumsum(np.bincount(where, weights[inside]))
                table[index, period] = distinct[np.searchsorted(cumulative, offset, side="right")]
        return table
