"""How numbers read in a terminal table: thousands separators, percent units, sensible digits."""

from __future__ import annotations

import math

from kpitree.node import PERCENT_UNITS

RATE_DIGITS = 3
"""Significant figures of a percentage: 0.748 % is not shown as 0.7 %, nor 1.25 % as 1.2 %."""


def format_number(value: float, unit: str | None = None) -> str:
    """``1234567.8`` -> ``1,234,568``; ``0.153`` with unit ``%`` -> ``15.3 %``.

    A node whose unit is ``%`` holds a fraction (0.15) and is shown as a percentage with three
    significant figures and at least one decimal (``0.748 %``, ``1.25 %``, ``12.5 %``); other
    units are shown as given, so the table stays one unit per row.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if unit in PERCENT_UNITS:
        text = f"{value * 100:,.{_rate_decimals(value * 100)}f}"
        # Three significant figures, trailing zeros dropped down to one decimal (5.0 %).
        text = text.rstrip("0")
        return f"{text}0 %" if text.endswith(".") else f"{text} %"
    magnitude = abs(value)
    if magnitude >= 1000:
        return f"{value:,.0f}"
    if magnitude >= 1 or value == 0:
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{value:.4g}"


def _rate_decimals(percent: float, digits: int = RATE_DIGITS) -> int:
    """Decimals that show ``percent`` with ``digits`` significant figures (1 to 6)."""
    if percent == 0 or not math.isfinite(percent):
        return 1
    return min(max(digits - 1 - math.floor(math.log10(abs(percent))), 1), 6)


def format_signed(value: float, unit: str | None = None) -> str:
    """Like :func:`format_number` with an explicit ``+`` on positive values (for changes)."""
    text = format_number(value, unit)
    return f"+{text}" if value > 0 else text


def format_points(difference: float, *rates: float) -> str:
    """A difference of two rates (fractions) in percentage points: ``+0.05 pp`` for 1.25 %
    against 1.20 %, with the decimals :func:`format_rate_pair` gives ``rates``."""
    if math.isnan(difference):
        return "-"
    decimals = _pair_decimals(difference, *rates)
    points = round(difference * 100, decimals)
    return f"{points:+,.{decimals}f} pp" if points != 0 else f"{0:.{decimals}f} pp"


def format_rate_pair(plan: float, actual: float) -> tuple[str, str]:
    """Two rates shown with the same decimals, enough for their difference to be seen
    (``1.20 %`` and ``1.25 %``, not ``1.2 %`` twice)."""
    decimals = _pair_decimals(actual - plan, plan, actual)
    return (
        "-" if math.isnan(plan) else f"{plan * 100:,.{decimals}f} %",
        "-" if math.isnan(actual) else f"{actual * 100:,.{decimals}f} %",
    )


def _pair_decimals(difference: float, *rates: float) -> int:
    """Three significant figures of each rate, and at least one of their difference."""
    decimals = [_rate_decimals(r * 100) for r in rates if r and math.isfinite(r)]
    if difference and math.isfinite(difference):
        decimals.append(_rate_decimals(difference * 100, 1))
    return max(decimals, default=1)


def format_message(value: float, unit: str | None = None, scale: float | None = None) -> str:
    """A number inside a sentence, as the tables show it: ``0.1128``, ``5,333,333``, ``1.2 %``.

    Float noise (below 1e-12 of ``scale``, or of 1 without it) reads as 0: a solver's
    ``1.72328e-15`` is a churn rate of 0.
    """
    if (
        value is not None
        and math.isfinite(value)
        and abs(value) < 1e-12 * (abs(scale) if scale else 1.0)
    ):
        value = 0.0
    return format_number(value, unit)


def format_percent(fraction: float) -> str:
    """``0.0523`` -> ``+5.2 %`` (a relative change)."""
    if math.isnan(fraction):
        return "-"
    return f"{fraction * 100:+,.1f} %"


def format_share(fraction: float, decimals: int = 1) -> str:
    """``0.136`` -> ``13.6 %`` (a probability or a share, unsigned), spaced like the tables'
    percentages."""
    if math.isnan(fraction):
        return "-"
    return f"{fraction * 100:,.{decimals}f} %"


def partial_mark(elapsed: float | None, paced: bool = False) -> str:
    """How a partial period is marked in every table: ``(partial, 61 % elapsed)``, with
    ``flows paced`` when its flows were scaled to the whole period."""
    share = "" if elapsed is None else f", {elapsed * 100:.0f} % elapsed"
    return f"(partial{share}{', flows paced' if paced else ''})"
