"""Machine-readable output: JSON and CSV text from result dictionaries and frames."""

from __future__ import annotations

import io
import json
import math
from typing import Any

import numpy as np
import pandas as pd


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


def to_csv(frame: pd.DataFrame, *, index: bool = True) -> str:
    """CSV text of ``frame`` with full float precision."""
    buffer = io.StringIO()
    frame.to_csv(buffer, index=index, float_format=None, lineterminator="\n")
    return buffer.getvalue()
