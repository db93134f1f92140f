"""How the KGI reads in the sensitivity, tornado and bottleneck reports: the heading line and
values shown with enough digits for the differences between them to be visible."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

from kpitree.present.numbers import PERCENT_UNITS, format_number


def kgi_heading(
    tree: str,
    what: str,
    kgi: str,
    period: str | None,
    value: float,
    unit: str | None,
    scenario: str | None = None,
) -> str:
    """``saas_arr: sensitivity of arr at 2027-12 = 1,308,900,607 JPY/year``."""
    when = f" at {period}" if period else ""
    unit_text = f" {unit}" if unit and unit not in (*PERCENT_UNITS, "ratio") else ""
    scenario_text = f", scenario '{scenario}'" if scenario else ""
    return f"{tree}{scenario_text}: {what} {kgi}{when} = {format_number(value, unit)}{unit_text}"


def kgi_formatter(differences: Iterable[float], unit: str | None) -> Callable[[float], str]:
    """A formatter for KGI values that shows the smallest nonzero difference with two
    significant digits (1.0860 against 1.0800, not 1.09 against 1.08).

    Large KGIs (differences of 100 or more) read as :func:`format_number` does.
    """
    scale = 100.0 if unit in PERCENT_UNITS else 1.0
    nonzero = [abs(d) * scale for d in differences if d and math.isfinite(d)]
    if not nonzero or min(nonzero) >= 100:
        return lambda value: format_number(value, unit)
    decimals = min(max(1 - math.floor(math.log10(min(nonzero))), 2), 8)
    suffix = " %" if unit in PERCENT_UNITS else ""

    def show(value: float) -> str:
        if not math.isfinite(value):
            return format_number(value, unit)
        return f"{value * scale:,.{decimals}f}{suffix}"

    return show
