"""Machine-readable output: JSON and CSV text from result dictionaries and frames.

CSV is opened in spreadsheets, which run a cell starting with ``=``, ``+``, ``-`` or ``@`` (or a
tab or carriage return before one) as a formula: an owner written ``=HYPERLINK(...)`` in a tree
file would reach Excel as a live link. Every text cell and label starting so is written with a
leading apostrophe, which spreadsheets show as text; numbers, negative ones included, are
written as numbers.
"""

from __future__ import annotations

import io
import json
import math
import re
from typing import Any

import numpy as np
import pandas as pd

from kpitree.cells import FORMULA_STARTS


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(key): _clean(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(item) for item in value]
    if isinstance(value, np.ndarray):
        return _clean(value.tolist())
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        number = float(value)
        return number if math.isfinite(number) else None
    return value


def to_json(data: dict[str, Any]) -> str:
    """JSON text with numpy values converted and non-finite numbers as ``null``."""
    return json.dumps(_clean(data), indent=2, ensure_ascii=False)


# A signed number written as text, or a lone sign (compare's "-": no verdict), is no formula.
_SIGNED_NUMBER = re.compile(r"[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)?")


def inert_text(value: Any) -> Any:
    """``value`` made safe for a spreadsheet cell: text starting like a formula gets a leading
    apostrophe; anything that is not text (numbers, ``None``) is returned as is."""
    if (
        isinstance(value, str)
        and value.startswith(FORMULA_STARTS)
        and not _SIGNED_NUMBER.fullmatch(value)
    ):
        return "'" + value
    return value


def to_csv(frame: pd.DataFrame, *, index: bool = True) -> str:
    """CSV text of ``frame`` with full float precision, text cells made inert (see
    :func:`inert_text`); periods as kpitree labels them (``2027-Q1``, ``FY2027``)."""
    from kpitree.periods import labelled

    frame = labelled(frame).rename(index=inert_text, columns=inert_text)
    text_columns = [
        column
        for column, dtype in frame.dtypes.items()
        if pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype)
    ]
    if text_columns:
        frame = frame.copy()
        for column in text_columns:
            frame[column] = frame[column].map(inert_text)
    buffer = io.StringIO()
    frame.to_csv(buffer, index=index, float_format=None, lineterminator="\n")
    return buffer.getvalue()
