"""The time axis of a timed tree: how many periods, of what unit, and their labels."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import cached_property

from kpitree.errors import TimeAxisError  # re-exported: every error class lives in errors.py

UNITS = ("day", "week", "month", "quarter", "year")
BUCKETS = ("quarter", "year", "fiscal-year")
"""What periods can be rolled up into (``--by``)."""
MAX_PERIODS = 10_000
"""More periods than any plan has; every analysis holds arrays of (samples, periods)."""


@dataclass(frozen=True)
class TimeAxis:
    """Periods 1..``periods`` of ``unit``, labelled from ``start`` (or 1..periods without it)."""

    periods: int
    unit: str = "month"
    start: str | None = None
    fiscal_year_start: int = 1
    """The month (1..12) a fiscal year starts in: 4 for a year from April to March."""
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
        fiscal = self.fiscal_year_start
        if isinstance(fiscal, bool) or not isinstance(fiscal, int) or not 1 <= fiscal <= 12:
            raise TimeAxisError(
                f"fiscal_year_start must be a month number 1..12 (4 for April), found {fiscal!r}"
            )
        _check_timezone(self.timezone)

    def buckets(self, by: str) -> tuple[Bucket, ...]:
        """The periods grouped into quarters, calendar years or fiscal years, in order.

        A period belongs to the bucket holding its first day. Quarters are fiscal quarters
        (``FY2027-Q1``) when the fiscal year does not start in January, calendar quarters
        (``2027-Q1``) when it does. A fiscal year is named after the calendar year it starts
        in: April 2027 to March 2028 is ``FY2027``.

        Raises
        ------
        TimeAxisError
            For an unknown ``by``, an axis without ``start`` (its dates are unknown), or a
            period longer than the bucket (a year into quarters).
        """
        if by not in BUCKETS:
            raise TimeAxisError(f"--by must be one of {', '.join(BUCKETS)}, found '{by}'")
        if self.start is None:
            raise TimeAxisError(
                f"rolling up by {by} needs the dates of the periods: give the time axis a "
                "'start' (e.g. start: 2027-01)"
            )
        groups: dict[tuple[str, dt.date, dt.date], list[int]] = {}
        for index in range(self.periods):
            first, end = self._span(index)
            key = self._bucket_of(first, by)
            if self.unit in ("month", "quarter", "year") and end > key[2]:
                raise TimeAxisError(
                    f"a {self.unit} does not fit in one {by.replace('-', ' ')} "
                    f"(fiscal_year_start {self.fiscal_year_start}): the periods cannot be "
                    "rolled up that way"
                )
            groups.setdefault(key, []).append(index)
        axis_first, axis_end = self._span(0)[0], self._span(self.periods - 1)[1]
        return tuple(
            Bucket(label, tuple(indices), axis_first > first or axis_end < end)
            for (label, first, end), indices in groups.items()
        )

    def _span(self, index: int) -> tuple[dt.date, dt.date]:
        """The first day of period ``index`` and the day after its last."""
        label = self.labels[index]
        if self.unit in ("day", "week"):
            first = dt.date.fromisoformat(label)
            return first, first + dt.timedelta(days=7 if self.unit == "week" else 1)
        if self.unit == "month":
            year, month, length = int(label[:4]), int(label[5:7]), 1
        elif self.unit == "quarter":
            year, month, length = int(label[:4]), 3 * int(label[-1]) - 2, 3
        else:
            year, month, length = int(label), 1, 12
        start = year * 12 + month - 1
        return _month(start), _month(start + length)

    def _bucket_of(self, day: dt.date, by: str) -> tuple[str, dt.date, dt.date]:
        """The label, first day and day after the last of the bucket holding ``day``."""
        month = day.year * 12 + day.month - 1
        if by == "year":
            return str(day.year), _month(month - month % 12), _month(month - month % 12 + 12)
        offset = self.fiscal_year_start - 1
        if by == "fiscal-year":
            year = (month - offset) // 12
            return f"FY{year:04d}", _month(year * 12 + offset), _month(year * 12 + offset + 12)
        quarter = (month - offset) // 3
        first = quarter * 3 + offset
        name = f"{quarter // 4:04d}-Q{quarter % 4 + 1}"
        return (name if offset == 0 else f"FY{name}"), _month(first), _month(first + 3)

    @cached_property
    def labels(self) -> tuple[str, ...]:
        """One label per period: 2027-01 (month), 2027-Q1 (quarter), 2027 (year), ISO dates."""
        if self.start is None:
            return tuple(str(number) for number in range(1, self.periods + 1))
        return tuple(self._label(index) for index in range(self.periods))

    def index_of_date(self, date: dt.date) -> int | None:
        """The 0-based index of the period holding ``date``, or ``None`` (outside the axis, or
        an axis without ``start``). A week holds the seven days from its labelled first day."""
        if self.start is None:
            return None
        label = {
            "month": f"{date.year:04d}-{date.month:02d}",
            "quarter": f"{date.year:04d}-Q{(date.month - 1) // 3 + 1}",
            "year": f"{date.year:04d}",
            "day": date.isoformat(),
        }.get(self.unit)
        if label is not None:
            return self.index_of(label)
        week = (date - dt.date.fromisoformat(self.labels[0])).days // 7
        return week if 0 <= week < self.periods else None

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


@dataclass(frozen=True)
class Bucket:
    """A quarter or (fiscal) year of a time axis: its label and the 0-based indices of its
    periods; ``partial`` when the axis starts after its first day or ends before its last."""

    label: str
    periods: tuple[int, ...]
    partial: bool


def _month(months: int) -> dt.date:
    """The first day of the month ``months`` months after January of year 0."""
    if not 12 <= months < 10_000 * 12:
        raise TimeAxisError("roll-ups need dates within the years 1 to 9999")
    return dt.date(months // 12, months % 12 + 1, 1)


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
