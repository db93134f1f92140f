"""Period labels as a pandas ``PeriodIndex``, so period frames resample as pandas users expect.

Every frame indexed by period (an evaluation, a forecast, a measurement, a roll-up) has a
``PeriodIndex`` named ``period`` with the axis' frequency (``M``, ``Q``, ``W-...``, ``Y``, ``D``);
frames with one row per period *and* node (a comparison, a backtest) have a ``period`` column
of ``pandas.Period`` values. On a monthly frame ``frame.resample("Q").sum()`` gives quarters:
pandas 3 takes ``"Q"`` for periods and refuses ``"QE"`` (that one is for timestamps, after
``frame.to_timestamp()``).

Fiscal years. kpitree names a fiscal year by the calendar year it *starts* in (with
``fiscal_year_start: 4``, FY2027 is April 2027 to March 2028); pandas' fiscal frequencies
(``Y-MAR``, ``Q-MAR``: years and quarters ending in March) name it by the year it *ends* in.
A fiscal roll-up's index uses the pandas frequency, so its periods span exactly the right
months and resample and join correctly: FY2027 is ``Period('2028', 'Y-MAR')`` and FY2027-Q1
(April to June 2027) is ``Period('2028Q1', 'Q-MAR')``. Text output (tables, JSON, CSV, HTML,
xlsx) writes kpitree's own labels (:func:`label_of`), so ``2028`` is never shown for FY2027.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from kpitree.timeaxis import TimeAxis

INDEX_NAME = "period"
"""The one name of the period axis in every frame."""

_WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_FREQUENCIES = {"day": "D", "month": "M", "quarter": "Q", "year": "Y"}


def period_index(time: TimeAxis | None, labels: Sequence[str] | None = None) -> pd.Index:
    """The periods of ``time`` (or the given ``labels`` of it) as a ``PeriodIndex`` named
    ``period``: monthly, quarterly, yearly or daily as the axis is, weekly anchored on the
    weekday the axis's weeks end. An axis without a start (periods 1..N) or a static tree
    (``time`` None: one row ``value``) keeps its labels as a plain index.
    """
    if time is None:
        return pd.Index(list(labels or ["value"]), name=INDEX_NAME)
    labels = list(time.labels if labels is None else labels)
    if time.start is None:
        return pd.Index(labels, name=INDEX_NAME)
    if time.unit == "week":
        # A week labelled by its first day ends six days later: that weekday anchors it.
        last = dt.date.fromisoformat(time.labels[0]) + dt.timedelta(days=6)
        freq = f"W-{_WEEKDAYS[last.weekday()]}"
    else:
        freq = _FREQUENCIES[time.unit]
    text = [label.replace("-Q", "Q") for label in labels]  # 2027-Q1 as pandas reads it
    return pd.PeriodIndex(text, freq=freq, name=INDEX_NAME)


def period_labels(index: pd.Index, time: TimeAxis | None) -> pd.Index:
    """``index`` back to the tree's own labels (2027-Q1, not pandas' 2027Q1), for CSV."""
    if not isinstance(index, pd.PeriodIndex) or time is None:
        return index
    labels = dict(zip(period_index(time), time.labels, strict=True))
    return pd.Index([labels[period] for period in index], name=index.name)


def bucket_frequency(time: TimeAxis, by: str) -> str:
    """The pandas frequency of ``time``'s roll-up ``by`` (``quarter``, ``year``,
    ``fiscal-year``): quarters and years ending in the month before the fiscal year starts
    (``Q-MAR``, ``Y-MAR`` for April), calendar years ``Y-DEC``."""
    if by == "year":
        return "Y-DEC"
    end = _MONTHS[(time.fiscal_year_start - 2) % 12]
    return f"{'Q' if by == 'quarter' else 'Y'}-{end}"


def bucket_index(time: TimeAxis | None, by: str, labels: Sequence[str]) -> pd.Index:
    """The roll-up buckets ``labels`` (``2027-Q1``, ``FY2027``, ...) of ``time`` as a
    ``PeriodIndex`` named ``period`` (see the module on fiscal years); the labels as they are
    for an axis without dates."""
    if time is None or time.start is None:
        return pd.Index(list(labels), name=INDEX_NAME)
    firsts = period_index(time).start_time
    freq = bucket_frequency(time, by)
    first_day = {bucket.label: firsts[bucket.periods[0]] for bucket in time.buckets(by)}
    periods = [pd.Period(first_day[label], freq=freq) for label in labels]
    return pd.PeriodIndex(periods, name=INDEX_NAME)


def label_of(value: object) -> object:
    """A ``pandas.Period`` as kpitree labels it (``2027-01``, ``2027-Q1``, ``FY2027-Q1``,
    ``FY2027``, a week or day by its first day); anything else unchanged."""
    if not isinstance(value, pd.Period):
        return value
    name = value.freqstr
    first = value.start_time
    if name.startswith("Q"):
        if name == "Q-DEC":
            return f"{value.qyear:04d}-Q{value.quarter}"
        return f"FY{value.qyear - 1:04d}-Q{value.quarter}"
    if name.startswith("Y"):
        return f"{value.year:04d}" if name == "Y-DEC" else f"FY{first.year:04d}"
    if name == "M":
        return f"{first.year:04d}-{first.month:02d}"
    return first.date().isoformat()


def labelled(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every ``pandas.Period`` (index and columns) written as kpitree's label,
    for text output."""
    if isinstance(frame.index, pd.PeriodIndex):
        frame = frame.set_axis(pd.Index([label_of(p) for p in frame.index], name=frame.index.name))
    periods = [c for c, dtype in frame.dtypes.items() if isinstance(dtype, pd.PeriodDtype)]
    if periods:
        frame = frame.copy()
        for column in periods:
            frame[column] = [label_of(p) for p in frame[column]]
    return frame


def period_columns(
    frame: pd.DataFrame, time: TimeAxis | None, columns: Sequence[str]
) -> pd.DataFrame:
    """A copy of ``frame`` whose ``columns`` of period labels hold ``pandas.Period`` values
    with the axis' frequency; ``frame`` as it is for an axis without dates or no rows."""
    if time is None or time.start is None or frame.empty:
        return frame
    frame = frame.copy()
    for column in columns:
        frame[column] = period_index(time, list(frame[column])).to_numpy()
    return frame
