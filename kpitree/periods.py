"""Period labels as a pandas ``PeriodIndex``, so period frames resample as pandas users expect
(``frame.resample("QE")`` on a monthly evaluation)."""

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
