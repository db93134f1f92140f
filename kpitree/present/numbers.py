"""How numbers read in a terminal table: thousands separators, percent units, sensible digits."""

from __future__ import annotations

import math

from kpitree.node import PERCENT_UNITS


def format_number(value: float, unit: str | None = None) -> str:
    """``1234567.8`` -> ``1,234,568``; ``0.153`` with unit ``%`` -> ``15.3 %``.

    A node whose unit is ``%`` holds a fraction (0.15) and is shown as a percentage; other
    units are shown as given, so the table stays one unit per row.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if unit in PERCENT_UNITS:
        return f"{value * 100:,.1f} %"
    magnitude = abs(value)
    if magnitude >= 1000:
        return f"{value:,.0f}"
    if magnitude >= 1 or value == 0:
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{value:.4g}"


def format_signed(value: float, unit: str | None = None) -> str:
    """Like :func:`format_number` with an explicit ``+`` on positive values (for changes)."""
    text = format_number(value, unit)
    return f"+{text}" if value > 0 else text


def format_percent(fraction: float) -> str:
    """``0.0523`` -> ``+5.2 %`` (a relative change)."""
    if math.isnan(fraction):
        return "-"
    return f"{fraction * 100:+,.1f} %"
