"""The time axis of a timed tree: how many periods, of what unit, and their labels."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import cached_property

UNITS = ("day", "week", "month", "quarter", "year")
MAX_PERIODS = 10_000
"""More periods than any plan has; every analysis holds arrays of (samples, periods)."""


class TimeAxisError(ValueError):
    """A ``time:`` block that does not describe a time axis; the caller adds the location."""


@dataclass(frozen=True)
class TimeAxis:
    """Periods 1..``periods`` of ``unit``, labelled from ``start`` (or 1..periods without it)."""

    periods: int
    unit: str = "month"
    start: str | None = None
    timezone: str = "UTC"
    """The IANA time zone periods follow when records are measured (Asia/Tokyo)."""

    def __post_init__(self) -> None:
        if isinstance(self.periods, bool) or not isinstance(self.periods, int) or self.periods < 1:
            raise TimeAxisError(f"periods must be a whole number >= 1, found {self.periods!r}")
        if self.periods > MAX_PERIODS:
            raise TimeAxisError(
                f"periods must be at most {MAX_PERIODS:,} (27 years of days), found "
                f"{self.periods:,}"
            )
        if self.unit not in UNITS:
            raise TimeAxisError(f"unit must be one of {', '.join(UNITS)}, found '{self.unit}'")
        if self.start is not None:
            self.labels  # noqa: B018 - parses start, raising on a bad one
        _check_timezone(self.timezone)

    @cached_property
    def labels(self) -> tuple[str, ...]:
        """One label per period: 2027-01 (month), 2027-Q1 (quarter), 2027 (year), ISO dates."""
        if self.start is None:
            return tuple(str(number) for number in range(1, self.periods + 1))
        return tuple(self._label(index) for index in range(self.periods))

    def index_of(self, label: str) -> int | None:
        """The 0-based index of a period given by its label or number, or ``None``."""
        labels = self.labels
        if label in labels:
            return labels.index(label)
        if label.isdigit() and 1 <= int(label) <= self.periods:
            return int(label) - 1
        return None

    def _label(self, index: int) -> str:
        start = str(self.start)
        if self.unit == "month":
            match = re.fullmatch(r"(\d{4})-(\d{1,2})(?:-\d{1,2})?", start)
            if not match or not 1 <= int(match.group(2)) <= 12:
                raise TimeAxisError(f"a monthly start is YYYY-MM, found '{start}'")
            months = int(match.group(1)) * 12 + int(match.group(2)) - 1 + index
            return f"{months // 12:04d}-{months % 12 + 1:02d}"
        if self.unit == "quarter":
            match = re.fullmatch(r"(\d{4})-Q([1-4])", start)
            if not match:
                raise TimeAxisError(f"a quarterly start is YYYY-Qn, found '{start}'")
            quarters = int(match.group(1)) * 4 + int(match.group(2)) - 1 + index
            return f"{quarters // 4:04d}-Q{quarters % 4 + 1}"
        if self.unit == "year":
            if not re.fullmatch(r"\d{4}", start):
                raise TimeAxisError(f"a yearly start is YYYY, found '{start}'")
            return str(int(start) + index)
        try:
            first = dt.date.fromisoformat(start)
        except ValueError:
            adverb = "daily" if self.unit == "day" else "weekly"
            raise TimeAxisError(
                f"a {adverb} start is an ISO date YYYY-MM-DD, found '{start}'"
            ) from None
        step = dt.timedelta(days=7 if self.unit == "week" else 1)
        try:
            return (first + index * step).isoformat()
        except OverflowError:
            raise TimeAxisError(
                f"{self.periods} {self.unit}s from {start} run past the year 9999"
            ) from None


def _check_timezone(name: object) -> None:
    # zoneinfo reads a file named by the text: refuse paths before asking it.
    import zoneinfo

    if not isinstance(name, str) or not re.fullmatch(
        r"[A-Za-z0-9_+\-]+(?:/[A-Za-z0-9_+\-]+)*", name
    ):
        raise TimeAxisError(f"timezone must be an IANA name such as Asia/Tokyo, found {name!r}")
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise TimeAxisError(
            f"timezone must be an IANA name such as Asia/Tokyo, found {name!r}"
        ) from None
