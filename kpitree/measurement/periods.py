"""The tree's periods as instants: where each begins and ends in the tree's time zone.

Records are bucketed by comparing their timestamps with these boundaries, computed once here
with :mod:`zoneinfo`: a date column against local dates, a timestamp without an offset against
local wall-clock times, a timestamp with an offset against the UTC instants.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from kpitree.errors import DataError
from kpitree.timeaxis import TimeAxis


@dataclass(frozen=True)
class Boundaries:
    """The local start of periods 1..n and of the period after the last (``n + 1`` dates)."""

    labels: tuple[str, ...]
    starts: tuple[dt.date, ...]
    timezone: str

    def instant(self, day: dt.date) -> dt.datetime:
        """The UTC instant at which local ``day`` begins in the tree's time zone."""
        local = dt.datetime.combine(day, dt.time(), tzinfo=zoneinfo.ZoneInfo(self.timezone))
        return local.astimezone(dt.UTC)

    def index_of(self, moment: dt.date | dt.datetime) -> int | None:
        """The 0-based period holding a date or timestamp (naive ones are local), or ``None``."""
        if isinstance(moment, dt.datetime):
            if moment.tzinfo is not None:
                moment = moment.astimezone(zoneinfo.ZoneInfo(self.timezone)).replace(tzinfo=None)
            day = moment.date()
        else:
            day = moment
        for index in range(len(self.labels)):
            if self.starts[index] <= day < self.starts[index + 1]:
                return index
        return None


def boundaries(axis: TimeAxis | None, tree: str) -> Boundaries:
    """The period boundaries of ``axis``.

    Raises
    ------
    DataError
        When the tree has no time axis or no ``start`` date: records cannot be placed in
        periods numbered 1..n.
    """
    if axis is None or axis.start is None:
        raise DataError(
            f"tree '{tree}': measuring needs a time axis with a start, "
            "e.g. time: {periods: 12, unit: month, start: 2027-01, timezone: Asia/Tokyo}"
        )
    try:
        starts = [_start(axis, index) for index in range(axis.periods + 1)]
    except (ValueError, OverflowError):
        raise DataError(f"tree '{tree}': the time axis runs past the year 9999") from None
    return Boundaries(axis.labels, tuple(starts), axis.timezone)


def _start(axis: TimeAxis, index: int) -> dt.date:
    first = axis.labels[0]  # normalised by TimeAxis: 2027-01, 2027-Q1, 2027, 2027-01-04
    if axis.unit == "month":
        months = int(first[:4]) * 12 + int(first[5:7]) - 1 + index
        return dt.date(months // 12, months % 12 + 1, 1)
    if axis.unit == "quarter":
        quarters = int(first[:4]) * 4 + int(first[6]) - 1 + index
        return dt.date(quarters // 4, (quarters % 4) * 3 + 1, 1)
    if axis.unit == "year":
        return dt.date(int(first) + index, 1, 1)
    step = dt.timedelta(days=7 if axis.unit == "week" else 1)
    return dt.date.fromisoformat(first) + index * step
